"""Deposit accounts, deposits and withdrawals. Balances live in the ledger, not here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from core_app.domain.aggregate import Aggregate
from core_app.domain.errors import InsufficientFunds, InvalidState
from core_app.domain.events import DomainEvent, register
from core_app.domain.money import Cents, require_positive


class DepositAccountStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"


class DepositAccountInitialized(DomainEvent):
    event_type: ClassVar[str] = "initialized"
    public_name: ClassVar[str | None] = "deposit_account.opened"
    resulting_status: ClassVar[str | None] = DepositAccountStatus.ACTIVE

    customer_id: UUID
    ledger_account_id: UUID


class DepositAccountFrozen(DomainEvent):
    event_type: ClassVar[str] = "frozen"
    resulting_status: ClassVar[str | None] = DepositAccountStatus.FROZEN
    reason: str


class DepositAccountUnfrozen(DomainEvent):
    event_type: ClassVar[str] = "unfrozen"
    resulting_status: ClassVar[str | None] = DepositAccountStatus.ACTIVE


register("deposit_account", DepositAccountInitialized, DepositAccountFrozen, DepositAccountUnfrozen)


@dataclass
class DepositAccount(Aggregate):
    aggregate_type: ClassVar[str] = "deposit_account"

    customer_id: UUID | None = None
    ledger_account_id: UUID | None = None
    status: DepositAccountStatus = DepositAccountStatus.ACTIVE

    @classmethod
    def open(cls, account_id: UUID, customer_id: UUID, ledger_account_id: UUID) -> DepositAccount:
        account = cls(id=account_id)
        account.record(
            DepositAccountInitialized(customer_id=customer_id, ledger_account_id=ledger_account_id)
        )
        return account

    def freeze(self, reason: str) -> None:
        if self.status is DepositAccountStatus.FROZEN:
            raise InvalidState(f"deposit account {self.id} is already frozen")
        self.record(DepositAccountFrozen(reason=reason))

    def unfreeze(self) -> None:
        if self.status is not DepositAccountStatus.FROZEN:
            raise InvalidState(f"deposit account {self.id} is not frozen")
        self.record(DepositAccountUnfrozen())

    def require_active(self) -> None:
        if self.status is not DepositAccountStatus.ACTIVE:
            raise InvalidState(f"deposit account {self.id} is {self.status.value}")

    def require_available(self, available: int, amount: int) -> None:
        if amount > available:
            raise InsufficientFunds(
                f"withdrawal of {amount} cents exceeds the available balance of {available} cents "
                f"on deposit account {self.id}"
            )

    def apply(self, event: DomainEvent) -> None:
        if event.resulting_status is not None:
            self.status = DepositAccountStatus(event.resulting_status)
        if isinstance(event, DepositAccountInitialized):
            self.customer_id = event.customer_id
            self.ledger_account_id = event.ledger_account_id


class DepositInitialized(DomainEvent):
    event_type: ClassVar[str] = "initialized"
    public_name: ClassVar[str | None] = "deposit.recorded"

    deposit_account_id: UUID
    amount: Cents  # USD cents
    reference: str


register("deposit", DepositInitialized)


@dataclass
class Deposit(Aggregate):
    aggregate_type: ClassVar[str] = "deposit"

    deposit_account_id: UUID | None = None
    amount: int = 0

    @classmethod
    def record_new(cls, deposit_id: UUID, account: DepositAccount, amount: int, reference: str):
        require_positive(amount, "deposit amount")
        account.require_active()
        deposit = cls(id=deposit_id)
        deposit.record(DepositInitialized(deposit_account_id=account.id, amount=amount, reference=reference))
        return deposit

    def apply(self, event: DomainEvent) -> None:
        match event:
            case DepositInitialized():
                self.deposit_account_id = event.deposit_account_id
                self.amount = event.amount


class WithdrawalStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class WithdrawalInitialized(DomainEvent):
    event_type: ClassVar[str] = "initialized"
    public_name: ClassVar[str | None] = "withdrawal.initiated"

    deposit_account_id: UUID
    amount: Cents  # USD cents
    reference: str


class WithdrawalApproved(DomainEvent):
    event_type: ClassVar[str] = "approved"


class WithdrawalConfirmed(DomainEvent):
    event_type: ClassVar[str] = "confirmed"
    public_name: ClassVar[str | None] = "withdrawal.confirmed"


class WithdrawalCancelled(DomainEvent):
    event_type: ClassVar[str] = "cancelled"
    public_name: ClassVar[str | None] = "withdrawal.cancelled"

    reason: str


register(
    "withdrawal",
    WithdrawalInitialized,
    WithdrawalApproved,
    WithdrawalConfirmed,
    WithdrawalCancelled,
)


@dataclass
class Withdrawal(Aggregate):
    aggregate_type: ClassVar[str] = "withdrawal"

    deposit_account_id: UUID | None = None
    amount: int = 0
    status: WithdrawalStatus = WithdrawalStatus.PENDING_APPROVAL

    @classmethod
    def initiate(
        cls,
        withdrawal_id: UUID,
        account: DepositAccount,
        amount: int,
        available: int,
        reference: str,
    ) -> Withdrawal:
        require_positive(amount, "withdrawal amount")
        account.require_active()
        account.require_available(available, amount)
        withdrawal = cls(id=withdrawal_id)
        withdrawal.record(
            WithdrawalInitialized(deposit_account_id=account.id, amount=amount, reference=reference)
        )
        return withdrawal

    def approve(self) -> None:
        if self.status is not WithdrawalStatus.PENDING_APPROVAL:
            raise InvalidState(f"withdrawal {self.id} is {self.status.value}, cannot approve")
        self.record(WithdrawalApproved())

    def confirm(self) -> None:
        if self.status is not WithdrawalStatus.APPROVED:
            raise InvalidState(f"withdrawal {self.id} is {self.status.value}, cannot confirm")
        self.record(WithdrawalConfirmed())

    def cancel(self, reason: str) -> None:
        if self.status not in (WithdrawalStatus.PENDING_APPROVAL, WithdrawalStatus.APPROVED):
            raise InvalidState(f"withdrawal {self.id} is {self.status.value}, cannot cancel")
        self.record(WithdrawalCancelled(reason=reason))

    def apply(self, event: DomainEvent) -> None:
        match event:
            case WithdrawalInitialized():
                self.deposit_account_id = event.deposit_account_id
                self.amount = event.amount
            case WithdrawalApproved():
                self.status = WithdrawalStatus.APPROVED
            case WithdrawalConfirmed():
                self.status = WithdrawalStatus.CONFIRMED
            case WithdrawalCancelled():
                self.status = WithdrawalStatus.CANCELLED
