"""The Great Expectations suites on a real warehouse: what a failure says."""

from __future__ import annotations

import json
import uuid

import psycopg
from psycopg import sql
from tap_lana_events.warehouse import prepare_raw_schema

from core_app.config import sqlalchemy_url
from orchestration.quality import suites as quality


def _initialized(conn: psycopg.Connection, table: str, event: dict, row_id: str, at: int = 1) -> None:
    """An `initialized` event written straight into a raw table, as if by transaction `at`."""
    conn.execute(
        sql.SQL(
            "INSERT INTO raw.{} (id, sequence, event_type, event, recorded_at, global_position, tx_id)"
            " VALUES (%s, 1, 'initialized', %s, now(), %s, %s)"
        ).format(sql.Identifier(table)),
        (row_id, json.dumps(event), at, at),
    )


def test_an_amount_that_is_not_a_number_is_named_with_its_row(warehouse_url: str) -> None:
    prepare_raw_schema(warehouse_url, "raw")
    row = "6f1c0a52-0000-4000-8000-000000000002"
    with psycopg.connect(warehouse_url) as conn:
        _initialized(conn, "deposit_events", {"amount": "12,50"}, row)
    (suite,) = [s for s in quality.raw_suites("raw") if s.table == "deposit_events"]
    (outcome,) = quality.validate(sqlalchemy_url(warehouse_url), [suite])
    assert not outcome.passed
    (failure,) = [f for f in outcome.failures if "whole number" in f]
    assert failure == (
        "1 row(s): deposit 'initialized' events whose amount is not a whole number of minor units, "
        f"e.g. id={row}, sequence=1, amount=12,50"
    )
    assert not [f for f in outcome.failures if "could not be evaluated" in f]


def test_a_ghost_deposit_is_named_with_its_values(warehouse_url: str) -> None:
    """A well-formed deposit event, written behind the core's back: no ledger posting, no such account."""
    prepare_raw_schema(warehouse_url, "raw")
    ghost, nowhere = "6f1c0a52-0000-4000-8000-000000000001", "6f1c0a52-0000-4000-8000-0000000000ff"
    with psycopg.connect(warehouse_url) as conn:
        event = {"type": "initialized", "amount": 50000, "deposit_account_id": nowhere, "reference": "ghost"}
        _initialized(conn, "deposit_events", event, ghost)
    (suite,) = [s for s in quality.raw_suites("raw") if s.table == "deposit_events"]
    (outcome,) = quality.validate(sqlalchemy_url(warehouse_url), [suite])
    assert sorted(outcome.failures) == [
        "1 row(s): deposit 'initialized' events without their DEPOSIT ledger transaction for the same "
        f"amount, e.g. id={ghost}, event_type=initialized, event_amount=50000, ledger_transaction_id=None, "
        "ledger_debits=None",
        "1 row(s): deposit events on a deposit account the core never opened, e.g. "
        f"id={ghost}, event_type=initialized, deposit_account_id={nowhere}",
    ]


def test_a_deposit_whose_ledger_transaction_debits_another_amount_is_named(warehouse_url: str) -> None:
    """The deposit's DEPOSIT transaction is there, but debits 400.00 for a deposit of 500.00; once
    the entries say 500.00, the suite passes."""
    prepare_raw_schema(warehouse_url, "raw")
    deposit, account = "6f1c0a52-0000-4000-8000-000000000003", "6f1c0a52-0000-4000-8000-000000000004"
    transaction = "6f1c0a52-0000-4000-8000-000000000005"
    with psycopg.connect(warehouse_url) as conn:
        _initialized(conn, "deposit_account_events", {}, account)
        _initialized(conn, "deposit_events", {"amount": 50000, "deposit_account_id": account}, deposit, at=2)
        conn.execute(
            "INSERT INTO raw.ledger_transactions (id, journal_id, template, effective_date, correlation_id,"
            " description, metadata, recorded_at, global_position, tx_id) VALUES (%s, gen_random_uuid(),"
            " 'DEPOSIT', current_date, %s, 'deposit', '{}', now(), 3, 2)",
            (transaction, deposit),
        )
        conn.execute(
            "INSERT INTO raw.ledger_entries (transaction_id, entry_index, account_id, side, amount, currency,"
            " effective_date, recorded_at, tx_id) VALUES (%(t)s, 0, gen_random_uuid(), 'debit', 40000,"
            " 'USD', current_date, now(), 2), (%(t)s, 1, gen_random_uuid(), 'credit', 40000, 'USD',"
            " current_date, now(), 2)",
            {"t": transaction},
        )
    (suite,) = [s for s in quality.raw_suites("raw") if s.table == "deposit_events"]
    (outcome,) = quality.validate(sqlalchemy_url(warehouse_url), [suite])
    assert outcome.failures == [
        "1 row(s): deposit 'initialized' events without their DEPOSIT ledger transaction for the same "
        f"amount, e.g. id={deposit}, event_type=initialized, event_amount=50000, "
        f"ledger_transaction_id={transaction}, ledger_debits=40000",
    ]
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("UPDATE raw.ledger_entries SET amount = 50000")
    (outcome,) = quality.validate(sqlalchemy_url(warehouse_url), [suite])
    assert outcome.passed, outcome.failures


