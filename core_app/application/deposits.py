"""Money in and out of deposit accounts."""

from __future__ import annotations

from uuid import UUID

from core_app.application.context import ServiceContext
from core_app.domain import postings
from core_app.domain.deposit import Deposit, DepositAccount, Withdrawal
from core_app.domain.ledger import deposit_account_ledger


class DepositService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def deposit(self, account_id: UUID, amount: int, reference: str = "") -> UUID:
        with self.ctx.unit_of_work() as uow:
            account = uow.load(DepositAccount, account_id)
            deposit = Deposit.record_new(self.ctx.new_id(), account, amount, reference)
            uow.add(deposit)
            uow.post(
                postings.deposit_received(self.ctx.new_id(), deposit.id, account_id, amount, self.ctx.today())
            )
            uow.commit()
        return deposit.id

    def available_balance(self, account_id: UUID) -> int:
        self.ctx.db.load(DepositAccount, account_id)
        return self.ctx.db.ledger.balance(deposit_account_ledger(account_id).id)

    def initiate_withdrawal(self, account_id: UUID, amount: int, reference: str = "") -> UUID:
        with self.ctx.unit_of_work() as uow:
            account = uow.load(DepositAccount, account_id)
            # Locked until commit: two withdrawals cannot both spend the same balance.
            available = uow.ledger.balance(deposit_account_ledger(account_id).id, for_update=True)
            withdrawal = Withdrawal.initiate(self.ctx.new_id(), account, amount, available, reference)
            uow.add(withdrawal)
            uow.post(
                postings.withdrawal_initiated(
                    self.ctx.new_id(), withdrawal.id, account_id, amount, self.ctx.today()
                )
            )
            uow.commit()
        return withdrawal.id

    def approve_withdrawal(self, withdrawal_id: UUID) -> None:
        with self.ctx.unit_of_work() as uow:
            uow.load(Withdrawal, withdrawal_id).approve()
            uow.commit()

    def confirm_withdrawal(self, withdrawal_id: UUID) -> None:
        with self.ctx.unit_of_work() as uow:
            withdrawal = uow.load(Withdrawal, withdrawal_id)
            withdrawal.confirm()
            uow.post(
                postings.withdrawal_confirmed(
                    self.ctx.new_id(), withdrawal.id, withdrawal.amount, self.ctx.today()
                )
            )
            uow.commit()

    def cancel_withdrawal(self, withdrawal_id: UUID, reason: str) -> None:
        with self.ctx.unit_of_work() as uow:
            withdrawal = uow.load(Withdrawal, withdrawal_id)
            withdrawal.cancel(reason)
            assert withdrawal.deposit_account_id is not None
            uow.post(
                postings.withdrawal_cancelled(
                    self.ctx.new_id(),
                    withdrawal.id,
                    withdrawal.deposit_account_id,
                    withdrawal.amount,
                    self.ctx.today(),
                )
            )
            uow.commit()

    def freeze(self, account_id: UUID, reason: str) -> None:
        with self.ctx.unit_of_work() as uow:
            uow.load(DepositAccount, account_id).freeze(reason)
            uow.commit()

    def unfreeze(self, account_id: UUID) -> None:
        with self.ctx.unit_of_work() as uow:
            uow.load(DepositAccount, account_id).unfreeze()
            uow.commit()
