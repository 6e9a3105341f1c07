"""The production path, BigQuery, run end to end against a local emulator and compared with PostgreSQL.

The same simulated core goes through `lana-flow run` twice per warehouse (a later date, then a
backfill of an earlier one): once on the embedded PostgreSQL, once on BigQuery with only the
BigQuery variables (docs/operators.md) set (plus `BIGQUERY_EMULATOR_HOST`, which points Google's clients at
the emulator). Every dbt relation must then hold the same rows on both, and the report files
must be byte-identical.

What the emulator (bqemulator 1.4.0, on DuckDB) cannot do is worked around in
tests/bigquery/emulator_server.py, each gap with its reason. It is not strict about GoogleSQL:
tests/integration/test_bigquery_sql.py checks the compiled SQL with Google's own analyzer.
Partitioning, clustering and `maximum_bytes_billed` are stored by the emulator, not enforced.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

import psycopg
import pytest

from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock, RandomIds
from core_app.simulator import SimulationConfig, simulate
from orchestration.delivery.catalog import delivered_reports
from orchestration.ingest.extract_load import REPO
from orchestration.transform.dbt_manifest import DBT_PROJECT
from tests.bigquery.emulator import BigQueryEmulator, install_bigquery_loader
from tests.bigquery.relations import bigquery_rows, dbt_relations, postgres_rows
from tests.dbt_helpers import TEST_PII_KEY
from tests.flow_helpers import flow_environment, lana_flow

# Four runs of the daily flow, two of them on an emulator that translates every query: longer than
# the suite's default limit when the other cores are busy.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

LATER, EARLIER = date(2025, 4, 20), date(2025, 3, 31)  # built in this order: the second is a backfill


@pytest.fixture(scope="module")
def both_warehouses(module_database, tmp_path_factory):
    core_url, warehouse_url, dagster_url = module_database(), module_database(False), module_database(False)
    simulate(core_url, SimulationConfig(customers=24, days=110, seed=5))
    # Identities beyond ASCII, whatever the simulator draws: the pseudonyms hash their UTF-8 bytes.
    bank = Bank.connect(core_url, BusinessClock.at_start_of(date(2025, 1, 2)), RandomIds())
    for name, email, tax_id in (
        ("Chloé Fischer", "chloe@example.com", "FR-É-1"),
        ("Zoë Ñúñez-Øster 山田", "zoe@example.com", "ES-Ñ-2"),
    ):
        bank.customers.onboard(name=name, email=email, phone="+33 6 12 34 56 78", country="FR", tax_id=tax_id)
    bank.close()
    work = tmp_path_factory.mktemp("bigquery-path")
    base = flow_environment(core_url, dagster_url, work)
    postgres = {**base, "LANA_WAREHOUSE_URL": warehouse_url, "LANA_REPORTS_DIR": str(work / "files-postgres")}
    with BigQueryEmulator(work / "emulator") as emulator, pytest.MonkeyPatch.context() as patch:
        for name, value in emulator.environment().items():  # for this process's own BigQuery reads
            patch.setenv(name, value)
        bigquery = {**base, **emulator.environment(), "LANA_REPORTS_DIR": str(work / "files-bigquery")}
        install_bigquery_loader(bigquery)
        outputs = {}
        for name, environment in (("postgres", postgres), ("bigquery", bigquery)):
            for business_date in (LATER, EARLIER):
                outputs[name, business_date] = lana_flow(environment, business_date)
        yield {
            "core": core_url,
            "warehouse": warehouse_url,
            "project": emulator.environment()["LANA_BQ_PROJECT"],
            "files": {"postgres": work / "files-postgres", "bigquery": work / "files-bigquery"},
            "outputs": outputs,
        }


def test_every_dbt_relation_holds_the_same_rows_on_both_warehouses(both_warehouses) -> None:
    relations = dbt_relations(DBT_PROJECT.manifest_path)
    assert len(relations) > 40 and ("reports", "balance_sheet") in relations
    different = []
    for schema, name in relations:
        on_postgres = postgres_rows(both_warehouses["warehouse"], schema, name)
        on_bigquery = bigquery_rows(both_warehouses["project"], schema, name)
        if on_postgres != on_bigquery:
            different.append(f"{schema}.{name}: {len(on_postgres[1])} rows vs {len(on_bigquery[1])}")
    assert different == []


def test_reports_hold_both_dates_on_both_warehouses(both_warehouses) -> None:
    for report in ("balance_sheet", "delinquency_aging", "loan_portfolio"):
        columns, rows = bigquery_rows(both_warehouses["project"], "reports", report)
        dates = {row[columns.index("as_of_date")] for row in rows}
        assert dates == {EARLIER, LATER}, report
        with psycopg.connect(both_warehouses["warehouse"]) as conn:
            on_postgres = conn.execute(f"SELECT DISTINCT as_of_date FROM reports.{report}").fetchall()
        assert {d for (d,) in on_postgres} == {EARLIER, LATER}, report


def _files(folder) -> list[str]:
    """Every file of a delivery, its restricted folder's included, by its path in the delivery."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_report_files_are_byte_identical(both_warehouses) -> None:
    for business_date in (LATER, EARLIER):
        folders = {k: v / business_date.isoformat() for k, v in both_warehouses["files"].items()}
        names = _files(folders["postgres"])
        # A CSV per report, an XML per regulatory file, the workbook, the summary, the PDF pack,
        # the manifest.
        reports = delivered_reports()
        assert len(names) == len(reports) + sum(1 for r in reports if r.xml) + 4
        assert names == _files(folders["bigquery"])
        for name in names:
            postgres, bigquery = (folders[k] / name for k in ("postgres", "bigquery"))
            assert postgres.read_bytes() == bigquery.read_bytes(), f"{business_date} {name}"


