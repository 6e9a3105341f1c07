"""The things the assets talk to: the core's database, the warehouse and the report folder.

Each is configured from the environment (`lana-core db env` sets the variables for the embedded
server) and can be given explicitly, as the tests do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import psycopg
from psycopg import sql

from core_app.adapters.read_model import last_closed_business_date
from core_app.config import (
    EXTRACTOR_URL_ENV,
    LOADER_URL_ENV,
    WAREHOUSE_URL_ENV,
    sqlalchemy_url,
    warehouse_environment,
)

WAREHOUSE_KIND_ENV = "LANA_WAREHOUSE_KIND"  # postgres (default) or bigquery
REPORTS_DIR_ENV = "LANA_REPORTS_DIR"
REPO = Path(__file__).resolve().parents[1]


class BusinessDayNotClosed(Exception):
    """A report run for a date the core's books are not closed for."""


def check_closed(day: date, last_closed: date | None) -> None:
    """Refuse `day` unless the core has closed it (`last_closed`: the last day it closed)."""
    if last_closed is None:
        raise BusinessDayNotClosed(f"the core has not closed any business day yet: no report for {day}")
    if day > last_closed:
        raise BusinessDayNotClosed(
            f"the core has not closed business day {day.isoformat()}: "
            f"the last closed business day is {last_closed.isoformat()}"
        )


class CoreDatabase(dg.ConfigurableResource):
    """The banking core's PostgreSQL database (read only from here)."""

    url: str

    def outbox_count(self) -> int:
        """Rows in the append-only outbox: it grows by exactly the events committed since."""
        return self.outbox_position()[0]

    def last_closed_day(self) -> date | None:
        """The latest business date the core has closed (its end-of-day batch done), or None."""
        with psycopg.connect(self.url) as conn:
            return last_closed_business_date(conn)

    def require_closed(self, day: date) -> None:
        """Reports for a day the core has not closed would look final but are not: refuse them."""
        check_closed(day, self.last_closed_day())

    def outbox_position(self) -> tuple[int, datetime | None]:
        """Rows in the outbox and the newest one's time: what the raw layer must catch up with."""
        with psycopg.connect(self.url) as conn:
            row = conn.execute("SELECT count(*), max(recorded_at) FROM outbox_events").fetchone()
        return (int(row[0]), row[1]) if row else (0, None)

    def first_business_date(self) -> date | None:
        """The first business date with ledger transactions (None for an empty core)."""
        with psycopg.connect(self.url) as conn:
            row = conn.execute("SELECT min(effective_date) FROM ledger_transactions").fetchone()
        return row[0] if row else None


