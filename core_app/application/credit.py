"""Credit facilities: proposal to activation, collateral, disbursals and payments."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from core_app.application.context import ServiceContext
from core_app.application.ports import UnitOfWork
from core_app.domain import postings
from core_app.domain.credit_facility import CreditFacility
from core_app.domain.customer import Customer
from core_app.domain.deposit import DepositAccount
from core_app.domain.disbursal import Disbursal
from core_app.domain.errors import InvalidInput
from core_app.domain.interest_accrual import open_cycle_for
from core_app.domain.ledger import facility_ledger
from core_app.domain.obligation import Obligation, ObligationType
from core_app.domain.payment import Payment, allocate
from core_app.domain.terms import FacilityTerms


class CreditService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def propose(self, customer_id: UUID, deposit_account_id: UUID, amount: int, terms: FacilityTerms) -> UUID:
        facility_id = self.ctx.new_id()
        with self.ctx.unit_of_work() as uow:
            uow.load(Customer, customer_id).require_kyc_approved()
            account = uow.load(DepositAccount, deposit_account_id)
            if account.customer_id != customer_id:
                raise InvalidInput(
                    f"deposit account {deposit_account_id} does not belong to customer {customer_id}"
                )
            facility = CreditFacility.propose(
                facility_id,
                customer_id=customer_id,
                deposit_account_id=deposit_account_id,
                amount=amount,
                terms=terms,
            )
            uow.add(facility)
            uow.open_accounts(*facility_ledger(facility_id).all())
            uow.commit()
        return facility_id

    def approve(self, facility_id: UUID) -> None:
        with self.ctx.unit_of_work() as uow:
            uow.load(CreditFacility, facility_id).approve()
            uow.commit()

    def update_collateral(self, facility_id: UUID, new_total_sats: int) -> int:
        """Set the facility's collateral to a new total (in satoshis); returns the change."""
        price = self.ctx.current_price()
        with self.ctx.unit_of_work() as uow:
            facility = uow.load(CreditFacility, facility_id)
            delta = facility.update_collateral(new_total_sats, price)
            uow.post(
                postings.collateral_changed(
                    self.ctx.new_id(), facility_id, facility_ledger(facility_id), delta, self.ctx.today()
                )
            )
            uow.commit()
        return delta

    def activate(self, facility_id: UUID) -> None:
        price = self.ctx.current_price()
        with self.ctx.unit_of_work() as uow:
            facility = uow.load(CreditFacility, facility_id)
            facility.activate(self.ctx.today(), price, self.ctx.new_id())
            uow.add(open_cycle_for(facility))
            uow.commit()

    def disburse(self, facility_id: UUID, amount: int) -> UUID:
        price = self.ctx.current_price()
        today = self.ctx.today()
        with self.ctx.unit_of_work() as uow:
            facility = uow.load(CreditFacility, facility_id)
            facility.check_disbursal(amount, today, price)
            assert facility.terms is not None and facility.maturity_date is not None
            assert facility.deposit_account_id is not None
            disbursal = Disbursal.initiate(
                self.ctx.new_id(), facility_id, amount, facility.terms.disbursal_fee_bps
            )
            obligation = Obligation.create(
                self.ctx.new_id(),
                facility_id=facility_id,
                obligation_type=ObligationType.PRINCIPAL,
                amount=amount,
                reference_id=disbursal.id,
                due_date=facility.maturity_date,
                terms=facility.terms,
            )
            disbursal.settle(obligation.id)
            facility.record_disbursal(disbursal.id, amount, obligation.id, price)
            uow.add(disbursal)
            uow.add(obligation)
            uow.post(
                postings.disbursal(
                    self.ctx.new_id(),
                    disbursal.id,
                    facility_ledger(facility_id),
                    facility.deposit_account_id,
                    amount,
                    disbursal.fee,
                    today,
                )
            )
            uow.commit()
        return disbursal.id

    def pay(self, facility_id: UUID, amount: int) -> UUID:
        """A payment received for the facility: interest first, then principal, oldest first."""
        price = self.ctx.current_price()
        today = self.ctx.today()
        with self.ctx.unit_of_work() as uow:
            facility = uow.load(CreditFacility, facility_id)
            facility.check_payment()
            obligations = uow.load_many(Obligation, uow.read.open_obligation_ids(facility_id))
            payment = receive_payment(
                self.ctx, uow, facility, obligations, amount, today, price, self.ctx.new_id()
            )
            uow.commit()
        return payment.id

    def recover(self, facility_id: UUID, amount: int) -> UUID:
        """Money collected on a written-off facility: a recovery (income), not a payment."""
        today = self.ctx.today()
        recovery_id = self.ctx.new_id()
        with self.ctx.unit_of_work() as uow:
            uow.load(CreditFacility, facility_id).record_recovery(recovery_id, amount, today)
            uow.post(postings.recovery_received(self.ctx.new_id(), facility_id, recovery_id, amount, today))
            uow.commit()
        return recovery_id

    def facility(self, facility_id: UUID) -> CreditFacility:
        """The facility's current state (read only)."""
        return self.ctx.db.load(CreditFacility, facility_id)

    def amount_due(self, facility_id: UUID, by: date | None = None) -> int:
        """Unpaid obligations due on or before `by` (today if not given), in cents."""
        return self.ctx.db.read.amount_due(facility_id, by or self.ctx.today())

    def outstanding(self, facility_id: UUID) -> int:
        """What the borrower owes on posted obligations (principal and posted interest)."""
        return self.ctx.db.read.amount_due(facility_id, date.max)


def receive_payment(
    ctx: ServiceContext,
    uow: UnitOfWork,
    facility: CreditFacility,
    obligations: list[Obligation],
    amount: int,
    on: date,
    price: int,
    payment_id: UUID,
) -> Payment:
    """Money applied to a facility's open obligations (a customer's payment, or a liquidation's
    proceeds): interest first, then principal, oldest first; booked as a `PAYMENT`."""
    allocations = allocate(amount, obligations)
    payment = Payment.receive(payment_id, facility.id, amount, allocations)
    for allocation in allocations:
        allocation.obligation.allocate(payment.id, allocation.amount)
    facility.record_payment(payment.id, payment.interest_amount, payment.principal_amount, price)
    uow.add(payment)
    uow.post(
        postings.payment_received(
            ctx.new_id(),
            payment.id,
            facility_ledger(facility.id),
            payment.interest_amount,
            payment.principal_amount,
            on,
        )
    )
    return payment
