"""Disbursal: money drawn from a credit facility into the borrower's deposit account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from core_app.domain.aggregate import Aggregate
from core_app.domain.events import DomainEvent, register
from core_app.domain.money import Cents, apply_bps


class DisbursalInitialized(DomainEvent):
    event_type: ClassVar[str] = "initialized"

    facility_id: UUID
    amount: Cents
    fee: Cents


class DisbursalSettledEvent(DomainEvent):
    event_type: ClassVar[str] = "settled"
    public_name: ClassVar[str | None] = "disbursal.settled"

    obligation_id: UUID


register("disbursal", DisbursalInitialized, DisbursalSettledEvent)


@dataclass
class Disbursal(Aggregate):
    aggregate_type: ClassVar[str] = "disbursal"

    facility_id: UUID | None = None
    amount: int = 0
    fee: int = 0
    settled: bool = False

    @classmethod
    def initiate(cls, disbursal_id: UUID, facility_id: UUID, amount: int, fee_bps: int):
        disbursal = cls(id=disbursal_id)
        disbursal.record(
            DisbursalInitialized(facility_id=facility_id, amount=amount, fee=apply_bps(amount, fee_bps))
        )
        return disbursal

    def settle(self, obligation_id: UUID) -> None:
        self.record(DisbursalSettledEvent(obligation_id=obligation_id))

    def apply(self, event: DomainEvent) -> None:
        match event:
            case DisbursalInitialized():
                self.facility_id = event.facility_id
                self.amount = event.amount
                self.fee = event.fee
            case DisbursalSettledEvent():
                self.settled = True
