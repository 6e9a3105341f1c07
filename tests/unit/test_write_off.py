"""The write-off policy (core_app/domain/write_off.py) and recoveries, with hand-computed cents.

A facility of 10,000.00 at 12% a year for 3 months (maturity 1 April 2025) whose terms default an
obligation only after 200 days. Bitcoin halves on the day it is disbursed: all its 0.15 BTC is
sold (7,350.00 after the fee) and 2,650.00 is still owed, unsecured. Its interest: 1 January on
10,000.00, 3.29; then on 2,650.00, January 29.42 in all (cent-days 8,950,000), February 24.39,
March 27.01: 80.82. The borrower pays nothing more. Tests of the write-off on default (the sale
falls short) are in tests/unit/test_provisioning.py.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock
from core_app.domain.credit_facility import FacilityStatus
from core_app.domain.errors import InvalidAmount, InvalidState
from core_app.domain.ledger import ALLOWANCE, CASH, RECOVERIES, facility_ledger
from core_app.domain.obligation import Obligation, ObligationStatus
from core_app.domain.terms import FacilityTerms
from core_app.domain.write_off import WRITE_OFF_AFTER_DAYS, WriteOffReason, write_off_reason
from tests.helpers import TERMS, Borrower, active_facility
from tests.unit.fakes import fake_bank, ledger_totals

START = date(2025, 1, 1)
PRINCIPAL_LEFT = 2_650_00
INTEREST = 2_942 + 2_439 + 2_701  # January, February, March


@pytest.fixture
def clock() -> BusinessClock:
    return BusinessClock.at_start_of(START)


def _close_days(bank: Bank, clock: BusinessClock, first: date, last: date) -> dict[date, int]:
    allowance = {}
    day = first
    while day <= last:
        clock.set(datetime.combine(day, datetime.min.time(), tzinfo=clock.now().tzinfo))
        bank.end_of_day.run(day)
        allowance[day] = bank.ctx.db.ledger.balance(ALLOWANCE.id)
        day += timedelta(days=1)
    return allowance


def _unsecured(bank: Bank) -> Borrower:
    terms = FacilityTerms.parse(**{**TERMS.model_dump(), "defaulted_after_days": 200})
    borrower = active_facility(bank, terms=terms)
    bank.credit.disburse(borrower.facility_id, 10_000_00)
    bank.treasury.record_price(50_000_00)
    return borrower


def test_the_policy_writes_off_at_category_e_or_when_nothing_is_left_after_a_default() -> None:
    assert WRITE_OFF_AFTER_DAYS == 181
    reason = write_off_reason
    assert reason(owes=True, collateral_sats=0, defaulted=True, days_past_due=90) is (
        WriteOffReason.COLLATERAL_EXHAUSTED
    )
    assert (
        reason(owes=True, collateral_sats=0, defaulted=False, days_past_due=181) is WriteOffReason.CATEGORY_E
    )
    assert reason(owes=True, collateral_sats=0, defaulted=False, days_past_due=180) is None
    # Bitcoin is sold first (the liquidation policy), never written off behind a loan
    assert reason(owes=True, collateral_sats=1, defaulted=True, days_past_due=400) is None
    assert reason(owes=False, collateral_sats=0, defaulted=True, days_past_due=400) is None


def test_a_loan_181_days_past_due_is_written_off_against_the_allowance(clock) -> None:
    bank, db = fake_bank(clock)
    borrower = _unsecured(bank)
    allowance = _close_days(bank, clock, START, date(2025, 8, 1))
    [sold] = [t for t in db.ledger.transactions if t.template == "COLLATERAL_LIQUIDATED"]
    assert sold.effective_date == START
    # 31 July: January's interest (due 1 February) is 180 days late: D2, 75% of 2,650.00 + 80.82
    # = 2,048.115 -> 2,048.12 (no collateral left to net)
    assert allowance[date(2025, 7, 31)] == 204_812
    # 1 August: 181 days, E: written off. 2,730.82 removed against the allowance's 2,048.12; the
    # day's true-up books the other 682.70 as provision expense, and the allowance is back to 0.
    [written_off] = [t for t in db.ledger.transactions if t.template == "WRITE_OFF"]
    assert written_off.effective_date == date(2025, 8, 1)
    assert written_off.metadata == {"principal": PRINCIPAL_LEFT, "interest": INTEREST}
    assert [(e.account.code, e.side.value, e.amount) for e in written_off.entries] == [
        (ALLOWANCE.code, "debit", PRINCIPAL_LEFT),
        (facility_ledger(borrower.facility_id).loans_receivable.code, "credit", PRINCIPAL_LEFT),
        (ALLOWANCE.code, "debit", INTEREST),
        (facility_ledger(borrower.facility_id).interest_receivable.code, "credit", INTEREST),
    ]
    provision = [
        t
        for t in db.ledger.transactions
        if t.effective_date == date(2025, 8, 1) and "PROVISION" in t.template
    ]
    assert [(t.template, t.entries[0].amount) for t in provision] == [("PROVISION", 68_270)]
    assert allowance[date(2025, 8, 1)] == 0
    accounts = facility_ledger(borrower.facility_id)
    assert (
        db.ledger.balance(accounts.loans_receivable.id)
        == db.ledger.balance(accounts.interest_receivable.id)
        == 0
    )
    facility = bank.credit.facility(borrower.facility_id)
    assert facility.status is FacilityStatus.WRITTEN_OFF and facility.principal_outstanding == 0
    events = db.streams[("credit_facility", borrower.facility_id)]
    [event] = [e for e in events if e.event_type == "written_off"]
    assert (event.write_off_reason, event.principal_written_off, event.interest_written_off) == (
        WriteOffReason.CATEGORY_E,
        PRINCIPAL_LEFT,
        INTEREST,
    )
    obligations = [db.load(Obligation, i) for i in facility.obligation_ids]
    assert {o.status for o in obligations} == {ObligationStatus.WRITTEN_OFF}
    # Nothing is due on a loan off the books, and a re-run writes nothing off again
    assert bank.credit.amount_due(borrower.facility_id) == 0
    assert bank.end_of_day.run(date(2025, 8, 1)).written_off == 0
    assert ledger_totals(db) == {"USD": 0, "BTC": 0}


def test_money_collected_after_a_write_off_is_a_recovery_not_a_payment(clock) -> None:
    bank, db = fake_bank(clock)
    borrower = _unsecured(bank)
    with pytest.raises(InvalidState, match="only a written-off facility has recoveries"):
        bank.credit.recover(borrower.facility_id, 100_00)
    _close_days(bank, clock, START, date(2025, 8, 1))
    commits = db.commits
    with pytest.raises(InvalidState, match="written off: money collected on it is a recovery"):
        bank.credit.pay(borrower.facility_id, 100_00)
    assert db.commits == commits
    cash = db.ledger.balance(CASH.id)
    bank.credit.recover(borrower.facility_id, 500_00)
    [recovery] = [t for t in db.ledger.transactions if t.template == "RECOVERY"]
    assert [(e.account.code, e.side.value, e.amount) for e in recovery.entries] == [
        (CASH.code, "debit", 500_00),
        (RECOVERIES.code, "credit", 500_00),
    ]
    assert db.ledger.balance(CASH.id) == cash + 500_00 and db.ledger.balance(RECOVERIES.id) == 500_00
    # Never more than was written off (2,730.82, of which 500.00 is recovered)
    with pytest.raises(InvalidAmount, match="would recover more than the 273082 cents written off"):
        bank.credit.recover(borrower.facility_id, PRINCIPAL_LEFT + INTEREST - 500_00 + 1)
    # The loan stays off the books: no receivable, no allowance
    accounts = facility_ledger(borrower.facility_id)
    assert db.ledger.balance(accounts.loans_receivable.id) == 0 and db.ledger.balance(ALLOWANCE.id) == 0
    assert ledger_totals(db) == {"USD": 0, "BTC": 0}
