"""The liquidation policy (core_app/domain/liquidation.py) in the end-of-day batch, with
hand-computed cents.

One facility of 10,000.00 at 12% a year (initial CVL 140%, liquidation 110%), disbursed on
1 January 2025; January's interest, 101.92, is posted on 31 January and due on 1 February; a
day's interest is 3.29. The exchange keeps 2% of what it sells, rounded half up to the cent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock
from core_app.domain.credit_facility import FacilityStatus
from core_app.domain.ledger import deposit_account_ledger, facility_ledger
from core_app.domain.liquidation import Owed, Sale, sats_to_restore
from core_app.domain.money import cvl_bps
from core_app.domain.obligation import Obligation
from core_app.domain.terms import FacilityTerms
from tests.helpers import TERMS, Borrower, active_facility
from tests.unit.fakes import FakeDatabase, fake_bank, ledger_totals

START = date(2025, 1, 1)
PRINCIPAL = 10_000_00
JAN, FEB, MAR, APR, ONE_DAY = 10_192, 9_205, 10_192, 9_863, 329
FEE = 1_00 * PRINCIPAL // 100_00  # the disbursal fee, 1%


@pytest.fixture
def clock() -> BusinessClock:
    return BusinessClock.at_start_of(START)


def _close_days(bank: Bank, clock: BusinessClock, first: date, last: date) -> None:
    day = first
    while day <= last:
        _at(clock, day)
        bank.end_of_day.run(day)
        day += timedelta(days=1)


def _at(clock: BusinessClock, day: date) -> None:
    clock.set(datetime.combine(day, datetime.min.time(), tzinfo=clock.now().tzinfo))


def _liquidations(db: FakeDatabase, borrower: Borrower) -> list[dict]:
    return [
        e.model_dump()
        for e in db.streams[("credit_facility", borrower.facility_id)]
        if e.event_type == "collateral_liquidated"
    ]


def _balances(db: FakeDatabase, borrower: Borrower) -> tuple[int, int, int, int]:
    """Principal and interest receivable, collateral held (sats), the borrower's deposit."""
    accounts = facility_ledger(borrower.facility_id)
    return (
        db.ledger.balance(accounts.loans_receivable.id),
        db.ledger.balance(accounts.interest_receivable.id),
        db.ledger.balance(accounts.collateral.id),
        db.ledger.balance(deposit_account_ledger(borrower.account_id).id),
    )


def test_the_least_satoshis_that_restore_the_initial_cvl() -> None:
    # 0.2 BTC at 54,999.99; owed 101.92 of interest and 10,000.00 of principal. Selling
    # 15,360,167 sats: worth 8,448.09 (8,448.0903 rounded down), fee 168.96 (168.9618), proceeds
    # 8,279.13; interest first, so 8,177.21 of principal repaid and 1,822.79 left, against
    # 4,639,833 sats worth 2,551.90: a CVL of 140.00%. One satoshi fewer leaves 139.99%.
    owed = Owed(interest=JAN, principal=PRINCIPAL)
    sats = sats_to_restore(20_000_000, 54_999_99, owed, 14_000)
    sale = Sale(sats, 54_999_99)
    assert (sats, sale.value, sale.fee, sale.proceeds) == (15_360_167, 844_809, 16_896, 827_913)
    assert owed.principal_after(sale.proceeds) == 182_279
    assert cvl_bps(20_000_000 - sats, 54_999_99, 182_279) == 14_000
    fewer = Sale(sats - 1, 54_999_99)
    assert cvl_bps(20_000_000 - sats + 1, 54_999_99, owed.principal_after(fewer.proceeds)) == 13_999
    # Below about 102% no sale can restore the CVL (each sale loses the fee): all of it
    assert sats_to_restore(15_000_000, 50_000_00, Owed(0, PRINCIPAL), 14_000) == 15_000_000