class Warehouse(dg.ConfigurableResource):
    """Where the raw layer and the dbt models live: PostgreSQL (local) or BigQuery (production)."""

    kind: str = "postgres"
    url: str = ""  # PostgreSQL: a libpq URL (dbt's and the checks' role); unused for BigQuery
    loader_url: str = ""  # PostgreSQL: the loader's role, if not the same as `url`
    bigquery_project: str = ""
    bigquery_location: str = "US"
    raw_schema: str = "raw"  # on BigQuery, the raw dataset
    reports_schema: str = "reports"  # dbt's `reports` schema (a dataset of that name on BigQuery)

    def check(self) -> None:
        if self.kind not in ("postgres", "bigquery"):
            raise ValueError(f"warehouse kind {self.kind!r} is neither 'postgres' nor 'bigquery'")
        if self.kind == "postgres" and not self.url:
            raise ValueError(f"the PostgreSQL warehouse has no URL: set {WAREHOUSE_URL_ENV}")
        if self.kind == "bigquery" and not self.bigquery_project:
            raise ValueError("the BigQuery warehouse has no project: set LANA_BQ_PROJECT")

    @property
    def dbt_target(self) -> str:
        """The output of dbt_project/profiles.yml that builds in this warehouse."""
        return self.kind

    def dbt_environment(self) -> dict[str, str]:
        """What dbt's profile (dbt_project/profiles.yml) reads."""
        self.check()
        common = {"DBT_TARGET": self.dbt_target, "LANA_RAW_SCHEMA": self.raw_schema}
        if self.kind == "postgres":
            return {**warehouse_environment(self.url), **common}
        return {"LANA_BQ_PROJECT": self.bigquery_project, **common}

    @contextmanager
    def dbt_environment_applied(self, **extra: str) -> Iterator[None]:
        """dagster-dbt hands dbt this process's environment: set the warehouse's (and `extra`) for
        one call."""
        wanted = {**self.dbt_environment(), **extra}
        saved = {name: os.environ.get(name) for name in wanted}
        os.environ.update(wanted)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def install_pseudonymisation_key(self) -> None:
        """The personal-data key where dbt's staging reads it (orchestration/pseudonymisation.py)."""
        from orchestration.transform.pseudonymisation import install_key_bigquery, install_key_postgres

        self.check()
        if self.kind == "postgres":
            install_key_postgres(self.url)
        else:
            install_key_bigquery(self.bigquery_project, self.bigquery_location)

    def sqlalchemy_url(self, schema: str) -> str:
        """For Great Expectations (SQLAlchemy): the warehouse, with `schema` as BigQuery's dataset."""
        self.check()
        if self.kind == "postgres":
            return sqlalchemy_url(self.url)
        return f"bigquery://{self.bigquery_project}/{schema}"

    def raw_relation(self, table: str) -> str:
        """A raw table's name in this warehouse's SQL."""
        if self.kind == "bigquery":
            return f"`{self.bigquery_project}.{self.raw_schema}.{table}`"
        return sql.SQL("{}.{}").format(sql.Identifier(self.raw_schema), sql.Identifier(table)).as_string()

    def fetch_row(self, query: str) -> tuple:
        """The first row of a query of ours (no user input in it)."""
        self.check()
        if self.kind == "postgres":
            with psycopg.connect(self.url) as conn:
                return tuple(conn.execute(query).fetchone() or ())  # type: ignore[arg-type]
        from google.cloud import bigquery

        rows = list(bigquery.Client(project=self.bigquery_project).query(query).result())
        return tuple(rows[0].values()) if rows else ()

    def identities(self, customer_ids: list[str], as_of: date) -> dict[str, tuple[str | None, str | None]]:
        """Name and tax id of each customer as recorded by `as_of`, read from the restricted raw
        layer (only dbt's role and this step can read it; staging and everything analysts see
        hold keyed digests only). For a supervisor's file that must name borrowers."""
        self.check()
        if not customer_ids:
            return {}
        if self.kind == "postgres":
            query = sql.SQL(
                "SELECT id::text, sequence, event #>> '{{name}}', event #>> '{{tax_id}}' "
                "FROM {}.customer_events "
                "WHERE id::text = ANY(%s) AND (recorded_at AT TIME ZONE 'UTC')::date <= %s"
            ).format(sql.Identifier(self.raw_schema))
            with psycopg.connect(self.url) as conn:
                rows = conn.execute(query, (sorted(customer_ids), as_of)).fetchall()
        else:
            from google.cloud import bigquery

            client = bigquery.Client(project=self.bigquery_project)
            job = client.query(
                "SELECT CAST(id AS STRING), sequence, "
                "JSON_VALUE(event, '$.name'), JSON_VALUE(event, '$.tax_id') "
                f"FROM {self.raw_relation('customer_events')} "
                "WHERE CAST(id AS STRING) IN UNNEST(@ids) AND DATE(recorded_at, 'UTC') <= @as_of",
                job_config=bigquery.QueryJobConfig(
                    query_parameters=[
                        bigquery.ArrayQueryParameter("ids", "STRING", sorted(customer_ids)),
                        bigquery.ScalarQueryParameter("as_of", "DATE", as_of),
                    ]
                ),
            )
            rows = [tuple(row.values()) for row in job.result()]
        # Each customer's latest recorded value of each (a later event may change one of them).
        latest: dict[str, tuple[str | None, str | None]] = {}
        for customer, _, name, tax_id in sorted(rows, key=lambda row: (row[0], row[1])):
            known = latest.get(customer, (None, None))
            latest[customer] = (name or known[0], tax_id or known[1])
        return latest

    def read_report(self, table: str, as_of: date) -> tuple[list[str], list[tuple]]:
        """Column names and the rows of one report table for one business date.

        Values come back as the same Python types from either warehouse (int, Decimal, str, date,
        and timestamps as UTC datetimes), so what is written from them does not depend on it.
        """
        self.check()
        if self.kind == "postgres":
            with psycopg.connect(self.url) as conn:
                cursor = conn.execute(
                    sql.SQL("SELECT * FROM {}.{} WHERE as_of_date = %s").format(
                        sql.Identifier(self.reports_schema), sql.Identifier(table)
                    ),
                    (as_of,),
                )
                columns = [d.name for d in cursor.description or []]
                rows = cursor.fetchall()
        else:
            from google.cloud import bigquery

            client = bigquery.Client(project=self.bigquery_project)
            relation = f"`{self.bigquery_project}.{self.reports_schema}.{table}`"
            job = client.query(
                f"SELECT * FROM {relation} WHERE as_of_date = @as_of",
                job_config=bigquery.QueryJobConfig(
                    query_parameters=[bigquery.ScalarQueryParameter("as_of", "DATE", as_of)]
                ),
            )
            result = job.result()
            columns, rows = [f.name for f in result.schema], [tuple(row.values()) for row in result]
        return columns, [tuple(_in_utc(v) for v in row) for row in rows]