def test_the_bigquery_run_used_bigquery_throughout(both_warehouses) -> None:
    output = both_warehouses["outputs"]["bigquery", LATER]
    checks = re.search(r"asset checks: (\d+) of (\d+) passed", output)
    assert "dbt build --target bigquery" in output and checks
    assert checks[1] == checks[2] and int(checks[1]) > 100
    postgres = re.search(r"asset checks: (\d+) of", both_warehouses["outputs"]["postgres", LATER])
    assert postgres and postgres[1] == checks[1]  # the same checks on both warehouses
    with psycopg.connect(both_warehouses["core"]) as conn:
        (deposits,) = conn.execute("SELECT count(*) FROM deposit_events").fetchone()
    columns, rows = bigquery_rows(both_warehouses["project"], "lana_raw", "deposit_events")
    assert len(rows) == deposits > 0 and "_sdc_batched_at" in columns


def test_the_analysts_example_queries_run_on_bigquery(both_warehouses) -> None:
    """The analysts' page's example queries, run as written against the emulated project."""
    from google.cloud import bigquery

    page = (REPO / "docs" / "analysts.md").read_text()
    queries = re.findall(r"```sql bigquery\n(.*?)```", page, flags=re.DOTALL)
    assert len(queries) == 3
    client = bigquery.Client(project=both_warehouses["project"])
    for query in queries:
        sql = query.replace("my-gcp-project", both_warehouses["project"])
        assert list(client.query(sql).result()), sql


def test_every_customer_s_pseudonyms_are_the_hmac_of_their_values_on_both_warehouses(both_warehouses) -> None:
    """Accented and other non-ASCII identities included: BigQuery's SQL and PostgreSQL's give
    exactly Python's HMAC-SHA256 of the value's UTF-8 bytes with the configured key."""
    fields = ("name", "email", "phone", "tax_id")
    with psycopg.connect(both_warehouses["core"]) as conn:
        events = conn.execute(
            "SELECT id::text, event FROM customer_events WHERE event_type = 'initialized'"
        ).fetchall()
    expected = {
        (customer, *(hmac.new(TEST_PII_KEY, event[f].encode(), hashlib.sha256).hexdigest() for f in fields))
        for customer, event in events
    }
    assert any(not event["name"].isascii() for _, event in events)
    query = (
        "SELECT customer_id, name_hash, email_hash, phone_hash, tax_id_hash FROM {} "
        "WHERE event_type = 'initialized'"
    )
    with psycopg.connect(both_warehouses["warehouse"]) as conn:
        on_postgres = set(conn.execute(query.format("staging.stg_customer_events")).fetchall())
    from google.cloud import bigquery

    client = bigquery.Client(project=both_warehouses["project"])
    relation = f"`{both_warehouses['project']}.staging.stg_customer_events`"
    on_bigquery = {tuple(row.values()) for row in client.query(query.format(relation)).result()}
    assert on_postgres == expected and on_bigquery == expected
