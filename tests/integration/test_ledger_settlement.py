"""Accounts settled after commit (cash, income, fees, collateral owed) on a real server: commands of
different customers do not wait for each other, and the settlement brings every committed entry
into the running balances exactly once, however late its command committed."""

from __future__ import annotations

import time
from uuid import uuid4

import psycopg
import pytest

from core_app.adapters.ledger_store import LARGEST_STORED_AMOUNT, SETTLED_ACCOUNT_CEILING
from core_app.adapters.unit_of_work import PostgresDatabase as Database
from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock
from core_app.domain import postings
from core_app.domain.errors import LimitExceeded
from core_app.domain.ledger import CASH, COLLATERAL_OWED
from tests.helpers import active_facility, customer_with_account, row_counts


def _cash(core_url: str) -> dict[str, object]:
    with psycopg.connect(core_url) as conn:
        entries = conn.execute(
            "SELECT count(*), coalesce(sum(CASE WHEN side = 'debit' THEN amount ELSE -amount END), 0) "
            "FROM ledger_entries WHERE account_id = %s",
            (CASH.id,),
        ).fetchone()
        current = conn.execute(
            "SELECT version, balance FROM ledger_current_balances WHERE account_id = %s", (CASH.id,)
        ).fetchone()
        history = conn.execute(
            "SELECT version, transaction_id FROM ledger_balance_history WHERE account_id = %s "
            "ORDER BY version",
            (CASH.id,),
        ).fetchall()
    return {"entries": entries, "current": current, "history": history}


def _settle(db: Database, expected: int, seconds: float = 60) -> int:
    """Settle until `expected` entries are (or the time is up); how many were. The horizon is the
    oldest transaction running on the whole server (transaction ids are the cluster's): work in
    another database of it (another test's, the warehouse's) may hold it back a while."""
    settled, deadline = 0, time.monotonic() + seconds
    while True:
        settled += db.settle_ledger()
        if settled >= expected or time.monotonic() > deadline:
            return settled
        time.sleep(0.05)


def test_a_deposit_does_not_wait_for_another_customers_open_deposit(
    bank: Bank, core_url: str, clock: BusinessClock
) -> None:
    _, first_account = customer_with_account(bank)
    _, second_account = customer_with_account(bank, email="bob@example.com")
    bank.db.settle_ledger()
    start = _cash(core_url)["current"]

    slow = Database(core_url, clock)
    uow = slow.unit_of_work().__enter__()
    late_txn = postings.deposit_received(uuid4(), uuid4(), first_account, 300_00, clock.now().date())
    uow.post(late_txn)
    uow.commit()  # written, not yet committed: its transaction stays open

    # Another customer's deposit goes through at once (it would wait on the cash account's row
    # until the first commits, if commands still moved that row).
    bank.db.conn.execute("SET lock_timeout = '2s'")  # type: ignore[attr-defined]
    bank.deposits.deposit(second_account, 100_00)
    # The open transaction began first: nothing after it can be settled yet.
    assert bank.db.settle_ledger() == 0

    uow.__exit__(None, None, None)  # the slow deposit commits last
    slow.close()
    assert _settle(bank.db, 2) == 2
    assert bank.db.settle_ledger() == 0  # nothing settled twice

    cash = _cash(core_url)
    assert cash["entries"] == (2, 400_00)
    assert cash["current"] == (start[0] + 2, start[1] + 400_00)  # type: ignore[index]
    versions = [v for v, _ in cash["history"]]  # type: ignore[union-attr]
    assert versions == list(range(1, len(versions) + 1))
    # In the order the transactions began writing: the late one first.
    assert cash["history"][-2][1] == late_txn.id  # type: ignore[index]


def test_an_open_command_holds_back_only_the_settlement_of_what_follows_it(
    bank: Bank, core_url: str, clock: BusinessClock
) -> None:
    _, account = customer_with_account(bank)
    bank.deposits.deposit(account, 50_00)  # before the open transaction: settled while it is open
    slow = Database(core_url, clock)
    uow = slow.unit_of_work().__enter__()
    uow.post(postings.deposit_received(uuid4(), uuid4(), account, 1_00, clock.now().date()))
    uow.commit()
    try:
        assert _settle(bank.db, 1) == 1
        assert _cash(core_url)["current"] == (1, 50_00)
    finally:
        uow.__exit__(None, None, None)
        slow.close()
    assert _settle(bank.db, 1) == 1
    assert _cash(core_url)["current"] == (2, 51_00)


def test_the_end_of_day_settles_the_day(bank: Bank, core_url: str, clock: BusinessClock) -> None:
    _, account = customer_with_account(bank)
    bank.treasury.record_price(100_000_00)
    bank.deposits.deposit(account, 70_00)
    assert _cash(core_url)["current"] == (0, 0)  # not moved by the command
    report = bank.end_of_day.run(clock.now().date())
    assert report.settled_entries + _settle(bank.db, 1 - report.settled_entries) == 1
    assert _cash(core_url)["current"] == (1, 70_00)


def _set_totals(core_url: str, account_code: str, total: int) -> None:
    """Move an account's settled running totals to the brink (no real bank gets there)."""
    with psycopg.connect(core_url) as conn:
        conn.execute(
            "UPDATE ledger_current_balances b SET debit_total = %(t)s, credit_total = %(t)s "
            "FROM ledger_accounts a WHERE a.id = b.account_id AND a.code = %(code)s",
            {"t": total, "code": account_code},
        )


def test_a_command_leaves_half_of_a_settled_later_account_for_the_rest_of_the_day(
    bank: Bank, core_url: str, clock: BusinessClock
) -> None:
    """A command moves an account settled after commit from its last settled total, not from what
    other commands posted since: it may take it only to SETTLED_ACCOUNT_CEILING, so the settlement
    always has room for the day's other entries. Refused as a domain error naming the account;
    the end-of-day still runs."""
    borrower = active_facility(bank)
    _set_totals(core_url, COLLATERAL_OWED.code, SETTLED_ACCOUNT_CEILING - 10)
    before = row_counts(core_url)
    with pytest.raises(LimitExceeded, match=f"account {COLLATERAL_OWED.code}'s running total would exceed"):
        bank.credit.update_collateral(borrower.facility_id, 15_000_011)
    assert row_counts(core_url) == before
    bank.credit.update_collateral(borrower.facility_id, 15_000_010)  # up to the ceiling is fine
    settled = bank.end_of_day.run(clock.now().date()).settled_entries
    assert settled + _settle(bank.db, 2 - settled) == 2


def test_a_settlement_that_cannot_store_a_total_names_the_account_and_settles_nothing(
    bank: Bank, core_url: str
) -> None:
    borrower = active_facility(bank)
    bank.credit.update_collateral(borrower.facility_id, 15_000_100)  # 100 sats to settle
    _set_totals(core_url, COLLATERAL_OWED.code, LARGEST_STORED_AMOUNT - 50)
    before = row_counts(core_url)
    with pytest.raises(LimitExceeded) as refused:
        _settle(bank.db, 1)
    assert f"the ledger cannot settle: account {COLLATERAL_OWED.code}'s running total" in str(refused.value)
    assert "the largest amount the ledger stores" in str(refused.value)
    assert "Nothing was settled; every entry is stored" in str(refused.value)
    assert row_counts(core_url) == before
