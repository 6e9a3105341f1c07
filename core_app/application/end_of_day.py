"""The daily batch: obligation status and non-accrual, interest accrual and posting, maturity,
closing facilities, and the loan-loss allowance trued up to the provisioning policy.

It is driven by a business date, never by the wall clock, and is idempotent per date: a second run
for the same day finds nothing left to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from core_app.application.context import ServiceContext
from core_app.application.ports import UnitOfWork
from core_app.domain import postings
from core_app.domain.business_day import BusinessDay, business_day_id
from core_app.domain.credit_facility import CreditFacility, FacilityStatus
from core_app.domain.errors import InvalidState
from core_app.domain.interest_accrual import InterestAccrualCycle, open_cycle_for
from core_app.domain.ledger import ALLOWANCE, facility_ledger
from core_app.domain.obligation import Obligation, ObligationStatus, ObligationType
from core_app.domain.provisioning import Arrears, Exposure, required_allowance


@dataclass
class EndOfDayReport:
    day: date
    facilities: int = 0
    accruals: int = 0
    interest_posted: int = 0
    matured: int = 0
    became_due: int = 0
    became_overdue: int = 0
    defaulted: int = 0
    non_accrual: int = 0
    closed: int = 0
    allowance_change: int = 0  # cents booked to the allowance (negative: released)
    settled_entries: int = 0  # entries brought into the running balances settled after commit


class EndOfDay:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def run(self, day: date) -> EndOfDayReport:
        if day > self.ctx.today():
            raise InvalidState(f"cannot close {day} before it has started (today is {self.ctx.today()})")
        price = self.ctx.current_price()
        report = EndOfDayReport(day)
        read = self.ctx.db.read
        # Obligations first: a facility whose obligation defaults today accrues nothing from today.
        self._advance_obligations(day, report)
        # Facilities are processed in batches, one database transaction per batch: a batch is
        # written completely or not at all, and re-running the day picks up where it stopped.
        for batch in _batches(read.open_facility_ids()):
            with self.ctx.unit_of_work() as uow:
                facilities = uow.load_many(CreditFacility, batch)
                uow.load_many(
                    InterestAccrualCycle,
                    [f.current_cycle.cycle_id for f in facilities if f.current_cycle is not None],
                )
                for facility in facilities:
                    report.facilities += 1
                    self._process_facility(uow, facility, day, price, report)
                uow.commit()
        # Again for the obligations the cycles just posted (due already when a day is caught up);
        # only a posted cycle creates one, so most days skip this scan of every obligation due.
        if report.interest_posted:
            self._advance_obligations(day, report)
        for batch in _batches(read.repaid_matured_facility_ids()):
            with self.ctx.unit_of_work() as uow:
                for facility in uow.load_many(CreditFacility, batch):
                    self._close(uow, facility, day, report)
                uow.commit()
        self._close_business_day(day, report)
        # The day's commands and this batch in the running balances of cash, income and the other
        # accounts commands post to (only what has committed by now; the rest on the next run).
        report.settled_entries = self.ctx.db.settle_ledger()
        return report

    def _close_business_day(self, day: date, report: EndOfDayReport) -> None:
        """The day is over in the books: the allowance trued up and the day recorded closed, once
        and together (a re-run of a closed day adds nothing)."""
        if self.ctx.db.read.business_day_closed(day):
            return
        with self.ctx.unit_of_work() as uow:
            report.allowance_change = self._true_up_allowance(uow, day)
            uow.add(BusinessDay.close(day, report.facilities))
            uow.commit()

    def _true_up_allowance(self, uow: UnitOfWork, day: date) -> int:
        """Book the change that brings the allowance to the policy's required provision, with
        the collateral valued at the price in force on `day` (as the warehouse values it)."""
        booked = uow.ledger.balance(ALLOWANCE.id, for_update=True)
        facilities = {f: facility_ledger(f) for f in uow.read.open_facility_ids()}
        arrears = uow.read.facility_arrears(day)
        price = uow.read.price_on(day) or 0  # no price yet: the collateral counts for nothing
        balances = uow.ledger.balances_of(
            [
                a.id
                for accounts in facilities.values()
                for a in (accounts.loans_receivable, accounts.interest_receivable, accounts.collateral)
            ]
        )
        required = required_allowance(
            Exposure(
                facility_id,
                principal=balances[accounts.loans_receivable.id],
                interest=balances[accounts.interest_receivable.id],
                arrears=arrears.get(facility_id, Arrears()),
                collateral_sats=balances[accounts.collateral.id],
                price_cents=price,
            )
            for facility_id, accounts in facilities.items()
        )
        change = required - booked
        if change:
            uow.post(postings.allowance_adjusted(self.ctx.new_id(), business_day_id(day), change, day))
        return change

    def _advance_obligations(self, day: date, report: EndOfDayReport) -> None:
        for batch in _batches(self.ctx.db.read.obligations_changing_status(day)):
            with self.ctx.unit_of_work() as uow:
                for obligation in uow.load_many(Obligation, batch):
                    self._advance_obligation(uow, obligation, day, report)
                uow.commit()

    def _process_facility(
        self, uow: UnitOfWork, facility: CreditFacility, day: date, price: int, report: EndOfDayReport
    ) -> None:
        facility_id = facility.id
        accounts = facility_ledger(facility_id)
        while facility.status is FacilityStatus.ACTIVE and facility.current_cycle is not None:
            cycle = uow.load(InterestAccrualCycle, facility.current_cycle.cycle_id)
            next_day = cycle.next_accrual_date()
            if next_day is None or next_day > day:
                break
            amount = cycle.accrue(next_day, facility.interest_basis())
            report.accruals += 1
            if amount:
                uow.post(postings.interest_accrued(self.ctx.new_id(), cycle.id, accounts, amount, next_day))
            if cycle.is_complete():
                self._post_cycle(uow, facility, cycle)
                report.interest_posted += 1
        if facility.mature(day):
            report.matured += 1
        facility.reassess_collateralization(price)

    def _post_cycle(self, uow: UnitOfWork, facility: CreditFacility, cycle: InterestAccrualCycle) -> None:
        obligation_id: UUID | None = None
        if cycle.accrued > 0:
            assert facility.terms is not None
            obligation = Obligation.create(
                self.ctx.new_id(),
                facility_id=facility.id,
                obligation_type=ObligationType.INTEREST,
                amount=cycle.accrued,
                reference_id=cycle.id,
                due_date=cycle.period_end + timedelta(days=1),
                terms=facility.terms,
            )
            uow.add(obligation)
            obligation_id = obligation.id
        cycle.post(obligation_id)
        if facility.record_interest_posted(cycle.id, cycle.accrued, obligation_id, self.ctx.new_id()):
            uow.add(open_cycle_for(facility))

    def _advance_obligation(
        self, uow: UnitOfWork, obligation: Obligation, day: date, report: EndOfDayReport
    ) -> None:
        for status in obligation.advance_to(day):
            if status is ObligationStatus.DUE:
                report.became_due += 1
            elif status is ObligationStatus.OVERDUE:
                report.became_overdue += 1
            elif status is ObligationStatus.DEFAULTED:
                report.defaulted += 1
                assert obligation.facility_id is not None
                facility = uow.load(CreditFacility, obligation.facility_id)
                if facility.stop_accruing(day, obligation.id):
                    report.non_accrual += 1

    def _close(self, uow: UnitOfWork, facility: CreditFacility, day: date, report: EndOfDayReport) -> None:
        if facility.status is not FacilityStatus.MATURED or facility.principal_outstanding:
            return
        released = facility.complete()
        if released:
            uow.post(
                postings.collateral_changed(
                    self.ctx.new_id(), facility.id, facility_ledger(facility.id), -released, day
                )
            )
        report.closed += 1


def _batches(ids: list[UUID], size: int = 250) -> list[list[UUID]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
