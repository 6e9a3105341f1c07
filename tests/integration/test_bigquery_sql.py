"""Every model and data test, compiled for BigQuery, is valid GoogleSQL (Google's ZetaSQL analyzer,
offline): the emulator would accept PostgreSQL-isms that BigQuery rejects."""

from __future__ import annotations

import json

import pytest

from tests.bigquery.strict_sql import GoogleSqlCheck, seed_type_problems
from tests.dbt_helpers import compile_for_bigquery

# Heavy (a whole compile checked by Google's analyzer; the SQL linter over the project): not in
# the quick tier (-m "not slow").
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> tuple[GoogleSqlCheck, int, list]:
    manifest = json.loads(
        compile_for_bigquery(tmp_path_factory.mktemp("bigquery-sql") / "target").read_text()
    )
    check = GoogleSqlCheck(manifest)
    analyzed, problems = check.run()
    return check, analyzed, problems


def test_every_compiled_model_and_test_is_valid_googlesql(checked) -> None:
    check, analyzed, problems = checked
    models = sum(1 for n in check.manifest["nodes"].values() if n["resource_type"] == "model")
    assert [str(p) for p in problems] == []
    assert analyzed > models > 40  # every model, and the tests too


def test_incremental_builds_are_valid_googlesql(checked, tmp_path) -> None:
    """The incremental models as they compile on a day after the first (reading their own table,
    which the check's catalog now holds with the columns ZetaSQL resolved for it)."""
    check, _, _ = checked
    manifest = json.loads(compile_for_bigquery(tmp_path / "target", incremental=True).read_text())
    incremental = {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    }
    assert {"model.lana.fct_ledger_entries", "model.lana.int_daily_account_balances"} <= set(incremental)
    assert "opening" in incremental["model.lana.int_daily_account_balances"]["compiled_code"]
    problems = {unique_id: check.problem(node["compiled_code"]) for unique_id, node in incremental.items()}
    assert {unique_id: p for unique_id, p in problems.items() if p} == {}


def test_the_check_rejects_what_bigquery_rejects(checked) -> None:
    """The dialect errors the emulator lets through, each in an otherwise valid staging model."""
    check, _, _ = checked
    model = check.manifest["nodes"]["model.lana.stg_deposit_events"]["compiled_code"]
    assert check.problem(model) is None
    for wrong, reason in (
        ("cast(amount as varchar(16))", "Type not found: varchar"),
        ("event_type ilike 'init%'", "Syntax error"),
        ("1 = '1'", "No matching signature for operator ="),
        ("(event ->> 'amount')", "Syntax error"),
        ("generate_series(1, 3)", "Function not found: generate_series"),
    ):
        message = check.problem(model.replace("select", f"select {wrong} as wrong,", 1))
        assert message and reason in message, (wrong, message)


def test_seed_types_must_be_bigquery_types(checked) -> None:
    check, _, _ = checked
    assert seed_type_problems(check.manifest) == []
    seeds = json.loads(json.dumps(check.manifest))
    seeds["nodes"]["seed.lana.provision_rates"]["config"]["column_types"]["risk_category"] = "varchar(16)"
    assert [p.node for p in seed_type_problems(seeds)] == ["seed.lana.provision_rates"]


def test_the_completeness_check_is_valid_googlesql(checked) -> None:
    from tap_lana_events.tables import TABLES

    from orchestration.ingest.completeness import _tally_sql

    check, _, _ = checked
    for table in TABLES:
        query = _tally_sql(table, f"`acme-bank`.`lana_raw`.`{table.name}`", "bigquery", 12345)
        assert check.problem(query) is None, (table.name, check.problem(query))


def test_the_raw_checks_are_valid_googlesql(checked) -> None:
    """The Great Expectations row queries, as they run on BigQuery (dataset.table, default project)."""
    from orchestration.quality.suites import raw_suites

    check, _, _ = checked
    queries = [
        (suite.table, e.description, e.unexpected_rows_query.replace("{batch}", f"lana_raw.{suite.table}"))
        for suite in raw_suites("lana_raw", "bigquery")
        for e in suite.expectations
        if getattr(e, "unexpected_rows_query", None)
    ]
    assert len(queries) > 40
    problems = [(table, what, check.problem(sql)) for table, what, sql in queries]
    assert [p for p in problems if p[2]] == []
