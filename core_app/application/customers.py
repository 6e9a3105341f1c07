"""Customer onboarding, KYC and deposit accounts."""

from __future__ import annotations

from uuid import UUID

from core_app.application.context import ServiceContext
from core_app.domain.customer import Customer, CustomerType
from core_app.domain.deposit import DepositAccount
from core_app.domain.ledger import deposit_account_ledger


class CustomerService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def onboard(
        self,
        *,
        name: str,
        email: str,
        phone: str,
        country: str,
        tax_id: str,
        customer_type: CustomerType = CustomerType.INDIVIDUAL,
    ) -> UUID:
        customer = Customer.onboard(
            self.ctx.new_id(),
            name=name,
            email=email,
            phone=phone,
            country=country,
            tax_id=tax_id,
            customer_type=customer_type,
        )
        with self.ctx.unit_of_work() as uow:
            uow.add(customer)
            uow.commit()
        return customer.id

    def approve_kyc(self, customer_id: UUID) -> None:
        with self.ctx.unit_of_work() as uow:
            uow.load(Customer, customer_id).approve_kyc()
            uow.commit()

    def decline_kyc(self, customer_id: UUID, reason: str) -> None:
        with self.ctx.unit_of_work() as uow:
            uow.load(Customer, customer_id).decline_kyc(reason)
            uow.commit()

    def open_deposit_account(self, customer_id: UUID) -> UUID:
        account_id = self.ctx.new_id()
        ledger_account = deposit_account_ledger(account_id)
        with self.ctx.unit_of_work() as uow:
            uow.load(Customer, customer_id).require_kyc_approved()
            uow.add(DepositAccount.open(account_id, customer_id, ledger_account.id))
            uow.open_accounts(ledger_account)
            uow.commit()
        return account_id