def test_a_cvl_just_below_the_threshold_sells_what_restores_the_initial_cvl_interest_first(
    clock,
) -> None:
    bank, db = fake_bank(clock)
    borrower = active_facility(bank, collateral_sats=20_000_000)
    bank.credit.disburse(borrower.facility_id, PRINCIPAL)
    _close_days(bank, clock, START, date(2025, 2, 1))
    # 2 February: 0.2 BTC at 55,000.00 is worth 11,000.00, exactly 110% of the principal: kept
    _at(clock, date(2025, 2, 2))
    bank.treasury.record_price(55_000_00)
    assert bank.end_of_day.run(date(2025, 2, 2)).liquidations == 0
    # 3 February: at 54,999.99 it is worth 10,999.99 (10,999.998), a CVL of 109.99%: sold
    _at(clock, date(2025, 2, 3))
    bank.treasury.record_price(54_999_99)
    assert bank.end_of_day.run(date(2025, 2, 3)).liquidations == 1
    [sold] = _liquidations(db, borrower)
    assert (sold["liquidation_trigger"], sold["liquidated_on"]) == ("cvl_below_liquidation", date(2025, 2, 3))
    assert (sold["sats_sold"], sold["collateral_sats"]) == (15_360_167, 4_639_833)
    assert (sold["sale_value"], sold["fee"], sold["proceeds"]) == (844_809, 16_896, 827_913)
    assert (sold["applied"], sold["surplus"]) == (827_913, 0)
    # The proceeds paid January's interest (101.92) first, then 8,177.21 of principal. February's
    # three days of interest (9.86) stay accrued in the open cycle, posted at the month's end.
    assert _balances(db, borrower) == (182_279, 3 * ONE_DAY - 1, 4_639_833, PRINCIPAL - FEE)
    [payment] = [t for t in db.ledger.transactions if t.template == "PAYMENT"]
    assert payment.metadata == {"interest": JAN, "principal": 817_721}
    facility = bank.credit.facility(borrower.facility_id)
    assert facility.status is FacilityStatus.ACTIVE and facility.principal_outstanding == 182_279
    assert facility.collateralization.value == "fully_collateralized"
    # A re-run of the day sells nothing more
    assert bank.end_of_day.run(date(2025, 2, 3)).liquidations == 0
    assert ledger_totals(db) == {"USD": 0, "BTC": 0}


def test_a_default_sells_everything_repays_all_and_returns_the_surplus(clock) -> None:
    bank, db = fake_bank(clock)
    terms = FacilityTerms.parse(**{**TERMS.model_dump(), "duration_months": 6})
    borrower = active_facility(bank, terms=terms)
    bank.credit.disburse(borrower.facility_id, PRINCIPAL)
    _close_days(bank, clock, START, date(2025, 5, 1))
    assert _liquidations(db, borrower) == []
    # 2 May: January's interest, due 1 February, is 90 days unpaid: defaulted. All 0.15 BTC sold
    # at 100,000.00: 15,000.00, fee 300.00, proceeds 14,700.00. Owed: 10,000.00 of principal and
    # four months of interest, and 1 May's (3.29), posted now: 10,397.81. Surplus: 4,302.19.
    _close_days(bank, clock, date(2025, 5, 2), date(2025, 5, 2))
    [sold] = _liquidations(db, borrower)
    owed = PRINCIPAL + JAN + FEB + MAR + APR + ONE_DAY
    assert (sold["liquidation_trigger"], sold["sats_sold"], sold["collateral_sats"]) == (
        "obligation_defaulted",
        15_000_000,
        0,
    )
    assert (sold["sale_value"], sold["fee"], sold["proceeds"]) == (15_000_00, 300_00, 14_700_00)
    assert (sold["applied"], sold["surplus"]) == (owed, 14_700_00 - owed) == (1_039_781, 430_219)
    assert _balances(db, borrower) == (0, 0, 0, PRINCIPAL - FEE + 430_219)
    facility = bank.credit.facility(borrower.facility_id)
    assert facility.status is FacilityStatus.CLOSED and facility.current_cycle is None
    obligations = [db.load(Obligation, i) for i in facility.obligation_ids]
    assert [o.outstanding for o in obligations] == [0] * 6
    assert obligations[-1].amount == ONE_DAY and obligations[-1].due_date == date(2025, 5, 2)
    # A closed facility accrues nothing and is never sold again
    _close_days(bank, clock, date(2025, 5, 3), date(2025, 5, 10))
    assert len(_liquidations(db, borrower)) == 1
    assert ledger_totals(db) == {"USD": 0, "BTC": 0}


