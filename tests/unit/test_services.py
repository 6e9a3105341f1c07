"""Every command of the application services, and its refusals, on the in-memory fakes: the real
services and domain, no database (the PostgreSQL adapters have their own tests, tests/integration).

A refused command leaves nothing behind: no events, no postings (`db.commits` unchanged).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core_app.application.clock import BusinessClock
from core_app.domain.deposit import DepositAccount
from core_app.domain.errors import (
    InsufficientFunds,
    InvalidAmount,
    InvalidInput,
    InvalidState,
    LimitExceeded,
    NotFound,
)
from core_app.domain.ledger import deposit_account_ledger
from tests.helpers import PRICE, TERMS, active_facility, customer_with_account
from tests.unit.fakes import FakeDatabase, fake_bank, ledger_totals

START = date(2025, 1, 1)


@pytest.fixture
def clock() -> BusinessClock:
    return BusinessClock.at_start_of(START)


@pytest.fixture
def bank_and_db(clock: BusinessClock):
    return fake_bank(clock)


def _refused(db: FakeDatabase, error: type[Exception], match: str, command, *args, **kwargs) -> None:
    before = (db.commits, len(db.ledger.transactions), sum(len(s) for s in db.streams.values()))
    with pytest.raises(error, match=match):
        command(*args, **kwargs)
    assert (db.commits, len(db.ledger.transactions), sum(len(s) for s in db.streams.values())) == before


# -- customers -------------------------------------------------------------------------------------


def test_onboarding_kyc_and_opening_an_account(bank_and_db) -> None:
    bank, db = bank_and_db
    customer_id = bank.customers.onboard(
        name="Ann Lee", email="ann@example.com", phone="+1 555 0100", country="US", tax_id="1"
    )
    _refused(db, InvalidState, "KYC", bank.customers.open_deposit_account, customer_id)
    bank.customers.approve_kyc(customer_id)
    account_id = bank.customers.open_deposit_account(customer_id)
    assert db.events("customer", customer_id) == ["initialized", "kyc_approved"]
    assert db.events("deposit_account", account_id) == ["initialized"]
    assert deposit_account_ledger(account_id).id in db.ledger.accounts
    assert bank.deposits.available_balance(account_id) == 0


def test_declined_kyc_and_unknown_customers_are_refused(bank_and_db) -> None:
    bank, db = bank_and_db
    customer_id = bank.customers.onboard(
        name="Bo", email="bo@example.com", phone="+1 555 0101", country="US", tax_id="2"
    )
    bank.customers.decline_kyc(customer_id, "documents expired")
    assert db.events("customer", customer_id) == ["initialized", "kyc_declined"]
    _refused(db, InvalidState, "KYC", bank.customers.open_deposit_account, customer_id)
    _refused(db, NotFound, "customer .* does not exist", bank.customers.approve_kyc, bank.ctx.new_id())


# -- treasury --------------------------------------------------------------------------------------


def test_capital_and_prices(bank_and_db) -> None:
    bank, db = bank_and_db
    _refused(db, NotFound, "no BTC/USD price", bank.treasury.current_price)
    bank.treasury.inject_capital(1_000_000_00)
    bank.treasury.record_price(PRICE)
    bank.treasury.record_price(PRICE + 1)
    assert bank.treasury.current_price() == PRICE + 1
    _refused(db, InvalidAmount, "capital amount", bank.treasury.inject_capital, 0)
    _refused(db, InvalidAmount, "BTC price", bank.treasury.record_price, -1)
    assert ledger_totals(db) == {"USD": 0}


# -- deposits --------------------------------------------------------------------------------------


def test_deposits_and_the_withdrawal_lifecycle(bank_and_db) -> None:
    bank, db = bank_and_db
    _, account_id = customer_with_account(bank)
    bank.deposits.deposit(account_id, 500_00, "salary")
    _refused(
        db,
        InsufficientFunds,
        "exceeds the available balance of 50000",
        bank.deposits.initiate_withdrawal,
        account_id,
        500_01,
    )
    _refused(db, InvalidAmount, "positive", bank.deposits.deposit, account_id, 0)
    confirmed = bank.deposits.initiate_withdrawal(account_id, 200_00)
    bank.deposits.approve_withdrawal(confirmed)
    bank.deposits.confirm_withdrawal(confirmed)
    cancelled = bank.deposits.initiate_withdrawal(account_id, 100_00)
    assert bank.deposits.available_balance(account_id) == 200_00  # held while pending
    bank.deposits.cancel_withdrawal(cancelled, "customer changed their mind")
    assert bank.deposits.available_balance(account_id) == 300_00
    assert db.events("withdrawal", confirmed) == ["initialized", "approved", "confirmed"]
    assert db.events("withdrawal", cancelled) == ["initialized", "cancelled"]
    _refused(db, InvalidState, "cancelled", bank.deposits.confirm_withdrawal, cancelled)
    _refused(db, InvalidState, "cannot approve", bank.deposits.approve_withdrawal, cancelled)
    assert ledger_totals(db) == {"USD": 0}


def test_a_frozen_account_takes_no_money_until_unfrozen(bank_and_db) -> None:
    bank, db = bank_and_db
    _, account_id = customer_with_account(bank)
    bank.deposits.freeze(account_id, "court order")
    _refused(db, InvalidState, "is frozen", bank.deposits.deposit, account_id, 100)
    _refused(db, InvalidState, "already frozen", bank.deposits.freeze, account_id, "again")
    bank.deposits.unfreeze(account_id)
    _refused(db, InvalidState, "not frozen", bank.deposits.unfreeze, account_id)
    bank.deposits.deposit(account_id, 100)
    assert db.load(DepositAccount, account_id).status == "active"


# -- credit ----------------------------------------------------------------------------------------


def test_a_facility_from_proposal_to_payment(bank_and_db) -> None:
    bank, db = bank_and_db
    bank.treasury.record_price(PRICE)
    customer_id, account_id = customer_with_account(bank)
    _, someone_elses = customer_with_account(bank, "someone@example.com")
    _refused(
        db,
        InvalidInput,
        "does not belong to customer",
        bank.credit.propose,
        customer_id,
        someone_elses,
        10_000_00,
        TERMS,
    )
    facility_id = bank.credit.propose(customer_id, account_id, 10_000_00, TERMS)
    _refused(db, InvalidState, "is proposed", bank.credit.activate, facility_id)
    bank.credit.approve(facility_id)
    _refused(db, InvalidState, "not active, cannot take a payment", bank.credit.pay, facility_id, 1_00)
    _refused(db, InvalidState, "needs a CVL of 140.00% to activate", bank.credit.activate, facility_id)
    assert bank.credit.update_collateral(facility_id, 15_000_000) == 15_000_000
    bank.credit.activate(facility_id)
    _refused(db, LimitExceeded, "exceeds the facility limit", bank.credit.disburse, facility_id, 10_000_01)
    bank.credit.disburse(facility_id, 4_000_00)
    assert bank.deposits.available_balance(account_id) == 4_000_00 - 40_00  # 1% fee
    assert bank.credit.outstanding(facility_id) == 4_000_00
    assert bank.credit.amount_due(facility_id) == 0  # principal is due at maturity
    _refused(
        db, InvalidAmount, "exceeds the 400000 cents outstanding", bank.credit.pay, facility_id, 4_000_01
    )
    bank.credit.pay(facility_id, 1_000_00)
    assert bank.credit.outstanding(facility_id) == 3_000_00
    assert bank.credit.facility(facility_id).principal_outstanding == 3_000_00
    _refused(db, InvalidAmount, "must not be negative", bank.credit.update_collateral, facility_id, -1)
    assert ledger_totals(db) == {"USD": 0, "BTC": 0}


# -- end of day ------------------------------------------------------------------------------------


def test_end_of_day_accrues_posts_interest_and_closes_the_day_once(bank_and_db, clock) -> None:
    bank, db = bank_and_db
    borrower = active_facility(bank)
    bank.credit.disburse(borrower.facility_id, 10_000_00)
    _refused(db, InvalidState, "before it has started", bank.end_of_day.run, START + timedelta(days=1))
    for offset in range(40):
        day = START + timedelta(days=offset)
        clock.set(datetime.combine(day, datetime.min.time(), tzinfo=clock.now().tzinfo))
        report = bank.end_of_day.run(day)
        assert db.read.business_day_closed(day)
    assert report.facilities == 1
    interest = bank.credit.outstanding(borrower.facility_id) - 10_000_00
    assert 0 < interest < 10_000_00 * 12 // 100  # a month's interest at 12% a year
    again = bank.end_of_day.run(day)
    assert (again.accruals, again.interest_posted, again.became_due) == (0, 0, 0)
    closed_days = [i for (aggregate, i) in db.streams if aggregate == "business_day"]
    assert len(closed_days) == 40 and all(db.events("business_day", i) == ["closed"] for i in closed_days)
    assert ledger_totals(db) == {"USD": 0, "BTC": 0}
