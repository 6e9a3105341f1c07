"""Customer: identity (PII) and KYC status."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from core_app.domain.aggregate import Aggregate
from core_app.domain.errors import InvalidInput, InvalidState
from core_app.domain.events import DomainEvent, register

_PII = frozenset({"name", "email", "phone", "tax_id"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class CustomerType(StrEnum):
    INDIVIDUAL = "individual"
    BUSINESS = "business"


class KycStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class CustomerInitialized(DomainEvent):
    event_type: ClassVar[str] = "initialized"
    public_name: ClassVar[str | None] = "customer.created"
    pii_fields: ClassVar[frozenset[str]] = _PII

    name: str
    email: str
    phone: str
    country: str
    tax_id: str
    customer_type: CustomerType


class KycApproved(DomainEvent):
    event_type: ClassVar[str] = "kyc_approved"
    public_name: ClassVar[str | None] = "customer.kyc_approved"


class KycDeclined(DomainEvent):
    event_type: ClassVar[str] = "kyc_declined"
    public_name: ClassVar[str | None] = "customer.kyc_declined"

    reason: str


register("customer", CustomerInitialized, KycApproved, KycDeclined)


@dataclass
class Customer(Aggregate):
    aggregate_type: ClassVar[str] = "customer"

    email: str = ""
    country: str = ""
    customer_type: CustomerType = CustomerType.INDIVIDUAL
    kyc_status: KycStatus = KycStatus.PENDING

    @classmethod
    def onboard(
        cls,
        customer_id,
        *,
        name: str,
        email: str,
        phone: str,
        country: str,
        tax_id: str,
        customer_type: CustomerType = CustomerType.INDIVIDUAL,
    ) -> Customer:
        if not name.strip():
            raise InvalidInput("customer name must not be empty")
        if not _EMAIL.match(email):
            raise InvalidInput(f"customer email {email!r} is not a valid address")
        if not _COUNTRY.match(country):
            raise InvalidInput(f"country {country!r} must be an ISO 3166-1 alpha-2 code")
        if not tax_id.strip():
            raise InvalidInput("customer tax id must not be empty")
        customer = cls(id=customer_id)
        customer.record(
            CustomerInitialized(
                name=name.strip(),
                email=email,
                phone=phone,
                country=country,
                tax_id=tax_id.strip(),
                customer_type=customer_type,
            )
        )
        return customer

    def approve_kyc(self) -> None:
        if self.kyc_status is not KycStatus.PENDING:
            raise InvalidState(f"customer {self.id} KYC is already {self.kyc_status.value}")
        self.record(KycApproved())

    def decline_kyc(self, reason: str) -> None:
        if self.kyc_status is not KycStatus.PENDING:
            raise InvalidState(f"customer {self.id} KYC is already {self.kyc_status.value}")
        self.record(KycDeclined(reason=reason))

    def require_kyc_approved(self) -> None:
        if self.kyc_status is not KycStatus.APPROVED:
            raise InvalidState(f"customer {self.id} has KYC status {self.kyc_status.value}")

    def apply(self, event: DomainEvent) -> None:
        match event:
            case CustomerInitialized():
                self.email = event.email
                self.country = event.country
                self.customer_type = event.customer_type
            case KycApproved():
                self.kyc_status = KycStatus.APPROVED
            case KycDeclined():
                self.kyc_status = KycStatus.DECLINED
