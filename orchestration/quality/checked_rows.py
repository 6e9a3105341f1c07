"""Which raw rows have passed the raw checks already, so that a run checks only what is new.

The raw layer is loaded in the core's transaction order and a loaded row does not change (the
core's tables are append-only; the completeness check proves the raw layer equal to the core
below the watermark). So per raw table, one mark says what the last passing suite read: the
largest transaction id among its rows when it started, and the version of the suites
(`quality.raw_suites_version`). The next run reads the rows from that transaction on (its rows
again, in case a load stopped inside it); rows loaded while a run reads are read by the next one
too, as they lie past the mark it records. When no table has a row past its mark, nothing is read
at all (and Great Expectations is not even imported). A whole table is read as a table, not
through a query: GX fetches a query's whole result into memory (1 GB for 1.4M ledger entries).

Read whole again: every table when the completeness check finds a table that no longer equals
the core (rows behind the marks have changed; the suites cross tables), every table once the
suites' version changes (a new event type or expectation: old rows must meet it too), a table
whose rows now end below its mark (restored from an older copy), and a suite that judges the
table as a whole (`Suite.row_by_row`) whenever its table has new rows. A failed suite keeps its
mark, so its rows are read again until they pass.

The marks live in the private schema (dataset), which only the checks' and dbt's role may use:
the loader cannot move them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Protocol

import psycopg
from psycopg import sql

from orchestration.ingest.completeness import RawLayer
from orchestration.quality.suites import Outcome, Suite
from orchestration.transform.pseudonymisation import private_schema

MARKS_TABLE = "raw_rows_checked"


@dataclass(frozen=True)
class Mark:
    checked_through: int  # the largest tx_id in the table when the passing suite started
    suites_version: str


class MarkStore(Protocol):
    def read(self) -> dict[str, Mark]: ...

    def write(self, marks: dict[str, Mark]) -> None: ...


@dataclass(frozen=True)
class Marks:
    """The marks and each table's newest transaction, read once at the start of a check."""

    marks: dict[str, Mark]
    newest: dict[str, int | None]  # per table, the largest tx_id a mark may take now
    version: str

    @classmethod
    def read(
        cls,
        store: MarkStore,
        raw: RawLayer,
        tables: Iterable[str],
        version: str,
        loaded_below: dict[str, int],
    ) -> Marks:
        """`loaded_below`: per table, the extract/load's watermark (every row below it is loaded).
        A mark never passes it: a load still running may have committed newer rows before older."""
        newest = {table: _newest_transaction(raw, table) for table in tables}
        capped = {
            table: top if top is None or table not in loaded_below else min(top, loaded_below[table])
            for table, top in newest.items()
        }
        return cls(store.read(), capped, version)

    def valid_mark(self, table: str) -> Mark | None:
        mark, top = self.marks.get(table), self.newest.get(table)
        if mark and mark.suites_version == self.version and top is not None and mark.checked_through <= top:
            return mark
        return None

    def forgotten(self) -> Marks:
        """No marks: every suite reads its whole table (rows behind the marks have changed)."""
        return replace(self, marks={})

    def nothing_new(self) -> bool:
        """No table has a row its suite has not passed (an empty table has none)."""
        return all(
            top is None or ((mark := self.valid_mark(table)) is not None and mark.checked_through == top)
            for table, top in self.newest.items()
        )

    def describe(self, table: str) -> str:
        """Nothing new, in words, for the check's description."""
        top = self.newest.get(table)
        return "no rows yet" if top is None else f"no rows after transaction {top}, which passed before"


def _newest_transaction(raw: RawLayer, table: str) -> int | None:
    (top,) = raw.fetch_row(f"SELECT max(tx_id) FROM {raw.raw_relation(table)}")
    return None if top is None else int(top)


@dataclass(frozen=True)
class Plan:
    """The suites narrowed to their unchecked rows, and the mark each earns if it passes."""

    suites: list[Suite]
    marks: dict[str, Mark]  # by table; an empty table earns none
    since: dict[str, int]  # by table read in part: the first transaction read

    def rows_read(self, table: str) -> str:
        """In words, for the check's description."""
        mark = self.marks.get(table)
        if mark is None:
            return "no rows yet"
        if table not in self.since:
            return f"all rows (newest transaction {mark.checked_through})"
        return f"rows from transaction {self.since[table]} on (earlier ones passed before)"


