"""Throughput of the core's write path, on the embedded server (or LANA_DATABASE_URL's).

    python benchmarks/write_path.py --customers 200 --days 365

Prints events/s and ledger entries/s for three workloads, each in a fresh database:
  1. single commands: deposits, one database transaction each (durable commits, as in production);
     1b. the same from one writer process, then from several at once (all move the cash account);
  2. the end-of-day batch: daily interest accrual of many facilities;
  3. the whole simulation (commands, reads and end of day), as `lana-core simulate` runs it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
import uuid
from datetime import date, timedelta
from typing import Any

import psycopg

from core_app.adapters.schema import prepare_database
from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock, SeededIds
from core_app.config import resolve_databases, with_database
from core_app.domain.terms import FacilityTerms
from core_app.simulator import SimulationConfig, simulate


def fresh_database(admin_url: str) -> tuple[str, str]:
    name = f"lana_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = with_database(admin_url, name)
    prepare_database(url)
    return name, url


def report(label: str, events: int, entries: int, seconds: float) -> None:
    print(
        f"{label:<44} {events:>9,} events {entries:>9,} entries {seconds:>7.1f} s "
        f"{events / seconds:>8,.0f} events/s {entries / seconds:>8,.0f} entries/s"
    )


def _deposit_accounts(bank: Bank, count: int) -> list[uuid.UUID]:
    """`count` deposit accounts of one approved customer."""
    customer = bank.customers.onboard(
        name="Bench", email="b@example.com", phone="1", country="US", tax_id="1"
    )
    bank.customers.approve_kyc(customer)
    return [bank.customers.open_deposit_account(customer) for _ in range(count)]


def _deposit_round_robin(bank: Bank, accounts: list[uuid.UUID], count: int) -> None:
    for i in range(count):
        bank.deposits.deposit(accounts[i % len(accounts)], 100 + i)


def bench_deposits(url: str, count: int) -> None:
    clock = BusinessClock.at_start_of(date(2025, 1, 1))
    bank = Bank.connect(url, clock, SeededIds(1))
    accounts = _deposit_accounts(bank, 50)
    stats = bank.db.stats
    e0, l0 = stats.events, stats.ledger_entries
    started = time.perf_counter()
    _deposit_round_robin(bank, accounts, count)
    report(
        "1. deposits, one durable commit each",
        stats.events - e0,
        stats.ledger_entries - l0,
        time.perf_counter() - started,
    )
    bank.close()


def bench_concurrent_deposits(url: str, count: int, writers: int) -> None:
    """The same deposits from several processes at once (as several application servers would),
    each on accounts of its own.

    Every deposit also moves the bank's cash account; that account is settled after commit, so no
    deposit waits for another customer's to commit: this shows whether independent customers'
    commands still queue behind each other.
    """
    clock = BusinessClock.at_start_of(date(2025, 1, 1))
    setup = Bank.connect(url, clock, SeededIds(3))
    accounts = _deposit_accounts(setup, writers * 10)
    setup.close()
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(writers + 1)
    written = context.Queue()
    processes = [
        context.Process(
            target=_deposit_writer, args=(url, accounts[w::writers], count // writers, 10 + w, ready, written)
        )
        for w in range(writers)
    ]
    for process in processes:
        process.start()
    ready.wait()
    started = time.perf_counter()
    totals = [written.get() for _ in processes]
    seconds = time.perf_counter() - started
    for process in processes:
        process.join()
    events, entries = (sum(column) for column in zip(*totals, strict=True))
    label = "1b. deposits, 1 writer process" if writers == 1 else f"1b. deposits, {writers} writer processes"
    report(label, events, entries, seconds)


def _deposit_writer(
    url: str, accounts: list[uuid.UUID], count: int, seed: int, ready: Any, written: Any
) -> None:
    clock = BusinessClock.at_start_of(date(2025, 1, 1))
    bank = Bank.connect(url, clock, SeededIds(seed))
    ready.wait()
    _deposit_round_robin(bank, accounts, count)
    written.put((bank.db.stats.events, bank.db.stats.ledger_entries))
    bank.close()


def bench_end_of_day(url: str, facilities: int, days: int) -> None:
    clock = BusinessClock.at_start_of(date(2025, 1, 1))
    bank = Bank.connect(url, clock, SeededIds(2))
    terms = FacilityTerms.parse(
        annual_rate_bps=1200,
        duration_months=12,
        disbursal_fee_bps=0,
        initial_cvl_bps=14_000,
        margin_call_cvl_bps=12_500,
        liquidation_cvl_bps=11_000,
    )
    bank.treasury.record_price(100_000_00)
    for _ in range(facilities):
        customer = bank.customers.onboard(
            name="B", email="b@example.com", phone="1", country="US", tax_id="1"
        )
        bank.customers.approve_kyc(customer)
        account = bank.customers.open_deposit_account(customer)
        facility = bank.credit.propose(customer, account, 10_000_00, terms)
        bank.credit.approve(facility)
        bank.credit.update_collateral(facility, 20_000_000)
        bank.credit.activate(facility)
        bank.credit.disburse(facility, 10_000_00)
    stats = bank.db.stats
    e0, l0 = stats.events, stats.ledger_entries
    started = time.perf_counter()
    for _ in range(days):
        bank.end_of_day.run(clock.now().date())
        clock.advance(timedelta(days=1))
    report(
        f"2. end of day, {facilities} facilities x {days} days",
        stats.events - e0,
        stats.ledger_entries - l0,
        time.perf_counter() - started,
    )
    bank.close()


def bench_simulation(url: str, customers: int, days: int) -> None:
    result = simulate(url, SimulationConfig(customers=customers, days=days, seed=7), progress=lambda _: None)
    report(
        f"3. simulation, {customers} customers x {days} days",
        result.events,
        result.ledger_entries,
        result.seconds,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--deposits", type=int, default=3_000)
    parser.add_argument("--facilities", type=int, default=300)
    parser.add_argument("--writers", type=int, default=4, help="concurrent writer processes in workload 1b")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each workload but the simulation")
    args = parser.parse_args()
    admin = with_database(resolve_databases().admin_url, "postgres")
    names = []
    # The short workloads are repeated: on a shared machine one run can be twice as slow as the next
    # (disk flushes), so read the spread, not one figure.
    short = [
        lambda url: bench_deposits(url, args.deposits),
        lambda url: bench_concurrent_deposits(url, args.deposits, 1),
        lambda url: bench_concurrent_deposits(url, args.deposits, args.writers),
        lambda url: bench_end_of_day(url, args.facilities, 60),
    ]
    try:
        for run in [w for w in short for _ in range(args.repeat)] + [
            lambda url: bench_simulation(url, args.customers, args.days)
        ]:
            name, url = fresh_database(admin)
            names.append(name)
            run(url)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
