"""Obligation: an amount a borrower owes (principal of a disbursal, or a month's interest)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from core_app.domain.aggregate import Aggregate
from core_app.domain.events import DomainEvent, register
from core_app.domain.money import Cents, require_positive
from core_app.domain.terms import FacilityTerms


class ObligationType(StrEnum):
    INTEREST = "interest"
    PRINCIPAL = "principal"


class ObligationStatus(StrEnum):
    NOT_YET_DUE = "not_yet_due"
    DUE = "due"
    OVERDUE = "overdue"
    DEFAULTED = "defaulted"
    PAID = "paid"
    WRITTEN_OFF = "written_off"


class ObligationInitialized(DomainEvent):
    event_type: ClassVar[str] = "initialized"
    resulting_status: ClassVar[str | None] = ObligationStatus.NOT_YET_DUE

    facility_id: UUID
    obligation_type: ObligationType
    amount: Cents
    reference_id: UUID  # the disbursal or the interest accrual cycle it comes from
    due_date: date
    overdue_date: date
    defaulted_date: date


class ObligationDue(DomainEvent):
    event_type: ClassVar[str] = "due_recorded"
    resulting_status: ClassVar[str | None] = ObligationStatus.DUE
    outstanding: Cents


class ObligationOverdue(DomainEvent):
    event_type: ClassVar[str] = "overdue_recorded"
    resulting_status: ClassVar[str | None] = ObligationStatus.OVERDUE
    public_name: ClassVar[str | None] = "obligation.overdue"
    outstanding: Cents


class ObligationDefaulted(DomainEvent):
    event_type: ClassVar[str] = "defaulted_recorded"
    resulting_status: ClassVar[str | None] = ObligationStatus.DEFAULTED
    public_name: ClassVar[str | None] = "obligation.defaulted"
    outstanding: Cents


class ObligationPaymentAllocated(DomainEvent):
    event_type: ClassVar[str] = "payment_allocated"

    payment_id: UUID
    amount: Cents
    outstanding_after: Cents


class ObligationCompleted(DomainEvent):
    event_type: ClassVar[str] = "completed"
    resulting_status: ClassVar[str | None] = ObligationStatus.PAID
    public_name: ClassVar[str | None] = "obligation.paid"


class ObligationWrittenOff(DomainEvent):
    """Removed from the books unpaid (the write-off policy, core_app/domain/write_off.py)."""

    event_type: ClassVar[str] = "written_off"
    resulting_status: ClassVar[str | None] = ObligationStatus.WRITTEN_OFF
    public_name: ClassVar[str | None] = "obligation.written_off"
    written_off: Cents  # what was still outstanding


register(
    "obligation",
    ObligationInitialized,
    ObligationDue,
    ObligationOverdue,
    ObligationDefaulted,
    ObligationPaymentAllocated,
    ObligationCompleted,
    ObligationWrittenOff,
)


@dataclass
class Obligation(Aggregate):
    aggregate_type: ClassVar[str] = "obligation"

    facility_id: UUID | None = None
    obligation_type: ObligationType = ObligationType.PRINCIPAL
    amount: int = 0
    outstanding: int = 0
    due_date: date = date.min
    overdue_date: date = date.min
    defaulted_date: date = date.min
    status: ObligationStatus = ObligationStatus.NOT_YET_DUE

    @classmethod
    def create(
        cls,
        obligation_id: UUID,
        *,
        facility_id: UUID,
        obligation_type: ObligationType,
        amount: int,
        reference_id: UUID,
        due_date: date,
        terms: FacilityTerms,
    ) -> Obligation:
        require_positive(amount, f"{obligation_type.value} obligation amount")
        obligation = cls(id=obligation_id)
        obligation.record(
            ObligationInitialized(
                facility_id=facility_id,
                obligation_type=obligation_type,
                amount=amount,
                reference_id=reference_id,
                due_date=due_date,
                overdue_date=due_date + timedelta(days=terms.overdue_after_days),
                defaulted_date=due_date + timedelta(days=terms.defaulted_after_days),
            )
        )
        return obligation

    def advance_to(self, today: date) -> list[ObligationStatus]:
        """Record every status the obligation has reached by `today`; returns the new ones."""
        reached: list[ObligationStatus] = []
        steps = (
            (ObligationStatus.NOT_YET_DUE, self.due_date, ObligationDue),
            (ObligationStatus.DUE, self.overdue_date, ObligationOverdue),
            (ObligationStatus.OVERDUE, self.defaulted_date, ObligationDefaulted),
        )
        for from_status, on, event_cls in steps:
            if self.status is from_status and today >= on:
                self.record(event_cls(outstanding=self.outstanding))
                reached.append(self.status)
        return reached

    def allocate(self, payment_id: UUID, amount: int) -> None:
        require_positive(amount, "allocated amount")
        if amount > self.outstanding:
            raise ValueError(f"allocation of {amount} exceeds outstanding {self.outstanding}")
        self.record(
            ObligationPaymentAllocated(
                payment_id=payment_id, amount=amount, outstanding_after=self.outstanding - amount
            )
        )
        if self.outstanding == 0:
            self.record(ObligationCompleted())

    def write_off(self) -> int:
        """Remove what is outstanding from the books; returns it."""
        written_off = self.outstanding
        if written_off:
            self.record(ObligationWrittenOff(written_off=written_off))
        return written_off

    def is_open(self) -> bool:
        return self.outstanding > 0

    def apply(self, event: DomainEvent) -> None:
        if event.resulting_status is not None:
            self.status = ObligationStatus(event.resulting_status)
        match event:
            case ObligationInitialized():
                self.facility_id = event.facility_id
                self.obligation_type = event.obligation_type
                self.amount = self.outstanding = event.amount
                self.due_date = event.due_date
                self.overdue_date = event.overdue_date
                self.defaulted_date = event.defaulted_date
            case ObligationPaymentAllocated():
                self.outstanding = event.outstanding_after
            case ObligationWrittenOff():
                self.outstanding = 0
