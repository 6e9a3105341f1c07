from datetime import date, timedelta
from uuid import uuid4

import pytest

from core_app.domain.credit_facility import CollateralizationState, CreditFacility, FacilityStatus
from core_app.domain.errors import InvalidAmount, InvalidInput, InvalidState, LimitExceeded
from core_app.domain.interest_accrual import InterestAccrualCycle
from core_app.domain.money import interest_for_cent_days
from core_app.domain.obligation import Obligation, ObligationStatus, ObligationType
from core_app.domain.payment import allocate
from core_app.domain.terms import FacilityTerms, accrual_period, add_months
from tests.helpers import PRICE, TERMS


def _facility(collateral: int = 15_000_000) -> CreditFacility:
    facility = CreditFacility.propose(
        uuid4(), customer_id=uuid4(), deposit_account_id=uuid4(), amount=10_000_00, terms=TERMS
    )
    facility.approve()
    facility.update_collateral(collateral, PRICE)
    facility.activate(date(2025, 1, 10), PRICE, uuid4())
    return facility


def _obligation(kind: ObligationType, amount: int, due: date) -> Obligation:
    return Obligation.create(
        uuid4(),
        facility_id=uuid4(),
        obligation_type=kind,
        amount=amount,
        reference_id=uuid4(),
        due_date=due,
        terms=TERMS,
    )


def test_activation_needs_the_initial_collateral_ratio() -> None:
    facility = CreditFacility.propose(
        uuid4(), customer_id=uuid4(), deposit_account_id=uuid4(), amount=10_000_00, terms=TERMS
    )
    facility.approve()
    facility.update_collateral(13_000_000, PRICE)  # 130% < 140%
    with pytest.raises(InvalidState, match=r"needs a CVL of 140\.00% to activate"):
        facility.activate(date(2025, 1, 10), PRICE, uuid4())


def test_activation_sets_maturity_and_first_cycle() -> None:
    facility = _facility()
    assert facility.status is FacilityStatus.ACTIVE
    assert facility.maturity_date == date(2025, 4, 10)
    assert facility.current_cycle is not None
    assert (facility.current_cycle.period_start, facility.current_cycle.period_end) == (
        date(2025, 1, 10),
        date(2025, 1, 31),
    )
    assert facility.collateralization is CollateralizationState.FULLY_COLLATERALIZED


def test_disbursal_above_the_limit_is_refused() -> None:
    facility = _facility()
    facility.record_disbursal(uuid4(), 6_000_00, uuid4(), PRICE)
    with pytest.raises(LimitExceeded, match="exceeds the facility limit: 600000 of 1000000"):
        facility.check_disbursal(5_000_00, date(2025, 1, 11), PRICE)


def test_price_drop_moves_facility_to_margin_call_then_liquidation() -> None:
    facility = _facility()
    facility.record_disbursal(uuid4(), 10_000_00, uuid4(), PRICE)
    facility.reassess_collateralization(80_000_00)  # 120%
    assert facility.collateralization is CollateralizationState.UNDER_MARGIN_CALL
    facility.reassess_collateralization(70_000_00)  # 105%
    assert facility.collateralization is CollateralizationState.UNDER_LIQUIDATION


def test_payment_goes_to_interest_first_then_oldest_principal() -> None:
    principal = _obligation(ObligationType.PRINCIPAL, 1_000_00, date(2025, 3, 1))
    interest_late = _obligation(ObligationType.INTEREST, 30_00, date(2025, 2, 1))
    interest_early = _obligation(ObligationType.INTEREST, 20_00, date(2025, 1, 1))
    allocations = allocate(60_00, [principal, interest_late, interest_early])
    assert [(a.obligation.id, a.amount) for a in allocations] == [
        (interest_early.id, 20_00),
        (interest_late.id, 30_00),
        (principal.id, 10_00),
    ]


def test_overpayment_is_refused() -> None:
    principal = _obligation(ObligationType.PRINCIPAL, 1_000_00, date(2025, 3, 1))
    with pytest.raises(InvalidAmount, match="exceeds the 100000 cents outstanding"):
        allocate(1_000_01, [principal])


def test_obligation_ages_through_due_overdue_defaulted() -> None:
    obligation = _obligation(ObligationType.PRINCIPAL, 500_00, date(2025, 3, 1))
    assert obligation.advance_to(date(2025, 2, 28)) == []
    assert obligation.advance_to(date(2025, 3, 1)) == [ObligationStatus.DUE]
    # Jumping far ahead records every status on the way, in order.
    assert obligation.advance_to(date(2025, 6, 30)) == [ObligationStatus.OVERDUE, ObligationStatus.DEFAULTED]
    assert obligation.advance_to(date(2025, 7, 30)) == []


def test_daily_accruals_add_up_to_the_exact_period_interest() -> None:
    start, end = accrual_period(date(2025, 1, 1), date(2025, 4, 1))
    cycle = InterestAccrualCycle.open(
        uuid4(), facility_id=uuid4(), idx=0, period_start=start, period_end=end, annual_rate_bps=1300
    )
    principal = 12_345_67
    day = start
    daily = []
    while day <= end:
        daily.append(cycle.accrue(day, principal))
        day += timedelta(days=1)
    assert sum(daily) == cycle.accrued == interest_for_cent_days(principal * 31, 1300)
    assert cycle.is_complete()
    with pytest.raises(InvalidState, match="expects its next accrual on None"):
        cycle.accrue(end + timedelta(days=1), principal)


def test_accrual_must_follow_the_calendar() -> None:
    cycle = InterestAccrualCycle.open(
        uuid4(),
        facility_id=uuid4(),
        idx=0,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 1, 31),
        annual_rate_bps=1300,
    )
    with pytest.raises(InvalidState, match="expects its next accrual on 2025-01-01"):
        cycle.accrue(date(2025, 1, 2), 100)


def test_terms_are_validated_with_a_message_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match="annual_rate_bps"):
        FacilityTerms.parse(
            annual_rate_bps=-1,
            duration_months=3,
            disbursal_fee_bps=0,
            initial_cvl_bps=14_000,
            margin_call_cvl_bps=12_500,
            liquidation_cvl_bps=11_000,
        )
    with pytest.raises(InvalidInput, match="liquidation < margin call < initial"):
        FacilityTerms.parse(
            annual_rate_bps=100,
            duration_months=3,
            disbursal_fee_bps=0,
            initial_cvl_bps=12_000,
            margin_call_cvl_bps=12_500,
            liquidation_cvl_bps=11_000,
        )


def test_month_arithmetic_clamps_to_month_end() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