def plan(suites: list[Suite], marks: Marks) -> Plan:
    """Each suite narrowed to the rows its table's mark does not cover."""
    narrowed: list[Suite] = []
    earned: dict[str, Mark] = {}
    since: dict[str, int] = {}
    for suite in suites:
        top = marks.newest.get(suite.table)
        if top is None:  # an empty table: every expectation sees it whole
            narrowed.append(suite)
            continue
        mark = marks.valid_mark(suite.table)
        if suite.row_by_row and mark is not None:
            since[suite.table] = mark.checked_through
            narrowed.append(replace(suite, rows=f"tx_id >= {int(mark.checked_through)}"))
        else:
            narrowed.append(suite)
        earned[suite.table] = Mark(top, marks.version)
    return Plan(narrowed, earned, since)


def record_passed(store: MarkStore, plan: Plan, outcomes: Iterable[Outcome]) -> None:
    """Move the mark of every table whose suite passed."""
    passed = {o.table for o in outcomes if o.passed}
    store.write({table: mark for table, mark in plan.marks.items() if table in passed})


def mark_store(warehouse) -> MarkStore:
    """Where the marks of `warehouse` (orchestration.resources.Warehouse) are kept."""
    if warehouse.kind == "bigquery":
        return BigQueryMarks(warehouse.bigquery_project, warehouse.bigquery_location)
    return PostgresMarks(warehouse.url)


class PostgresMarks:
    """The marks in the warehouse's private schema, as the checks' role."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.table = sql.SQL("{}.{}").format(sql.Identifier(private_schema()), sql.Identifier(MARKS_TABLE))

    def _prepare(self, conn: psycopg.Connection) -> None:
        schema = sql.Identifier(private_schema())
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
        conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(schema))
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (table_name text PRIMARY KEY, checked_through bigint NOT NULL,"
                " suites_version text NOT NULL, checked_at timestamptz NOT NULL DEFAULT now())"
            ).format(self.table)
        )

    def read(self) -> dict[str, Mark]:
        with psycopg.connect(self.conninfo) as conn:
            self._prepare(conn)
            rows = conn.execute(
                sql.SQL("SELECT table_name, checked_through, suites_version FROM {}").format(self.table)
            ).fetchall()
        return {name: Mark(int(through), version) for name, through, version in rows}

    def write(self, marks: dict[str, Mark]) -> None:
        with psycopg.connect(self.conninfo) as conn:
            self._prepare(conn)
            for table, mark in marks.items():
                conn.execute(
                    sql.SQL(
                        "INSERT INTO {} (table_name, checked_through, suites_version) VALUES (%s, %s, %s)"
                        " ON CONFLICT (table_name) DO UPDATE SET checked_through = excluded.checked_through,"
                        " suites_version = excluded.suites_version, checked_at = now()"
                    ).format(self.table),
                    (table, mark.checked_through, mark.suites_version),
                )


class BigQueryMarks:
    """The marks in the private dataset (where the personal-data key is: dbt's service account)."""

    def __init__(self, project: str, location: str) -> None:
        self.project, self.location = project, location
        self.table = f"`{project}.{private_schema()}.{MARKS_TABLE}`"

    def _client(self):
        from google.cloud import bigquery

        client = bigquery.Client(project=self.project)
        dataset = bigquery.Dataset(f"{self.project}.{private_schema()}")
        dataset.location = self.location
        client.create_dataset(dataset, exists_ok=True)
        client.query(
            f"CREATE TABLE IF NOT EXISTS {self.table} (table_name STRING NOT NULL,"
            " checked_through INT64 NOT NULL, suites_version STRING NOT NULL, checked_at TIMESTAMP NOT NULL)"
        ).result()
        return client

    def read(self) -> dict[str, Mark]:
        rows = self._client().query(f"SELECT table_name, checked_through, suites_version FROM {self.table}")
        return {r["table_name"]: Mark(int(r["checked_through"]), r["suites_version"]) for r in rows.result()}

    def write(self, marks: dict[str, Mark]) -> None:
        """Two statements, not one transaction: lost in between, the marks only make the next run
        read whole tables again."""
        if not marks:
            return
        client = self._client()
        names = ", ".join(f"'{table}'" for table in sorted(marks))
        client.query(f"DELETE FROM {self.table} WHERE table_name IN ({names})").result()
        values = ", ".join(
            f"('{table}', {int(m.checked_through)}, '{m.suites_version}', CURRENT_TIMESTAMP())"
            for table, m in sorted(marks.items())
        )
        columns = "table_name, checked_through, suites_version, checked_at"
        client.query(f"INSERT INTO {self.table} ({columns}) VALUES {values}").result()