def test_the_raw_checks_read_each_row_until_it_passes_and_then_only_newer_rows(warehouse_url: str) -> None:
    """Marks per raw table (orchestration/checked_rows.py): a passing suite is not run on its rows
    again; a failing one is, until they pass; new suites or a table restored to fewer rows are
    read whole again; with no row past the marks, nothing is read."""
    from orchestration.quality import checked_rows
    from orchestration.resources import Warehouse

    prepare_raw_schema(warehouse_url, "raw")
    store = checked_rows.PostgresMarks(warehouse_url)
    raw = Warehouse(url=warehouse_url)
    (suite,) = [s for s in quality.raw_suites("raw") if s.table == "btc_price_events"]
    version = quality.raw_suites_version()

    def price(tx_id: int, cents: int) -> None:
        with psycopg.connect(warehouse_url) as conn:
            conn.execute(
                "INSERT INTO raw.btc_price_events (id, sequence, event_type, event, recorded_at,"
                " global_position, tx_id) VALUES (gen_random_uuid(), 1, 'price_updated',"
                " jsonb_build_object('price_cents', %s), now(), %s, %s)",
                (cents, tx_id, tx_id),
            )

    def marks(suites_version: str = version) -> checked_rows.Marks:
        return checked_rows.Marks.read(store, raw, [suite.table], suites_version, {})

    def check(suites_version: str = version) -> tuple[bool, str]:
        plan = checked_rows.plan([suite], marks(suites_version))
        (outcome,) = quality.validate(sqlalchemy_url(warehouse_url), plan.suites)
        checked_rows.record_passed(store, plan, [outcome])
        return outcome.passed, plan.rows_read(suite.table)

    assert marks().nothing_new()  # an empty table
    assert check() == (True, "no rows yet")
    price(10, 100_000_00)
    assert not marks().nothing_new()
    assert check() == (True, "all rows (newest transaction 10)")
    assert marks().nothing_new()
    assert not marks("other suites").nothing_new()
    price(5, -1)  # behind the mark: never read again by the same suites
    price(12, 101_000_00)
    # A load still running (watermark 11) may have committed newer rows before older: no mark past it.
    assert checked_rows.Marks.read(store, raw, [suite.table], version, {suite.table: 11}).newest == {
        suite.table: 11
    }
    assert check() == (True, "rows from transaction 10 on (earlier ones passed before)")
    price(20, -2)
    assert check() == (False, "rows from transaction 12 on (earlier ones passed before)")
    assert not marks().nothing_new()  # the failed rows are still to pass
    assert check() == (False, "rows from transaction 12 on (earlier ones passed before)")
    assert check("other suites") == (False, "all rows (newest transaction 20)")  # new suites read it all
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("DELETE FROM raw.btc_price_events WHERE tx_id >= 10")  # restored from an older copy
    price(7, 99_000_00)
    assert check() == (False, "all rows (newest transaction 7)")  # the row of transaction 5 again
    assert store.read()["btc_price_events"].checked_through == 12


def test_suites_run_side_by_side_report_what_one_at_a_time_reports(warehouse_url: str) -> None:
    """The raw suites run in two threads: every outcome comes back in the suites' order, the
    same as when they run one after the other (here a ghost deposit fails its table's suite)."""
    prepare_raw_schema(warehouse_url, "raw")
    with psycopg.connect(warehouse_url) as conn:
        _initialized(conn, "deposit_events", {"amount": 100}, str(uuid.uuid4()))
    suites = quality.raw_suites("raw")
    side_by_side = quality.validate(sqlalchemy_url(warehouse_url), suites, workers=2)
    assert [o.suite for o in side_by_side] == [s.name for s in suites]
    assert [o.table for o in side_by_side if not o.passed] == ["deposit_events", "ledger_accounts"]
    assert side_by_side == quality.validate(sqlalchemy_url(warehouse_url), suites, workers=1)
