"""The daily batch: obligation status and non-accrual, interest accrual and posting, maturity,
liquidations, write-offs, closing facilities, and the loan-loss allowance trued up to the
provisioning policy.

It is driven by a business date, never by the wall clock, and is idempotent per date: a second run
for the same day finds nothing left to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from core_app.application.context import ServiceContext
from core_app.application.credit import receive_payment
from core_app.application.ports import UnitOfWork
from core_app.domain import postings
from core_app.domain.business_day import BusinessDay, business_day_id
from core_app.domain.credit_facility import CreditFacility, FacilityStatus
from core_app.domain.errors import InvalidState
from core_app.domain.interest_accrual import InterestAccrualCycle, open_cycle_for
from core_app.domain.ledger import ALLOWANCE, facility_ledger
from core_app.domain.liquidation import LiquidationTrigger, Owed, Sale, sats_to_restore
from core_app.domain.obligation import Obligation, ObligationStatus, ObligationType
from core_app.domain.provisioning import Arrears, Exposure, required_allowance
from core_app.domain.write_off import write_off_reason


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
    liquidations: int = 0
    written_off: int = 0
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
        # Collateral is sold at the price in force on the day closed (as the reserve values it).
        sale_price = self.ctx.db.read.price_on(day)
        report = EndOfDayReport(day)
        read = self.ctx.db.read
        to_liquidate: list[UUID] = []
        to_write_off: list[UUID] = []  # nothing to sell: the write-off policy's candidates
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
                    # Any facility on non-accrual may have a defaulted obligation (checked later).
                    defaulted = facility.non_accrual_since is not None
                    if sale_price is not None and facility.liquidation_trigger(sale_price, defaulted):
                        to_liquidate.append(facility.id)
                    elif facility.collateral_sats == 0:
                        to_write_off.append(facility.id)
                uow.commit()
        # Again for the obligations the cycles just posted (due already when a day is caught up);
        # only a posted cycle creates one, so most days skip this scan of every obligation due.
        if report.interest_posted:
            to_liquidate += self._advance_obligations(day, report)
        if not read.business_day_closed(day):  # the day's sales and losses, once, as it closes
            self._settle_bad_loans(day, sale_price, to_liquidate, to_write_off, report)
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

    def _advance_obligations(self, day: date, report: EndOfDayReport) -> list[UUID]:
        """Move obligations to the statuses they reach by `day`; returns the facilities that have
        an obligation defaulting."""
        defaulting: list[UUID] = []
        for batch in _batches(self.ctx.db.read.obligations_changing_status(day)):
            with self.ctx.unit_of_work() as uow:
                for obligation in uow.load_many(Obligation, batch):
                    if self._advance_obligation(uow, obligation, day, report):
                        assert obligation.facility_id is not None
                        defaulting.append(obligation.facility_id)
                uow.commit()
        return defaulting

    def _settle_bad_loans(
        self,
        day: date,
        sale_price: int | None,
        to_liquidate: list[UUID],
        to_write_off: list[UUID],
        report: EndOfDayReport,
    ) -> None:
        """Liquidations once every obligation of the day is written (so that the proceeds repay
        it), then write-offs of what is left with nothing to sell."""
        candidates = sorted(set(to_liquidate))
        if sale_price is not None:
            self._liquidate_all(candidates, day, sale_price, report)
        self._write_off(sorted(set(candidates) | set(to_write_off)), day, report)

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
        obligation = self._interest_obligation(uow, facility, cycle, cycle.period_end + timedelta(days=1))
        obligation_id = None if obligation is None else obligation.id
        cycle.post(obligation_id)
        if facility.record_interest_posted(cycle.id, cycle.accrued, obligation_id, self.ctx.new_id()):
            uow.add(open_cycle_for(facility))

    def _interest_obligation(
        self, uow: UnitOfWork, facility: CreditFacility, cycle: InterestAccrualCycle, due_date: date
    ) -> Obligation | None:
        """The obligation a posted cycle creates (none when it accrued nothing)."""
        if cycle.accrued == 0:
            return None
        assert facility.terms is not None
        obligation = Obligation.create(
            self.ctx.new_id(),
            facility_id=facility.id,
            obligation_type=ObligationType.INTEREST,
            amount=cycle.accrued,
            reference_id=cycle.id,
            due_date=due_date,
            terms=facility.terms,
        )
        uow.add(obligation)
        return obligation

    def _advance_obligation(
        self, uow: UnitOfWork, obligation: Obligation, day: date, report: EndOfDayReport
    ) -> bool:
        """Record the statuses the obligation reaches by `day`; True when it defaults."""
        reached = obligation.advance_to(day)
        for status in reached:
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
        return ObligationStatus.DEFAULTED in reached

    def _liquidate_all(self, ids: list[UUID], day: date, price: int, report: EndOfDayReport) -> None:
        for batch in _batches(ids):
            with self.ctx.unit_of_work() as uow:
                for facility in uow.load_many(CreditFacility, batch):
                    self._liquidate(uow, facility, day, price, report)
                uow.commit()

    def _liquidate(
        self, uow: UnitOfWork, facility: CreditFacility, day: date, price: int, report: EndOfDayReport
    ) -> None:
        """Sell collateral as the liquidation policy says and apply the proceeds (docs/accounting.md)."""
        obligations = uow.load_many(Obligation, uow.read.open_obligation_ids(facility.id))
        trigger = facility.liquidation_trigger(price, _defaulted(obligations))
        if trigger is None:
            return
        assert facility.terms is not None and facility.deposit_account_id is not None
        sats = facility.collateral_sats
        if trigger is LiquidationTrigger.CVL_BELOW_LIQUIDATION:
            sats = sats_to_restore(sats, price, _owed(obligations), facility.terms.initial_cvl_bps)
        sale = Sale(sats, price)
        # Everything sold for more than the obligations: the principal is repaid, nothing more
        # accrues, and the interest accrued so far is owed before any surplus is the borrower's.
        if sats == facility.collateral_sats and sale.proceeds > _owed(obligations).total:
            obligations.extend(self._end_accruing(uow, facility, day))
        applied = min(sale.proceeds, _owed(obligations).total)
        payment_id = self.ctx.new_id() if applied else None
        liquidation_id = self.ctx.new_id()
        surplus = facility.record_liquidation(liquidation_id, trigger, day, sale, payment_id, applied)
        uow.post(
            postings.collateral_liquidated(
                self.ctx.new_id(),
                facility.id,
                facility_ledger(facility.id),
                facility.deposit_account_id,
                sale.sats,
                surplus,
                day,
                liquidation_id,
            )
        )
        if payment_id is not None:
            receive_payment(self.ctx, uow, facility, obligations, applied, day, price, payment_id)
        facility.reassess_collateralization(price)
        report.liquidations += 1
        if facility.close_when_settled(owes_anything=any(o.is_open() for o in obligations)):
            report.closed += 1

    def _write_off(self, candidates: list[UUID], day: date, report: EndOfDayReport) -> None:
        """Take off the books what the write-off policy says (docs/accounting.md)."""
        if not candidates:
            return
        arrears = self.ctx.db.read.facility_arrears(day)
        for batch in _batches(candidates):
            with self.ctx.unit_of_work() as uow:
                for facility in uow.load_many(CreditFacility, batch):
                    if facility.is_open():
                        days = arrears.get(facility.id, Arrears()).days_past_due
                        report.written_off += self._write_off_one(uow, facility, day, days)
                uow.commit()

    def _write_off_one(self, uow: UnitOfWork, facility: CreditFacility, day: date, days_past_due: int) -> int:
        obligations = uow.load_many(Obligation, uow.read.open_obligation_ids(facility.id))
        reason = write_off_reason(
            owes=facility.principal_outstanding > 0 or any(o.is_open() for o in obligations),
            collateral_sats=facility.collateral_sats,
            defaulted=facility.non_accrual_since is not None,  # even if the sale paid what defaulted
            days_past_due=days_past_due,
        )
        if reason is None:
            return 0
        obligations.extend(self._end_accruing(uow, facility, day))
        removed = {ObligationType.INTEREST: 0, ObligationType.PRINCIPAL: 0}
        for obligation in obligations:
            removed[obligation.obligation_type] += obligation.write_off()
        principal, interest = removed[ObligationType.PRINCIPAL], removed[ObligationType.INTEREST]
        facility.write_off(day, reason, principal, interest)
        uow.post(
            postings.written_off(
                self.ctx.new_id(), facility.id, facility_ledger(facility.id), principal, interest, day
            )
        )
        return 1

    def _end_accruing(self, uow: UnitOfWork, facility: CreditFacility, day: date) -> list[Obligation]:
        """Post the open cycle's interest, if a cycle is open, as an obligation due today and open
        no further cycle: the facility is repaid by a sale and closes, or is written off."""
        if facility.current_cycle is None:
            return []
        cycle = uow.load(InterestAccrualCycle, facility.current_cycle.cycle_id)
        obligation = self._interest_obligation(uow, facility, cycle, day)
        if obligation is not None:
            obligation.advance_to(day)
        obligation_id = None if obligation is None else obligation.id
        cycle.post_early(day, obligation_id)
        facility.record_interest_posted(cycle.id, cycle.accrued, obligation_id, None)
        return [] if obligation is None else [obligation]

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


def _defaulted(obligations: list[Obligation]) -> bool:
    return any(o.is_open() and o.status is ObligationStatus.DEFAULTED for o in obligations)


def _owed(obligations: list[Obligation]) -> Owed:
    interest = sum(o.outstanding for o in obligations if o.obligation_type is ObligationType.INTEREST)
    return Owed(interest, sum(o.outstanding for o in obligations) - interest)


def _batches(ids: list[UUID], size: int = 250) -> list[list[UUID]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
