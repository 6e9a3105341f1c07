"""The reserve policy (NCB-022 categories, net of collateral) and non-accrual in the end-of-day
batch, with hand-computed cents.

One facility of 10,000.00 at 12% a year, disbursed on 1 January 2025; monthly interest cycles
(January 101.92, February 92.05, March 101.92, April 98.63; one day 3.29). Its interest
obligations fall due the day after each cycle, and default 90 days later. Its collateral, 0.15 BTC
(15,000.00 at activation), is worth 7,500.00 once bitcoin halves to 50,000.00: the reserve counts
70% of that (a 30% haircut), 5,250.00.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

import pytest

from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock
from core_app.domain.ledger import ALLOWANCE
from core_app.domain.provisioning import RISK_CATEGORIES, Arrears, Exposure, risk_category
from core_app.domain.terms import FacilityTerms
from tests.helpers import TERMS, active_facility
from tests.unit.fakes import FakeDatabase, fake_bank, ledger_totals

START = date(2025, 1, 1)
PRINCIPAL = 10_000_00
JAN, FEB, MAR, APR, ONE_DAY = 10_192, 9_205, 10_192, 9_863, 329
HALVED = 50_000_00  # USD cents per BTC
COUNTED = 525_000  # 0.15 BTC at 50,000.00, less 30%
# A liquidation threshold of 30% keeps the halved collateral (a CVL of 75%) from being sold, so
# that the reserve's rules are seen alone (tests/unit/test_liquidation.py has the sales).
UNSOLD = FacilityTerms.parse(**{**TERMS.model_dump(), "liquidation_cvl_bps": 3_000})


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


def test_the_policy_classifies_by_ncb_022_days_past_due() -> None:
    bounds = [(c.name, c.min_days_past_due, c.max_days_past_due) for c in RISK_CATEGORIES]
    assert bounds == [
        ("A1", 0, 7),
        ("A2", 8, 30),
        ("B", 31, 60),
        ("C1", 61, 90),
        ("C2", 91, 120),
        ("D1", 121, 150),
        ("D2", 151, 180),
        ("E", 181, None),
    ]
    assert [c.provision_rate_bps for c in RISK_CATEGORIES] == [0, 100, 500, 1500, 2500, 5000, 7500, 10000]
    days = (0, 7, 8, 30, 31, 60, 61, 90, 91, 120, 121, 150, 151, 180, 181, 900)
    assert [risk_category(d).name for d in days] == [
        "A1", "A1", "A2", "A2", "B", "B", "C1", "C1", "C2", "C2", "D1", "D1", "D2", "D2", "E", "E"
    ]  # fmt: skip


def test_the_reserve_is_the_category_s_rate_of_the_exposure_the_counted_collateral_leaves() -> None:
    # 8,571,430 sats at 100,000.00 per BTC are worth 8,571.43 (8,571.430 rounded down); less 30%:
    # 6,000.001 -> 6,000.00 counted. 10,000.00 - 6,000.00 = 4,000.00 in C1 (75 days): 15% -> 600.00
    exposure = Exposure(
        UUID(int=1), 9_800_00, 200_00, Arrears(75), collateral_sats=8_571_430, price_cents=100_000_00
    )
    assert (exposure.collateral_value, exposure.collateral_counted) == (857_143, 600_000)
    assert (exposure.net_exposure, exposure.required_provision) == (400_000, 60_000)
    # Collateral worth more than the exposure leaves nothing to reserve, even in E
    covered = Exposure(
        UUID(int=2), 1_000_00, 0, Arrears(400), collateral_sats=10_000_000, price_cents=100_000_00
    )
    assert (covered.net_exposure, covered.required_provision) == (0, 0)
    # No price recorded: the collateral counts for nothing
    assert (
        Exposure(UUID(int=3), 1_000_00, 0, Arrears(200), collateral_sats=10_000_000).required_provision
        == 1_000_00
    )
    # Half a cent rounds up, per facility: 1% of 123.50 = 1.235 -> 1.24
    assert Exposure(UUID(int=4), 123_50, 0, Arrears(8)).required_provision == 124


def _halved_facility(bank: Bank, clock: BusinessClock, terms: FacilityTerms = UNSOLD) -> UUID:
    borrower = active_facility(bank, terms=terms)
    bank.credit.disburse(borrower.facility_id, PRINCIPAL)
    bank.treasury.record_price(HALVED)
    return borrower.facility_id


def test_a_late_obligation_reserves_the_uncovered_exposure_and_payment_releases(clock) -> None:
    bank, db = fake_bank(clock)
    facility_id = _halved_facility(bank, clock)
    allowance = _close_days(
        bank, clock, START, date(2025, 2, 20), pay={date(2025, 2, 20): JAN}, facility_id=facility_id
    )
    # 31 January: January's interest posted, nothing late: A1 at 0%
    assert allowance[date(2025, 1, 31)] == 0
    # 8 February: January's interest (due 1 February) 7 days late: still A1
    assert allowance[date(2025, 2, 8)] == 0
    # 9 February: 8 days, A2. Contagion: the principal not yet due is in A2 too. 1% of
    # (10,000.00 + 101.92 + 9 days of February 29.59 - 5,250.00 counted) = 48.8151 -> 48.82
    assert allowance[date(2025, 2, 9)] == (PRINCIPAL + JAN + 2_959 - COUNTED) // 100 + 1 == 4_882
    # 19 February: 1% of (10,000.00 + 101.92 + 19 days 62.47 - 5,250.00) = 49.1439 -> 49.14
    assert allowance[date(2025, 2, 19)] == 4_914
    # 20 February: January paid; A1 again: nothing reserved
    assert allowance[date(2025, 2, 20)] == 0
    assert _provisions(db, date(2025, 2, 20)) == [("PROVISION_RELEASE", 4_914)]
    assert ledger_totals(db) == {"USD": 0, "BTC": 0}


def test_the_reserve_values_the_collateral_at_the_price_in_force_on_the_day_it_closes(clock) -> None:
    bank, db = fake_bank(clock)
    facility_id = _halved_facility(bank, clock)
    _close_days(bank, clock, START, date(2025, 2, 18))
    # 19 February closed late, on the 20th, after the 20th's price (25,000.00) was recorded: the
    # 19th's reserve still counts the 19th's price (as the warehouse does for that date).
    clock.set(datetime(2025, 2, 20, 9, tzinfo=clock.now().tzinfo))
    bank.treasury.record_price(25_000_00)
    bank.end_of_day.run(date(2025, 2, 19))
    assert db.ledger.balance(ALLOWANCE.id) == 4_914
    # The 20th's: 0.15 BTC at 25,000.00 = 3,750.00, 2,625.00 counted; January's interest 19 days
    # late (A2): 1% of (10,000.00 + 101.92 + 20 days 65.75 - 2,625.00) = 75.4267 -> 75.43
    assert bank.end_of_day.run(date(2025, 2, 20)).allowance_change == 7_543 - 4_914
    assert facility_id and ledger_totals(db) == {"USD": 0, "BTC": 0}


def test_default_at_90_days_sells_the_collateral_and_writes_off_the_shortfall(clock) -> None:
    bank, db = fake_bank(clock)
    terms = FacilityTerms.parse(**{**UNSOLD.model_dump(), "duration_months": 6})
    facility_id = _halved_facility(bank, clock, terms)
    allowance = _close_days(bank, clock, START, date(2025, 5, 3))
    # 1 May: January's interest (due 1 February) is 89 days late: C1, 15% of 10,397.81 (principal,
    # four months' interest and 1 May's) less 5,250.00 counted: 772.1715 -> 772.17
    assert allowance[date(2025, 5, 1)] == 77_217
    # 2 May: 90 days; the core defaults it, stops accruing and sells all 0.15 BTC: 7,500.00 less
    # the 2% fee, 7,350.00, repays the four months' interest (394.52) and 6,955.48 of principal.
    # Left, with nothing to recover it from: 3,044.52 of principal and 1 May's 3.29, written off
    # against the allowance (772.17); the day's true-up books the other 2,275.64 as expense.
    principal, interest = PRINCIPAL - (7_350_00 - (JAN + FEB + MAR + APR)), ONE_DAY
    assert (principal, interest) == (304_452, 329)
    [written_off] = [t for t in db.ledger.transactions if t.template == "WRITE_OFF"]
    assert (written_off.effective_date, written_off.metadata) == (
        date(2025, 5, 2),
        {"principal": 304_452, "interest": 329},
    )
    assert _provisions(db, date(2025, 5, 2)) == [("PROVISION", 304_452 + 329 - 77_217)]
    assert allowance[date(2025, 5, 2)] == allowance[date(2025, 5, 3)] == 0
    facility = bank.credit.facility(facility_id)
    assert facility.status.value == "written_off" and facility.non_accrual_since == date(2025, 5, 2)
    accrued_from_default = [
        t.entries[0].amount
        for t in db.ledger.transactions
        if t.template == "INTEREST_ACCRUAL" and t.effective_date >= date(2025, 5, 2)
    ]
    assert accrued_from_default == []  # no interest income after default
    assert bank.end_of_day.run(date(2025, 5, 3)).allowance_change == 0  # a re-run books nothing
    assert ledger_totals(db) == {"USD": 0, "BTC": 0}
