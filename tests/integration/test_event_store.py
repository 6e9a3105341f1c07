"""The event store on a real server: concurrency, append-only tables, replay, the outbox."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest

from core_app.adapters.event_store import PostgresEventStore
from core_app.adapters.unit_of_work import PostgresDatabase as Database
from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock
from core_app.domain.credit_facility import CreditFacility
from core_app.domain.customer import Customer
from core_app.domain.errors import ConcurrencyConflict
from tests.helpers import active_facility, customer_with_account, row_counts


def test_concurrent_writers_on_one_aggregate_conflict_cleanly(
    bank: Bank, core_url: str, clock: BusinessClock
) -> None:
    customer_id = bank.customers.onboard(
        name="Ann Lee", email="ann@example.com", phone="1", country="US", tax_id="1"
    )
    first, second = Database(core_url, clock), Database(core_url, clock)
    with second.unit_of_work() as uow_b:
        stale = uow_b.load(Customer, customer_id)  # version 1, before A writes
        with first.unit_of_work() as uow_a:
            uow_a.load(Customer, customer_id).approve_kyc()
            uow_a.commit()
        before = row_counts(core_url)
        stale.decline_kyc("duplicate application")
        with pytest.raises(ConcurrencyConflict, match=f"customer {customer_id} \\(at version 1\\)"):
            uow_b.commit()
    assert row_counts(core_url) == before
    stored = PostgresEventStore(first.conn).load(Customer, customer_id)
    assert stored.kyc_status.value == "approved" and stored.version == 2
    first.close()
    second.close()


def test_stale_writer_fails_while_the_first_is_still_open(core_url: str, clock: BusinessClock) -> None:
    """Two open transactions append the same sequence: the second fails once the first commits."""
    import threading

    setup = Bank.connect(core_url, clock)
    customer_id = setup.customers.onboard(
        name="Bo Chen", email="bo@example.com", phone="1", country="US", tax_id="2"
    )
    setup.close()
    first, second = Database(core_url, clock), Database(core_url, clock)
    outcome: dict[str, BaseException | None] = {}
    uow_a = first.unit_of_work().__enter__()
    uow_a.load(Customer, customer_id).approve_kyc()
    uow_a.commit()  # events written, transaction still open: B will wait on the unique index

    def writer_b() -> None:
        try:
            with second.unit_of_work() as uow_b:
                uow_b.load(Customer, customer_id).decline_kyc("second opinion")
                uow_b.commit()
            outcome["b"] = None
        except BaseException as exc:
            outcome["b"] = exc

    thread = threading.Thread(target=writer_b)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive(), "the second writer should wait for the first transaction"
    uow_a.__exit__(None, None, None)
    thread.join(timeout=10)
    assert isinstance(outcome["b"], ConcurrencyConflict)
    with psycopg.connect(core_url) as conn:
        rows = conn.execute(
            "SELECT sequence, event_type FROM customer_events WHERE id = %s ORDER BY 1", (customer_id,)
        ).fetchall()
    assert rows == [(1, "initialized"), (2, "kyc_approved")]
    first.close()
    second.close()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE customer_events SET event_type = 'tampered'",
        "DELETE FROM customer_events",
        "TRUNCATE customer_events",
        "UPDATE outbox_events SET event_name = 'x'",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transactions SET description = 'x'",
        "TRUNCATE ledger_balance_history CASCADE",
    ],
)
def test_events_and_ledger_history_cannot_be_changed(bank: Bank, core_url: str, statement: str) -> None:
    _, account_id = customer_with_account(bank)
    bank.deposits.deposit(account_id, 100_00)
    before = row_counts(core_url)
    with (
        psycopg.connect(core_url) as conn,
        pytest.raises(psycopg.errors.RestrictViolation, match="append-only"),
    ):
        conn.execute(statement)
    assert row_counts(core_url) == before


def test_replaying_events_rebuilds_the_aggregate(bank: Bank, clock: BusinessClock, core_url: str) -> None:
    borrower = active_facility(bank)
    bank.credit.disburse(borrower.facility_id, 6_000_00)
    for _ in range(40):
        bank.end_of_day.run(clock.now().date())
        clock.advance(timedelta(days=1))
    bank.credit.pay(borrower.facility_id, bank.credit.amount_due(borrower.facility_id))
    bank.credit.update_collateral(borrower.facility_id, 16_000_000)

    with psycopg.connect(core_url) as conn:
        rows = conn.execute(
            "SELECT event_type, event FROM credit_facility_events WHERE id = %s ORDER BY sequence",
            (borrower.facility_id,),
        ).fetchall()
    from core_app.domain.events import event_from_json

    replayed = CreditFacility.rehydrate(
        borrower.facility_id, [event_from_json("credit_facility", t, e) for t, e in rows]
    )
    assert replayed == bank.credit.facility(borrower.facility_id)
    assert replayed.principal_outstanding == 6_000_00
    assert replayed.collateral_sats == 16_000_000
    assert replayed.activated_on == date(2025, 1, 1)
    assert replayed.current_cycle is not None and replayed.current_cycle.idx == 1
    assert replayed.version == len(rows)


def test_outbox_gets_public_events_without_personal_data(bank: Bank, core_url: str) -> None:
    customer_id, account_id = customer_with_account(bank)
    bank.deposits.deposit(account_id, 250_00, "salary")
    with psycopg.connect(core_url) as conn:
        outbox = conn.execute(
            "SELECT o.event_name, o.payload, o.global_position = e.global_position, o.tx_id = e.tx_id "
            "FROM outbox_events o JOIN customer_events e "
            "ON e.id = o.aggregate_id AND e.sequence = o.sequence WHERE o.aggregate_id = %s "
            "ORDER BY o.sequence",
            (customer_id,),
        ).fetchall()
        private = conn.execute(
            "SELECT count(*) FROM customer_events WHERE event_type = 'kyc_approved'"
        ).fetchone()
    assert [name for name, *_ in outbox] == ["customer.created", "customer.kyc_approved"]
    created = outbox[0][1]
    assert created == {"country": "US", "customer_type": "individual"}
    assert all(same_position and same_tx for _, _, same_position, same_tx in outbox)
    assert private == (1,)


def test_cached_aggregates_catch_up_with_other_writers(core_url: str, clock: BusinessClock) -> None:
    """A process's aggregate cache never hides events written by another process."""
    ours, theirs = Bank.connect(core_url, clock), Bank.connect(core_url, clock)
    borrower = active_facility(ours)
    before = ours.credit.facility(borrower.facility_id)  # now cached by `ours`
    theirs.credit.disburse(borrower.facility_id, 2_000_00)
    after = ours.credit.facility(borrower.facility_id)
    assert after.principal_outstanding == 2_000_00
    assert after.version > before.version
    # What a caller does to a loaded aggregate does not leak into the cache.
    after.obligation_ids.clear()
    assert len(ours.credit.facility(borrower.facility_id).obligation_ids) == 1
    # A refused command leaves the cache as it was.
    with pytest.raises(ConcurrencyConflict), ours.db.unit_of_work() as uow:
        facility = uow.load(CreditFacility, borrower.facility_id)
        facility.update_collateral(20_000_000, 100_000_00)
        theirs.credit.update_collateral(borrower.facility_id, 18_000_000)
        uow.commit()
    assert ours.credit.facility(borrower.facility_id).collateral_sats == 18_000_000
    ours.close()
    theirs.close()


