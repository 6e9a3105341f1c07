"""The provisioning policy and non-accrual in the end-of-day batch, with hand-computed cents.

One facility of 10,000.00 at 12% a year, disbursed on 1 January 2025; monthly interest cycles
(January 101.92, February 92.05, March 101.92, April 98.63; one day 3.29). Its interest
obligations fall due the day after each cycle, and default 90 days later.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

import pytest

from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock
from core_app.domain.ledger import ALLOWANCE
from core_app.domain.provisioning import Arrears, Exposure, risk_category
from core_app.domain.terms import FacilityTerms
from tests.helpers import TERMS, active_facility
from tests.unit.fakes import FakeDatabase, fake_bank, ledger_totals

START = date(2025, 1, 1)
PRINCIPAL = 10_000_00
JAN, FEB, MAR, APR, ONE_DAY = 10_192, 9_205, 10_192, 9_863, 329


@pytest.fixture
def clock() -> BusinessClock:
    return BusinessClock.at_start_of(START)


def _close_days(
    bank: Bank,
    clock: BusinessClock,
    first: date,
    last: date,
    pay: dict[date, int] | None = None,
    facility_id: UUID | None = None,
) -> dict[date, int]:
    """Run the end of day from `first` to `last`; returns the allowance booked after each day."""
    allowance = {}
    day = first
    while day <= last:
        clock.set(datetime.combine(day, datetime.min.time(), tzinfo=clock.now().tzinfo))
        if pay and day in pay:
            assert facility_id is not None
            bank.credit.pay(facility_id, pay[day])
        bank.end_of_day.run(day)
        allowance[day] = bank.ctx.db.ledger.balance(ALLOWANCE.id)
        day += timedelta(days=1)
    return allowance


def _provisions(db: FakeDatabase, on: date) -> list[tuple[str, int]]:
    return [
        (t.template, t.entries[0].amount)
        for t in db.ledger.transactions
        if t.template.startswith("PROVISION") and t.effective_date == on
    ]


def test_the_policy_classifies_by_days_and_default() -> None:
    assert [risk_category(d, False).name for d in (0, 1, 30, 31, 60, 61, 90, 91)] == [
        "current",
        "1-30",
        "1-30",
        "31-60",
        "31-60",
        "61-90",
        "61-90",
        "90+",
    ]
    assert risk_category(90, True).name == "90+"  # the core defaults at 90 days: never 61-90
    assert risk_category(0, True).name == "90+"
    # half a cent rounds up, per facility
    assert Exposure(UUID(int=1), 1_039_781, 0, Arrears(89)).required_provision == 519_891


def test_a_late_obligation_puts_the_whole_exposure_in_its_category_and_payment_releases(clock) -> None:
    bank, db = fake_bank(clock)
    borrower = active_facility(bank)
    bank.credit.disburse(borrower.facility_id, PRINCIPAL)
    allowance = _close_days(
        bank, clock, START, date(2025, 2, 20), pay={date(2025, 2, 20): JAN}, facility_id=borrower.facility_id
    )
    # 31 January: January's interest posted, nothing late: 1% of 10,101.92 -> 101.02
    assert allowance[date(2025, 1, 31)] == 10_102
    # 19 February: January's interest 18 days late. Contagion: the principal not yet due is in
    # 1-30 too. 5% of (10,000.00 + 101.92 + 19 days of February 62.47) = 508.2195 -> 508.22
    assert allowance[date(2025, 2, 19)] == 50_822
    # 20 February: January paid; current again: 1% of (10,000.00 + 20 days 65.75) = 100.6575
    assert allowance[date(2025, 2, 20)] == 10_066
    assert _provisions(db, date(2025, 2, 20)) == [("PROVISION_RELEASE", 50_822 - 10_066)]
    assert ledger_totals(db) == {"USD": 0, "BTC": 0}


def test_default_at_exactly_90_days_provisions_everything_and_stops_accruing(clock) -> None:
    bank, db = fake_bank(clock)
    terms = FacilityTerms.parse(**{**TERMS.model_dump(), "duration_months": 6})
    borrower = active_facility(bank, terms=terms)
    bank.credit.disburse(borrower.facility_id, PRINCIPAL)
    allowance = _close_days(bank, clock, START, date(2025, 5, 10))
    exposure = PRINCIPAL + JAN + FEB + MAR + APR + ONE_DAY  # 10,397.81 on 1 May
    # 1 May: January's interest (due 1 February) is 89 days late: 61-90 at 50%
    assert allowance[date(2025, 5, 1)] == (exposure * 5_000 + 5_000) // 10_000 == 519_891
    # 2 May: 90 days, the core defaults it: the whole exposure at 100%, from the same day
    assert allowance[date(2025, 5, 2)] == exposure
    assert allowance[date(2025, 5, 10)] == exposure
    facility = bank.credit.facility(borrower.facility_id)
    assert facility.non_accrual_since == date(2025, 5, 2)
    accrued_from_default = [
        t.entries[0].amount
        for t in db.ledger.transactions
        if t.template == "INTEREST_ACCRUAL" and t.effective_date >= date(2025, 5, 2)
    ]
    assert accrued_from_default == []  # no interest income after default
    assert bank.end_of_day.run(date(2025, 5, 10)).allowance_change == 0  # a re-run books nothing
    assert ledger_totals(db) == {"USD": 0, "BTC": 0}