def test_a_sale_that_repays_the_obligations_but_not_the_interest_accruing_pays_no_surplus(clock) -> None:
    bank, db = fake_bank(clock)
    terms = FacilityTerms.parse(**{**TERMS.model_dump(), "duration_months": 6})
    borrower = active_facility(bank, terms=terms)
    bank.credit.disburse(borrower.facility_id, PRINCIPAL)
    _close_days(bank, clock, START, date(2025, 5, 1))
    # 2 May, the default: 0.15 BTC at 70,717.80 is worth 10,607.67, less 212.15 of fee: 10,395.52,
    # 1.00 more than the obligations (10,000.00 and four months' interest, 394.52). The interest
    # accrued in May (3.29) is posted first and, interest first, repaid: 2.29 of principal is left,
    # no surplus; with nothing left to sell it is written off the same day.
    _at(clock, date(2025, 5, 2))
    bank.treasury.record_price(70_717_80)
    bank.end_of_day.run(date(2025, 5, 2))
    [sold] = _liquidations(db, borrower)
    assert (sold["sale_value"], sold["fee"], sold["proceeds"]) == (1_060_767, 21_215, 1_039_552)
    assert (sold["applied"], sold["surplus"]) == (1_039_552, 0)
    [written_off] = [t for t in db.ledger.transactions if t.template == "WRITE_OFF"]
    assert written_off.metadata == {"principal": ONE_DAY - 1_00, "interest": 0}
    assert _balances(db, borrower) == (0, 0, 0, PRINCIPAL - FEE)
    assert bank.credit.facility(borrower.facility_id).status is FacilityStatus.WRITTEN_OFF
    assert ledger_totals(db) == {"USD": 0, "BTC": 0}


def test_a_sale_of_everything_that_falls_short_leaves_the_rest_owed(clock) -> None:
    bank, db = fake_bank(clock)
    borrower = active_facility(bank)
    bank.credit.disburse(borrower.facility_id, PRINCIPAL)
    # Bitcoin halves on the day: 0.15 BTC is worth 7,500.00, a CVL of 75%, which no sale can
    # bring back to 140%. All of it sold: proceeds 7,350.00 (fee 150.00) repay principal (no
    # interest is posted yet); 2,650.00 is still owed, with no collateral, and earns interest: the
    # day's 3.29 accrued stays in the cycle, and the next day accrues 0.87 (2,650.00 at 12%).
    bank.treasury.record_price(50_000_00)
    assert bank.end_of_day.run(START).liquidations == 1
    [sold] = _liquidations(db, borrower)
    assert (sold["sats_sold"], sold["proceeds"], sold["applied"], sold["surplus"]) == (
        15_000_000,
        7_350_00,
        7_350_00,
        0,
    )
    assert _balances(db, borrower) == (2_650_00, ONE_DAY, 0, PRINCIPAL - FEE)
    facility = bank.credit.facility(borrower.facility_id)
    assert facility.status is FacilityStatus.ACTIVE and facility.principal_outstanding == 2_650_00
    _close_days(bank, clock, START + timedelta(days=1), START + timedelta(days=1))
    assert _balances(db, borrower)[1] == ONE_DAY + 87
    assert len(_liquidations(db, borrower)) == 1
    assert ledger_totals(db) == {"USD": 0, "BTC": 0}
