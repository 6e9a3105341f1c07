"""Interest accrual cycle: daily accruals over a period, posted as one obligation at its end.

Each day's accrual is the difference between the interest on the cumulative principal-days and
what was accrued before, so the daily roundings never drift from the exact period total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from core_app.domain.aggregate import Aggregate
from core_app.domain.errors import InvalidState
from core_app.domain.events import DomainEvent, register
from core_app.domain.money import Cents, interest_for_cent_days

if TYPE_CHECKING:
    from core_app.domain.credit_facility import CreditFacility


class AccrualCycleInitialized(DomainEvent):
    event_type: ClassVar[str] = "initialized"

    facility_id: UUID
    idx: int
    period_start: date
    period_end: date
    annual_rate_bps: int


class InterestAccrued(DomainEvent):
    event_type: ClassVar[str] = "interest_accrued"

    accrued_on: date
    principal: Cents  # principal outstanding that day, USD cents
    amount: Cents  # this day's interest, USD cents
    cumulative: Cents  # interest accrued in the cycle so far


class InterestAccrualsPosted(DomainEvent):
    event_type: ClassVar[str] = "interest_accruals_posted"
    public_name: ClassVar[str | None] = "interest.posted"

    posted_on: date
    total: Cents
    obligation_id: UUID | None


register("interest_accrual_cycle", AccrualCycleInitialized, InterestAccrued, InterestAccrualsPosted)


@dataclass
class InterestAccrualCycle(Aggregate):
    aggregate_type: ClassVar[str] = "interest_accrual_cycle"

    facility_id: UUID | None = None
    idx: int = 0
    period_start: date = date.min
    period_end: date = date.min
    annual_rate_bps: int = 0
    cent_days: int = 0
    accrued: int = 0
    last_accrued_on: date | None = None
    posted: bool = False

    @classmethod
    def open(
        cls,
        cycle_id: UUID,
        *,
        facility_id: UUID,
        idx: int,
        period_start: date,
        period_end: date,
        annual_rate_bps: int,
    ) -> InterestAccrualCycle:
        cycle = cls(id=cycle_id)
        cycle.record(
            AccrualCycleInitialized(
                facility_id=facility_id,
                idx=idx,
                period_start=period_start,
                period_end=period_end,
                annual_rate_bps=annual_rate_bps,
            )
        )
        return cycle

    def next_accrual_date(self) -> date | None:
        if self.posted:
            return None
        day = (
            self.period_start if self.last_accrued_on is None else (self.last_accrued_on + timedelta(days=1))
        )
        return day if day <= self.period_end else None

    def accrue(self, day: date, principal: int) -> int:
        """Accrue interest for `day` on `principal`; returns the day's amount."""
        expected = self.next_accrual_date()
        if expected != day:
            raise InvalidState(f"cycle {self.id} expects its next accrual on {expected}, not {day}")
        cumulative = interest_for_cent_days(self.cent_days + principal, self.annual_rate_bps)
        amount = cumulative - self.accrued
        self.record(
            InterestAccrued(accrued_on=day, principal=principal, amount=amount, cumulative=cumulative)
        )
        return amount

    def is_complete(self) -> bool:
        return self.last_accrued_on == self.period_end

    def post(self, obligation_id: UUID | None) -> None:
        if not self.is_complete() or self.posted:
            raise InvalidState(f"cycle {self.id} cannot be posted before {self.period_end}")
        self.record(
            InterestAccrualsPosted(posted_on=self.period_end, total=self.accrued, obligation_id=obligation_id)
        )

    def post_early(self, today: date, obligation_id: UUID | None) -> None:
        """Post what the cycle has accrued up to `today`, its last day (a liquidation of all the
        facility's collateral settles the interest accrued so far)."""
        if self.posted or (self.last_accrued_on is not None and self.last_accrued_on != today):
            raise InvalidState(f"cycle {self.id} has accrued up to {self.last_accrued_on}, not {today}")
        self.record(InterestAccrualsPosted(posted_on=today, total=self.accrued, obligation_id=obligation_id))

    def apply(self, event: DomainEvent) -> None:
        match event:
            case AccrualCycleInitialized():
                self.facility_id = event.facility_id
                self.idx = event.idx
                self.period_start = event.period_start
                self.period_end = event.period_end
                self.annual_rate_bps = event.annual_rate_bps
            case InterestAccrued():
                self.cent_days += event.principal
                self.accrued = event.cumulative
                self.last_accrued_on = event.accrued_on
            case InterestAccrualsPosted():
                self.posted = True


def open_cycle_for(facility: CreditFacility) -> InterestAccrualCycle:
    """The accrual cycle aggregate for the cycle the facility has just started."""
    cycle = facility.current_cycle
    if cycle is None or facility.terms is None:
        raise InvalidState(f"credit facility {facility.id} has no open accrual cycle")
    return InterestAccrualCycle.open(
        cycle.cycle_id,
        facility_id=facility.id,
        idx=cycle.idx,
        period_start=cycle.period_start,
        period_end=cycle.period_end,
        annual_rate_bps=facility.terms.annual_rate_bps,
    )
