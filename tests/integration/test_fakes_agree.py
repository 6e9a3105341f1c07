"""The in-memory fakes the service tests use (tests/unit/fakes.py) behave as the PostgreSQL
adapters do: the same simulated year on both writes the same events and the same balances."""

from __future__ import annotations

import psycopg

from core_app.application.clock import BusinessClock
from core_app.domain.catalog import AGGREGATE_TYPES
from core_app.simulator import SimulationConfig, Simulator, simulate
from tests.unit.fakes import fake_bank


def test_a_simulation_on_the_fakes_writes_what_postgresql_stores(core_url: str) -> None:
    config = SimulationConfig(customers=25, days=150, seed=11)
    simulate(core_url, config, progress=lambda _: None)
    clock = BusinessClock.at_start_of(config.start)
    bank, db = fake_bank(clock, config.seed)
    Simulator(bank, clock, config, progress=lambda _: None).run()

    stored: dict[tuple[str, str], list] = {}
    with psycopg.connect(core_url) as conn:
        for aggregate in sorted(AGGREGATE_TYPES):
            for aggregate_id, payload in conn.execute(
                f"SELECT id, event FROM {aggregate}_events ORDER BY id, sequence"
            ):
                stored.setdefault((aggregate, str(aggregate_id)), []).append(payload)
        balances = dict(
            conn.execute("SELECT account_id, balance FROM ledger_current_balances WHERE version > 0")
        )
    faked = {(a, str(i)): [e.to_json() for e in events] for (a, i), events in db.streams.items()}
    assert len(stored) > 500 and faked.keys() == stored.keys()
    assert [k for k in stored if faked[k] != stored[k]] == []
    used = {e.account.id for t in db.ledger.transactions for e in t.entries}
    assert {a: db.ledger.balance(a) for a in used} == balances
