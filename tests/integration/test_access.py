"""Least privilege, end to end: the whole flow runs as the components' own roles, analysts read
marts and reports and nothing else, and no personal data is visible to them in any form."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import errors, sql
from tap_lana_events.report import differences

from core_app.adapters.access import (
    ANALYST,
    CORE_APP,
    CORE_PRIVATE_TABLES,
    EXTRACTOR,
    LOADER,
    TRANSFORMER,
    grant_core_access,
    grant_warehouse_access,
)
from core_app.config import resolve_databases, with_role
from core_app.simulator import SimulationConfig, simulate
from orchestration.ingest.extract_load import ExtractLoad, meltano_dir
from tests.dbt_helpers import TEST_PII_KEY, run_dbt

AS_OF = date(2025, 2, 14)

pytestmark = pytest.mark.skipif(
    not resolve_databases().embedded,
    reason="the roles can log in on the embedded server only (elsewhere an administrator grants them)",
)


@pytest.fixture(scope="module")
def flow(module_database) -> dict[str, str]:
    """A core simulated as the core's role, extracted as the extractor, loaded as the loader and
    built by dbt as the transformer: every URL, by role."""
    core, warehouse = module_database(), module_database(migrated=False)
    grant_core_access(core)  # what `lana-core migrate` does (a database's own grants are not copied)
    grant_warehouse_access(warehouse)
    urls = {
        "admin_core": core,
        "admin_warehouse": warehouse,
        CORE_APP.name: with_role(core, CORE_APP.name),
        EXTRACTOR.name: with_role(core, EXTRACTOR.name),
        LOADER.name: with_role(warehouse, LOADER.name),
        TRANSFORMER.name: with_role(warehouse, TRANSFORMER.name),
        ANALYST.name: with_role(warehouse, ANALYST.name),
    }
    simulate(urls[CORE_APP.name], SimulationConfig(customers=8, days=45, seed=11, start=date(2025, 1, 1)))
    el = ExtractLoad(
        urls[EXTRACTOR.name],
        urls[TRANSFORMER.name],
        loader_url=urls[LOADER.name],
        state_suffix=f"access{uuid.uuid4().hex[:8]}",
    )
    urls["el_output"] = el.run().log
    assert differences(core, warehouse) == {}
    run_dbt(urls[TRANSFORMER.name], "build", vars={"as_of_date": AS_OF.isoformat()})
    return urls


def _can(url: str, query: str) -> bool:
    try:
        with psycopg.connect(url) as conn:
            conn.execute(query)
        return True
    except (errors.InsufficientPrivilege, psycopg.OperationalError) as error:
        assert "permission denied" in str(error), error
        return False


def test_analysts_read_marts_and_reports_and_nothing_else(flow) -> None:
    analyst = flow[ANALYST.name]
    with psycopg.connect(analyst) as conn:
        assert conn.execute("SELECT count(*) FROM reports.balance_sheet").fetchone()[0] > 0
        assert conn.execute("SELECT count(*) FROM marts.dim_customers").fetchone()[0] == 8
    for relation in (
        "raw.customer_events",
        "staging.stg_customer_events",
        "intermediate.int_customers",
        "reference.provision_rates",
        "lana_private.pseudonymisation_key",
    ):
        assert not _can(analyst, f"SELECT * FROM {relation} LIMIT 1"), relation
    assert not _can(analyst, "CREATE TABLE reports.mine (x int)")
    assert not _can(analyst, "DELETE FROM reports.balance_sheet")
    assert not _can(with_role(flow["admin_core"], ANALYST.name), "SELECT 1")  # the core: not even connect


def test_each_component_can_do_its_job_and_no_more(flow) -> None:
    core_app, extractor = flow[CORE_APP.name], flow[EXTRACTOR.name]
    loader, transformer = flow[LOADER.name], flow[TRANSFORMER.name]
    # The core application appends; it changes no schema and cannot rewrite its history.
    assert not _can(core_app, "CREATE TABLE mine (x int)")
    assert not _can(core_app, "INSERT INTO schema_migrations (version, checksum) VALUES ('9', 'x')")
    assert not _can(with_role(flow["admin_warehouse"], CORE_APP.name), "SELECT 1")
    # The extractor reads what it extracts, nothing else, and writes nothing.
    assert _can(extractor, "SELECT * FROM customer_events LIMIT 1")
    for private in CORE_PRIVATE_TABLES:
        assert not _can(extractor, f"SELECT * FROM {private}"), private
    assert not _can(extractor, "DELETE FROM outbox_events")
    # ...but the marks of its own runs (what a restore of the core rewinds), which it only appends.
    mark = "INSERT INTO extraction_marks (id, watermark) VALUES (gen_random_uuid(), '1')"
    assert _can(extractor, mark) and not _can(core_app, mark)
    assert not _can(extractor, "DELETE FROM extraction_marks")
    assert not _can(with_role(flow["admin_warehouse"], EXTRACTOR.name), "SELECT 1")
    # The loader writes raw only.
    assert not _can(loader, "SELECT * FROM staging.stg_customer_events LIMIT 1")
    assert not _can(loader, "CREATE SCHEMA elsewhere")
    # dbt reads raw and cannot change it, nor reach the core.
    assert _can(transformer, "SELECT * FROM raw.customer_events LIMIT 1")
    assert not _can(transformer, "DELETE FROM raw.customer_events")
    assert not _can(with_role(flow["admin_core"], TRANSFORMER.name), "SELECT 1")


def test_the_extractor_may_read_exactly_the_tables_the_tap_extracts(flow) -> None:
    from tap_lana_events.tables import TABLES

    with psycopg.connect(flow["admin_core"]) as conn:
        readable = {
            row[0]
            for row in conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                "AND relkind = 'r' AND has_table_privilege(%s, oid, 'SELECT')",
                (EXTRACTOR.name,),
            )
        }
    assert readable == {t.name for t in TABLES} | {"extraction_marks"}  # its own marks


def _customers(core_url: str) -> list[dict[str, str]]:
    with psycopg.connect(core_url) as conn:
        rows = conn.execute("SELECT event FROM customer_events WHERE event_type = 'initialized'").fetchall()
    return [{k: row[0][k] for k in ("name", "email", "phone", "tax_id")} for row in rows]


def _forms(value: str) -> set[str]:
    """A personal value as someone might find it: clear, or any unkeyed digest (the old salt too)."""
    digests = {
        hashlib.md5(candidate.encode()).hexdigest() for candidate in (value, f"lana:{value}", value.lower())
    } | {hashlib.sha256(candidate.encode()).hexdigest() for candidate in (value, f"lana:{value}")}
    return {value, *digests}


def test_no_personal_data_is_visible_to_analysts_in_any_form(flow) -> None:
    """Every column of every relation the analyst may read, scanned for every simulated customer's
    name, email, phone and tax id, in clear and as unkeyed digests."""
    customers = _customers(flow["admin_core"])
    forbidden = {form for customer in customers for value in customer.values() for form in _forms(value)}
    local_parts = {customer["email"].split("@")[0] for customer in customers}
    with psycopg.connect(flow[ANALYST.name]) as conn:
        relations = conn.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'v', 'm', 'p') "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')"
        ).fetchall()
        assert {schema for schema, _ in relations} == {"marts", "reports"}
        seen = 0
        for schema, table in relations:
            query = sql.SQL("SELECT to_jsonb(t)::text FROM {}.{} t").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
            for (text,) in conn.execute(query):
                seen += 1
                values = {str(v) for v in json.loads(text).values() if v is not None}
                assert not values & forbidden, f"personal data in {schema}.{table}"
                assert not any(part in value for value in values for part in local_parts), table
    assert seen > 100


def test_pseudonyms_are_hmac_sha256_with_the_configured_key(flow) -> None:
    customer = _customers(flow["admin_core"])[0]
    with psycopg.connect(flow[TRANSFORMER.name]) as conn:
        hashes = conn.execute(
            "SELECT name_hash, email_hash, phone_hash, tax_id_hash FROM staging.stg_customer_events "
            "WHERE event_type = 'initialized'"
        ).fetchall()
    expected = tuple(
        hmac.new(TEST_PII_KEY, customer[field].encode(), hashlib.sha256).hexdigest()
        for field in ("name", "email", "phone", "tax_id")
    )
    assert expected in hashes


def test_no_password_in_the_extract_load_output_or_meltano_files(flow) -> None:
    passwords = [line.split(":")[-1] for line in _password_file().read_text().splitlines()]
    assert passwords and not [p for p in passwords if p in flow["el_output"]]
    for path in (meltano_dir() / "run").rglob("*"):
        assert not path.stat().st_mode & 0o077, f"{path} is readable by other users"
        if path.is_file():
            assert not [p for p in passwords if p in path.read_text(errors="replace")], path


def _password_file() -> Path:
    from psycopg.conninfo import conninfo_to_dict

    return Path(conninfo_to_dict(resolve_databases().admin_url)["passfile"])
