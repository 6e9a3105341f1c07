"""Payment on a credit facility, allocated to interest first, then principal, oldest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from core_app.domain.aggregate import Aggregate
from core_app.domain.errors import InvalidAmount
from core_app.domain.events import DomainEvent, register
from core_app.domain.money import Cents, require_positive
from core_app.domain.obligation import Obligation, ObligationType


class PaymentInitialized(DomainEvent):
    event_type: ClassVar[str] = "initialized"
    public_name: ClassVar[str | None] = "payment.received"

    facility_id: UUID
    amount: Cents


class PaymentAllocated(DomainEvent):
    event_type: ClassVar[str] = "payment_allocated"

    obligation_id: UUID
    obligation_type: ObligationType
    amount: Cents


register("payment", PaymentInitialized, PaymentAllocated)


@dataclass(frozen=True)
class Allocation:
    obligation: Obligation
    amount: int


def allocate(amount: int, obligations: Sequence[Obligation]) -> list[Allocation]:
    """Split a payment over open obligations: interest before principal, earliest due first."""
    require_positive(amount, "payment amount")
    open_ones = [o for o in obligations if o.is_open()]
    owed = sum(o.outstanding for o in open_ones)
    if amount > owed:
        raise InvalidAmount(f"payment of {amount} cents exceeds the {owed} cents outstanding")
    order = sorted(
        open_ones,
        key=lambda o: (o.obligation_type is not ObligationType.INTEREST, o.due_date, str(o.id)),
    )
    allocations: list[Allocation] = []
    remaining = amount
    for obligation in order:
        if remaining == 0:
            break
        share = min(remaining, obligation.outstanding)
        allocations.append(Allocation(obligation, share))
        remaining -= share
    return allocations


@dataclass
class Payment(Aggregate):
    aggregate_type: ClassVar[str] = "payment"

    facility_id: UUID | None = None
    amount: int = 0
    interest_amount: int = 0
    principal_amount: int = 0

    @classmethod
    def receive(
        cls, payment_id: UUID, facility_id: UUID, amount: int, allocations: Sequence[Allocation]
    ) -> Payment:
        payment = cls(id=payment_id)
        payment.record(PaymentInitialized(facility_id=facility_id, amount=amount))
        for allocation in allocations:
            payment.record(
                PaymentAllocated(
                    obligation_id=allocation.obligation.id,
                    obligation_type=allocation.obligation.obligation_type,
                    amount=allocation.amount,
                )
            )
        return payment

    def apply(self, event: DomainEvent) -> None:
        match event:
            case PaymentInitialized():
                self.facility_id = event.facility_id
                self.amount = event.amount
            case PaymentAllocated():
                if event.obligation_type is ObligationType.INTEREST:
                    self.interest_amount += event.amount
                else:
                    self.principal_amount += event.amount
