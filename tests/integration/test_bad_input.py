"""Every refused command names the problem and writes nothing at all."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from uuid import UUID, uuid4

import psycopg
import pytest

from core_app.adapters.unit_of_work import PostgresDatabase as Database
from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock
from core_app.domain import postings
from core_app.domain.errors import (
    DomainError,
    InsufficientFunds,
    InvalidAmount,
    InvalidInput,
    InvalidState,
    LimitExceeded,
    NotFound,
    UnbalancedTransaction,
)
from core_app.domain.ledger import CASH, SHARE_CAPITAL, Entry, LedgerTransaction, Side
from core_app.domain.money import MAX_AMOUNT, MAX_BTC_PRICE_CENTS, MAX_COLLATERAL_SATS
from tests.helpers import active_facility, customer_with_account, row_counts

Arrange = Callable[[Bank, BusinessClock], Callable[[], object]]


def _closed_facility(bank: Bank, clock: BusinessClock):
    borrower = active_facility(bank)
    bank.credit.disburse(borrower.facility_id, 1_000_00)
    for _ in range(100):  # the 3-month facility matures; pay everything as it falls due
        day = clock.now().date()
        if bank.credit.amount_due(borrower.facility_id):
            bank.credit.pay(borrower.facility_id, bank.credit.amount_due(borrower.facility_id))
        bank.end_of_day.run(day)
        clock.advance(timedelta(days=1))
    assert bank.credit.facility(borrower.facility_id).status.value == "closed"
    return borrower


def _account(bank: Bank) -> UUID:
    return customer_with_account(bank)[1]


def _deposit(amount: object) -> Arrange:
    def arrange(bank: Bank, clock: BusinessClock) -> Callable[[], object]:
        account = _account(bank)
        return lambda: bank.deposits.deposit(account, amount)  # type: ignore[arg-type]

    return arrange


def _deposit_to_unknown_account(bank: Bank, clock: BusinessClock) -> Callable[[], object]:
    return lambda: bank.deposits.deposit(uuid4(), 100)


def _disburse_above_limit(bank: Bank, clock: BusinessClock) -> Callable[[], object]:
    facility = active_facility(bank).facility_id
    return lambda: bank.credit.disburse(facility, 10_000_01)


def _pay_closed_facility(bank: Bank, clock: BusinessClock) -> Callable[[], object]:
    facility = _closed_facility(bank, clock).facility_id
    return lambda: bank.credit.pay(facility, 1_00)


def _account_before_kyc(bank: Bank, clock: BusinessClock) -> Callable[[], object]:
    customer = bank.customers.onboard(
        name="No Kyc", email="n@example.com", phone="1", country="US", tax_id="9"
    )
    return lambda: bank.customers.open_deposit_account(customer)


def _invalid_country(bank: Bank, clock: BusinessClock) -> Callable[[], object]:
    return lambda: bank.customers.onboard(
        name="A", email="a@example.com", phone="1", country="USA", tax_id="1"
    )


CASES: dict[str, tuple[type[DomainError], str, Arrange]] = {
    "negative deposit": (InvalidAmount, "deposit amount must be positive, got -500", _deposit(-500)),
    "zero deposit": (InvalidAmount, "deposit amount must be positive, got 0", _deposit(0)),
    "fractional deposit": (
        InvalidAmount,
        "deposit amount must be an integer number of minor units, got 10.5",
        _deposit(10.5),
    ),
    "deposit above the maximum per command": (
        InvalidAmount,
        "deposit amount 1,000,000,000,001 exceeds the maximum of 1,000,000,000,000 minor units per command",
        _deposit(MAX_AMOUNT + 1),
    ),
    "deposit of 2^63 (beyond the database's integers)": (
        InvalidAmount,
        "deposit amount 9,223,372,036,854,775,808 exceeds the maximum",
        _deposit(2**63),
    ),
    "a NUL character in a reference": (
        InvalidInput,
        "initialized reference contains a NUL character",
        lambda bank, clock: (lambda account: lambda: bank.deposits.deposit(account, 100, "ref\x00x"))(
            _account(bank)
        ),
    ),
    "a lone surrogate in a reference": (
        InvalidInput,
        r"initialized reference is not valid text: a lone surrogate \(U\+D800\) at position 3",
        lambda bank, clock: (lambda account: lambda: bank.deposits.deposit(account, 100, "ref\ud800"))(
            _account(bank)
        ),
    ),
    "collateral beyond every bitcoin there will ever be": (
        InvalidAmount,
        "collateral of 2,100,000,000,000,001 sats exceeds the maximum of 2,100,000,000,000,000 sats",
        lambda bank, clock: _set_collateral(bank, MAX_COLLATERAL_SATS + 1),
    ),
    "collateral of 5x10^18 sats (the value that stopped every end-of-day)": (
        InvalidAmount,
        "collateral of 5,000,000,000,000,000,000 sats exceeds the maximum",
        lambda bank, clock: _set_collateral(bank, 5 * 10**18),
    ),
    "collateral change above the maximum per command": (
        InvalidAmount,
        "collateral change \\(sats\\) 1,000,015,000,000 exceeds the maximum of 1,000,000,000,000 minor "
        "units per command",
        lambda bank, clock: _set_collateral(bank, MAX_AMOUNT + 30_000_000),
    ),
    "a BTC price beyond the bound": (
        InvalidAmount,
        "BTC price \\(USD cents per BTC\\) 10,000,000,001 exceeds the maximum of 10,000,000,000",
        lambda bank, clock: lambda: bank.treasury.record_price(MAX_BTC_PRICE_CENTS + 1),
    ),
    "withdrawal above the available balance": (
        InsufficientFunds,
        "withdrawal of 10001 cents exceeds the available balance of 10000 cents",
        lambda bank, clock: _withdraw_too_much(bank),
    ),
    "deposit to an unknown account": (
        NotFound,
        "deposit account .* does not exist",
        _deposit_to_unknown_account,
    ),
    "disbursal above the facility limit": (
        LimitExceeded,
        "disbursal of 1000001 cents exceeds the facility limit: 0 of 1000000 cents already disbursed",
        _disburse_above_limit,
    ),
    "payment on a closed facility": (
        InvalidState,
        "credit facility .* is closed, cannot take a payment",
        _pay_closed_facility,
    ),
    "deposit account opened before KYC": (InvalidState, "has KYC status pending", _account_before_kyc),
    "customer with an invalid country": (
        InvalidInput,
        "country 'USA' must be an ISO 3166-1 alpha-2 code",
        _invalid_country,
    ),
    "withdrawal confirmed twice": (
        InvalidState,
        "withdrawal .* is confirmed, cannot confirm",
        lambda bank, clock: _confirm_twice(bank),
    ),
}


def _set_collateral(bank: Bank, sats: int) -> Callable[[], object]:
    facility = active_facility(bank).facility_id  # holding 0.15 BTC (15,000,000 sats)
    return lambda: bank.credit.update_collateral(facility, sats)


def _withdraw_too_much(bank: Bank) -> Callable[[], object]:
    _, account = customer_with_account(bank)
    bank.deposits.deposit(account, 100_00)
    return lambda: bank.deposits.initiate_withdrawal(account, 100_01)


def _confirm_twice(bank: Bank) -> Callable[[], object]:
    _, account = customer_with_account(bank)
    bank.deposits.deposit(account, 100_00)
    withdrawal = bank.deposits.initiate_withdrawal(account, 50_00)
    bank.deposits.approve_withdrawal(withdrawal)
    bank.deposits.confirm_withdrawal(withdrawal)
    return lambda: bank.deposits.confirm_withdrawal(withdrawal)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_with_a_clear_error_and_no_write(
    case: str, bank: Bank, clock: BusinessClock, core_url: str
) -> None:
    error, message, arrange = CASES[case]
    command = arrange(bank, clock)
    before = row_counts(core_url)
    with pytest.raises(error, match=message):
        command()
    assert row_counts(core_url) == before


def test_posting_to_an_unknown_ledger_account_is_refused(core_url: str, clock: BusinessClock) -> None:
    from dataclasses import replace

    ghost = replace(CASH, id=uuid4(), code="1100.ghost")
    txn = LedgerTransaction(
        uuid4(),
        "TEST",
        clock.now().date(),
        uuid4(),
        "to nowhere",
        (Entry(ghost, Side.DEBIT, 100), Entry(SHARE_CAPITAL, Side.CREDIT, 100)),
    )
    before = row_counts(core_url)
    db = Database(core_url, clock)
    with (
        pytest.raises(NotFound, match=f"ledger account\\(s\\) {ghost.id} do not exist"),
        db.unit_of_work() as uow,
    ):
        uow.post(txn)
        uow.commit()
    db.close()
    assert row_counts(core_url) == before


def _write_transaction_by_hand(conn: psycopg.Connection, txn_id: UUID) -> None:
    """A ledger transaction row written behind the core (its entries are up to the caller)."""
    conn.execute(
        "INSERT INTO ledger_transactions (id, journal_id, template, effective_date, correlation_id, "
        "description, recorded_at) SELECT %s, id, 'HAND', '2025-01-01', %s, 'hand', now() "
        "FROM ledger_journals",
        (txn_id, uuid4()),
    )


def test_the_database_refuses_an_unbalanced_transaction_written_behind_the_core(core_url: str) -> None:
    """Even SQL that bypasses the domain cannot unbalance the ledger."""
    txn = postings.capital_injection(uuid4(), uuid4(), 100_00, date(2025, 1, 1))
    before = row_counts(core_url)
    with psycopg.connect(core_url) as conn, pytest.raises(psycopg.errors.CheckViolation) as caught:
        _write_transaction_by_hand(conn, txn.id)
        conn.execute(
            "INSERT INTO ledger_entries (transaction_id, entry_index, account_id, side, amount, currency, "
            "effective_date, recorded_at) VALUES "
            "(%s, 0, %s, 'debit', 100, 'USD', '2025-01-01', now()), "
            "(%s, 1, %s, 'credit', 99, 'USD', '2025-01-01', now())",
            (txn.id, CASH.id, txn.id, SHARE_CAPITAL.id),
        )
    assert re.search(r"does not balance in USD: debits - credits = 1", str(caught.value))
    assert row_counts(core_url) == before


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO ledger_entries (transaction_id, entry_index, account_id, side, amount, currency, "
        "effective_date, recorded_at) VALUES "
        "(%(txn)s, 0, %(ghost)s, 'debit', 1, 'USD', '2025-01-01', now()), "
        "(%(txn)s, 1, %(ghost)s, 'credit', 1, 'USD', '2025-01-01', now())",
        "INSERT INTO ledger_entries (transaction_id, entry_index, account_id, side, amount, currency, "
        "effective_date, recorded_at) VALUES "
        "(%(ghost)s, 0, %(cash)s, 'debit', 1, 'USD', '2025-01-01', now()), "
        "(%(ghost)s, 1, %(capital)s, 'credit', 1, 'USD', '2025-01-01', now())",
        "INSERT INTO ledger_balance_history (account_id, version, transaction_id, currency, debit_total, "
        "credit_total, balance, effective_date, recorded_at) "
        "VALUES (%(ghost)s, 1, %(txn)s, 'USD', 1, 0, 1, '2025-01-01', now())",
        "INSERT INTO ledger_balance_history (account_id, version, transaction_id, currency, debit_total, "
        "credit_total, balance, effective_date, recorded_at) "
        "VALUES (%(cash)s, 99999, %(ghost)s, 'USD', 1, 0, 1, '2025-01-01', now())",
    ],
    ids=["entry-account", "entry-transaction", "history-account", "history-transaction"],
)
def test_the_database_refuses_ledger_rows_that_refer_to_nothing(core_url: str, statement: str) -> None:
    """Entries and balance history are checked against their accounts and transactions once per
    statement (no per-row foreign key): a row referring to neither is refused all the same."""
    txn = uuid4()
    before = row_counts(core_url)
    with (
        psycopg.connect(core_url) as conn,
        pytest.raises(psycopg.errors.ForeignKeyViolation, match="does not exist"),
    ):
        _write_transaction_by_hand(conn, txn)
        conn.execute(statement, {"txn": txn, "ghost": uuid4(), "cash": CASH.id, "capital": SHARE_CAPITAL.id})
    assert row_counts(core_url) == before


def test_domain_refuses_unbalanced_before_the_database_sees_it() -> None:
    with pytest.raises(UnbalancedTransaction):
        LedgerTransaction(
            uuid4(),
            "TEST",
            date(2025, 1, 1),
            uuid4(),
            "x",
            (Entry(CASH, Side.DEBIT, 2), Entry(SHARE_CAPITAL, Side.CREDIT, 1)),
        )


def test_a_running_total_at_the_ledger_limit_refuses_the_posting_not_the_database(
    bank: Bank, core_url: str
) -> None:
    """The ledger's running totals are 64-bit: a posting that would pass the limit is refused as a
    domain error naming the account, before the database sees it; nothing is written."""
    _, account = customer_with_account(bank)
    bank.deposits.deposit(account, 100_00)
    with psycopg.connect(core_url) as conn:  # an account whose debits are at the brink
        conn.execute(
            "UPDATE ledger_current_balances b SET debit_total = %s FROM ledger_accounts a "
            "WHERE a.id = b.account_id AND a.code = %s",
            (2**63 - 50, CASH.code),
        )
    before = row_counts(core_url)
    with pytest.raises(LimitExceeded, match=f"account {CASH.code}'s running total would exceed"):
        bank.deposits.deposit(account, 100)
    assert row_counts(core_url) == before