def _in_utc(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


class MeltanoState(dg.ConfigurableResource):
    """Which Meltano state (bookmarks) the extract/load uses. Empty: the same as `scripts/el.sh`,
    so the two never extract the same rows twice; tests give each run a state of its own."""

    suffix: str = ""


class ReportOutput(dg.ConfigurableResource):
    """The folder finance teams' files are written to, one subfolder per business date; and,
    when `bucket_url` is set (gs://bucket/prefix), the bucket each delivery is then copied to
    (`bucket_endpoint`: a Cloud Storage emulator's URL, for tests)."""

    directory: str
    bucket_url: str | None = None
    bucket_endpoint: str | None = None

    @property
    def path(self) -> Path:
        return Path(self.directory).resolve()


def warehouse_from_environment(*, resolved_now: bool = False) -> Warehouse:
    """The warehouse as `lana-core db env` (or production settings) describe it. Its PostgreSQL
    URL is read when a run needs it (Dagster's EnvVar), or now with `resolved_now`."""
    kind = os.environ.get(WAREHOUSE_KIND_ENV, "postgres")
    if kind == "bigquery":
        return Warehouse(
            kind="bigquery",
            bigquery_project=os.environ.get("LANA_BQ_PROJECT", ""),
            bigquery_location=os.environ.get("LANA_BQ_LOCATION", "US"),
            raw_schema=os.environ.get("LANA_BQ_RAW_DATASET", "lana_raw"),
        )
    url = os.environ.get(WAREHOUSE_URL_ENV, "") if resolved_now else dg.EnvVar(WAREHOUSE_URL_ENV)
    return Warehouse(kind="postgres", url=url, loader_url=os.environ.get(LOADER_URL_ENV, ""))


def resources_from_environment() -> dict[str, object]:
    """Resources as `lana-core db env` (or production settings) describe them."""
    from dagster_dbt import DbtCliResource

    from orchestration.transform.dbt_manifest import DBT_PROJECT

    return {
        # The orchestrator only reads the core: as the extractor, whose role can do nothing else.
        "core": CoreDatabase(url=dg.EnvVar(EXTRACTOR_URL_ENV)),
        "warehouse": warehouse_from_environment(),
        "meltano_state": MeltanoState(),
        "report_output": ReportOutput(
            directory=os.environ.get(REPORTS_DIR_ENV, str(REPO / "reports")),
            bucket_url=os.environ.get("LANA_REPORTS_BUCKET") or None,
            bucket_endpoint=os.environ.get("LANA_REPORTS_BUCKET_ENDPOINT") or None,
        ),
        "dbt": DbtCliResource(project_dir=DBT_PROJECT),
    }