def test_the_aggregates_agree_in_the_domain_the_schema_the_tap_and_the_checks(core_url: str) -> None:
    """The aggregate list lives in the domain's catalog; the migrations' event tables, the tap's
    streams and the registered event types must follow it (a new aggregate fails here until all do)."""
    from tap_lana_events.tables import AGGREGATES as EXTRACTED

    from core_app.domain.catalog import AGGREGATE_TYPES
    from core_app.domain.events import registered_events

    with psycopg.connect(core_url) as conn:
        tables = {
            row[0].removesuffix("_events")
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE '%\\_events'"
            )
        }
    assert tables - {"outbox"} == set(AGGREGATE_TYPES)
    assert set(EXTRACTED) == set(AGGREGATE_TYPES)
    assert {aggregate for aggregate, _ in registered_events()} == set(AGGREGATE_TYPES)


def test_the_price_in_force_on_a_day_is_the_last_recorded_by_its_end(
    bank: Bank, clock: BusinessClock
) -> None:
    """What the end of day values collateral at when it closes a day late (and the warehouse as of
    that date): never a price recorded after the day, whatever has been recorded since."""
    start = clock.now()
    read = bank.ctx.db.read
    assert read.price_on(start.date()) is None
    bank.treasury.record_price(100_000_00)
    clock.set(start.replace(hour=23, minute=59))
    bank.treasury.record_price(90_000_00)
    clock.set(start + timedelta(days=2))
    bank.treasury.record_price(80_000_00)
    assert [read.price_on(start.date() + timedelta(days=d)) for d in (-1, 0, 1, 2)] == [
        None,
        90_000_00,
        90_000_00,
        80_000_00,
    ]
