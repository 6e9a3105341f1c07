"""Commands racing for one balance on a real server: a funds check and its posting see the same,
current balance, so money is never created and no command fails with a bare database error."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from uuid import UUID, uuid4

import psycopg
import pytest

from core_app.adapters.unit_of_work import PostgresDatabase as Database
from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock, RandomIds
from core_app.domain import postings
from core_app.domain.errors import DomainError, InsufficientFunds
from core_app.domain.ledger import deposit_account_ledger
from tests.helpers import customer_with_account, row_counts


def _race(core_url: str, account: UUID, commands: list[Callable[[Bank], object]]) -> list[object]:
    """Run each command in its own thread and connection, all queued behind one lock on the
    account's balance (so each statement's snapshot predates the commits it then waits for), and
    release them together; what each returned or raised."""
    outcomes: list[object] = [None] * len(commands)
    banks = [
        Bank.connect(core_url, BusinessClock.at_start_of(date(2025, 1, 1)), RandomIds()) for _ in commands
    ]
    blocker = psycopg.connect(core_url)
    blocker.execute(
        "SELECT 1 FROM ledger_current_balances WHERE account_id = %s FOR UPDATE",
        (deposit_account_ledger(account).id,),
    )

    def run(index: int) -> None:
        try:
            outcomes[index] = commands[index](banks[index])
        except Exception as error:  # what the caller would see
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(commands))]
    for thread in threads:
        thread.start()
    _wait_for_lock_waiters(core_url, len(commands))
    blocker.commit()
    blocker.close()
    for thread in threads:
        thread.join(timeout=60)
    for bank in banks:
        bank.close()
    return outcomes


def _wait_for_lock_waiters(core_url: str, count: int) -> None:
    with psycopg.connect(core_url, autocommit=True) as conn:
        for _ in range(600):
            (waiting,) = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            ).fetchone()
            if waiting >= count:
                return
            time.sleep(0.01)
    raise AssertionError(f"only {waiting} of {count} commands queued on the balance")


def _balance_and_history(core_url: str, account: UUID) -> tuple[int, list[int], list[int]]:
    ledger_account = deposit_account_ledger(account).id
    with psycopg.connect(core_url) as conn:
        (balance,) = conn.execute(
            "SELECT balance FROM ledger_current_balances WHERE account_id = %s", (ledger_account,)
        ).fetchone()
        history = conn.execute(
            "SELECT version, balance FROM ledger_balance_history WHERE account_id = %s ORDER BY version",
            (ledger_account,),
        ).fetchall()
    return balance, [v for v, _ in history], [b for _, b in history]


def test_two_withdrawals_queued_on_one_balance_cannot_both_spend_it(bank: Bank, core_url: str) -> None:
    """The issue's case: 1,000.00 in the account, two withdrawals of 600.00, the second waiting for
    the first's lock. Exactly one is accepted; the other is refused for want of funds."""
    _, account = customer_with_account(bank)
    bank.deposits.deposit(account, 1_000_00)
    outcomes = _race(core_url, account, [lambda b: b.deposits.initiate_withdrawal(account, 600_00)] * 2)
    accepted = [o for o in outcomes if isinstance(o, UUID)]
    refused = [o for o in outcomes if isinstance(o, InsufficientFunds)]
    assert (len(accepted), len(refused)) == (1, 1), outcomes
    assert "exceeds the available balance of 40000 cents" in str(refused[0])
    assert _balance_and_history(core_url, account)[0] == 400_00


def test_many_withdrawals_against_one_balance_accept_exactly_the_affordable_ones(
    bank: Bank, core_url: str
) -> None:
    _, account = customer_with_account(bank)
    bank.deposits.deposit(account, 1_000_00)
    outcomes = _race(core_url, account, [lambda b: b.deposits.initiate_withdrawal(account, 150_00)] * 10)
    assert sum(isinstance(o, UUID) for o in outcomes) == 6  # 6 x 150.00 = 900.00 of 1,000.00
    assert all(isinstance(o, UUID | InsufficientFunds) for o in outcomes), outcomes
    balance, versions, balances = _balance_and_history(core_url, account)
    assert balance == 100_00
    assert versions == list(range(1, 8)) and min(balances) >= 0


def test_concurrent_deposits_to_one_account_all_succeed(bank: Bank, core_url: str) -> None:
    """A deposit that waited for another's lock moves the balance from what that one committed
    (before, it wrote a history version already taken: a bare UniqueViolation)."""
    _, account = customer_with_account(bank)
    outcomes = _race(
        core_url, account, [lambda b, n=n: b.deposits.deposit(account, n * 1_00) for n in range(1, 13)]
    )
    assert all(isinstance(o, UUID) for o in outcomes), outcomes
    balance, versions, balances = _balance_and_history(core_url, account)
    assert balance == sum(range(1, 13)) * 1_00
    assert versions == list(range(1, 13)) and balances == sorted(balances)


def test_deposits_and_withdrawals_interleaved_never_overdraw(bank: Bank, core_url: str) -> None:
    _, account = customer_with_account(bank)
    bank.deposits.deposit(account, 100_00)
    commands: list[Callable[[Bank], object]] = []
    for _ in range(6):
        commands.append(lambda b: b.deposits.initiate_withdrawal(account, 70_00))
        commands.append(lambda b: b.deposits.deposit(account, 10_00))
    outcomes = _race(core_url, account, commands)
    assert all(isinstance(o, UUID | InsufficientFunds) for o in outcomes), outcomes
    withdrawn = 70_00 * sum(isinstance(o, UUID) for o in outcomes[0::2])
    balance, _, balances = _balance_and_history(core_url, account)
    assert balance == 100_00 + 6 * 10_00 - withdrawn
    assert min(balances) >= 0


def test_the_ledger_refuses_a_posting_that_overdraws_a_customer_account(
    bank: Bank, core_url: str, clock: BusinessClock
) -> None:
    """The ledger's own guard, behind the withdrawal's funds check: a posting that would leave a
    customer's deposits below zero is refused, naming the account, and nothing is written."""
    _, account = customer_with_account(bank)
    bank.deposits.deposit(account, 50_00)
    before = row_counts(core_url)
    db = Database(core_url, clock)
    code = deposit_account_ledger(account).code
    with (
        pytest.raises(InsufficientFunds, match=f"account {code} at -1 minor units of USD"),
        db.unit_of_work() as uow,
    ):
        uow.post(postings.withdrawal_initiated(uuid4(), uuid4(), account, 50_01, clock.now().date()))
        uow.commit()
    db.close()
    assert row_counts(core_url) == before


def test_a_command_that_times_out_waiting_for_a_lock_is_a_domain_error(bank: Bank, core_url: str) -> None:
    _, account = customer_with_account(bank)
    bank.deposits.deposit(account, 10_00)
    blocker = psycopg.connect(core_url)
    blocker.execute(
        "SELECT 1 FROM ledger_current_balances WHERE account_id = %s FOR UPDATE",
        (deposit_account_ledger(account).id,),
    )
    bank.db.conn.execute("SET lock_timeout = '200ms'")  # type: ignore[attr-defined]
    try:
        with pytest.raises(DomainError, match="met a concurrent one and was rolled back; retry"):
            bank.deposits.initiate_withdrawal(account, 1_00)
    finally:
        blocker.rollback()
        blocker.close()
    bank.deposits.initiate_withdrawal(account, 1_00)  # the connection is usable again
