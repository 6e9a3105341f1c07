"""The Great Expectations suites on a real warehouse: what a failure says."""

from __future__ import annotations

import psycopg
from tap_lana_events.warehouse import prepare_raw_schema

from core_app.config import sqlalchemy_url
from orchestration import quality


def test_an_amount_that_is_not_a_number_is_named_with_its_row(warehouse_url: str) -> None:
    prepare_raw_schema(warehouse_url, "raw")
    row = "6f1c0a52-0000-4000-8000-000000000002"
    with psycopg.connect(warehouse_url) as conn:
        conn.execute(
            "INSERT INTO raw.deposit_events (id, sequence, event_type, event, recorded_at, global_position,"
            " tx_id) VALUES (%s, 1, 'initialized', '{\"amount\": \"12,50\"}', now(), 1, 1)",
            (row,),
        )
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
        conn.execute(
            "INSERT INTO raw.deposit_events (id, sequence, event_type, event, recorded_at, global_position,"
            " tx_id) VALUES (%s, 1, 'initialized', jsonb_build_object('type', 'initialized', 'amount', 50000,"
            " 'deposit_account_id', %s::text, 'reference', 'ghost'), now(), 1, 1)",
            (ghost, nowhere),
        )
    (suite,) = [s for s in quality.raw_suites("raw") if s.table == "deposit_events"]
    (outcome,) = quality.validate(sqlalchemy_url(warehouse_url), [suite])
    assert sorted(outcome.failures) == [
        "1 row(s): deposit 'initialized' events without their DEPOSIT ledger transaction for the same "
        f"amount, e.g. id={ghost}, event_type=initialized, event_amount=50000, ledger_transaction_id=None, "
        "ledger_debits=None",
        "1 row(s): deposit events on a deposit account the core never opened, e.g. "
        f"id={ghost}, event_type=initialized, deposit_account_id={nowhere}",
    ]
