"""Credit facility: a bitcoin-collateralised credit line, from proposal to close."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from core_app.domain.aggregate import Aggregate
from core_app.domain.errors import InvalidAmount, InvalidState, LimitExceeded
from core_app.domain.events import DomainEvent, register
from core_app.domain.liquidation import LiquidationTrigger, Sale
from core_app.domain.money import MAX_COLLATERAL_SATS, Cents, Sats, cvl_bps, require_positive
from core_app.domain.terms import FacilityTerms, accrual_period, add_months
from core_app.domain.write_off import WriteOffReason


class FacilityStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    ACTIVE = "active"
    MATURED = "matured"
    CLOSED = "closed"
    WRITTEN_OFF = "written_off"


class CollateralizationState(StrEnum):
    NOT_ASSESSED = "not_assessed"
    FULLY_COLLATERALIZED = "fully_collateralized"
    UNDER_MARGIN_CALL = "under_margin_call"
    UNDER_LIQUIDATION = "under_liquidation"
    NO_EXPOSURE = "no_exposure"


class CollateralAction(StrEnum):
    ADD = "add"
    REMOVE = "remove"


class FacilityProposed(DomainEvent):
    event_type: ClassVar[str] = "initialized"
    public_name: ClassVar[str | None] = "credit_facility.proposed"

    customer_id: UUID
    deposit_account_id: UUID
    amount: Cents  # facility limit, USD cents
    terms: FacilityTerms


class FacilityApproved(DomainEvent):
    event_type: ClassVar[str] = "approved"


class CollateralUpdated(DomainEvent):
    event_type: ClassVar[str] = "collateral_updated"
    public_name: ClassVar[str | None] = "credit_facility.collateral_updated"

    action: CollateralAction
    delta_sats: int
    collateral_sats: Sats  # total after the update


class FacilityActivated(DomainEvent):
    event_type: ClassVar[str] = "activated"
    public_name: ClassVar[str | None] = "credit_facility.activated"

    activated_on: date
    maturity_date: date


class AccrualCycleStarted(DomainEvent):
    event_type: ClassVar[str] = "interest_accrual_cycle_started"

    cycle_id: UUID
    idx: int
    period_start: date
    period_end: date


class DisbursalSettled(DomainEvent):
    event_type: ClassVar[str] = "disbursal_settled"

    disbursal_id: UUID
    amount: Cents
    obligation_id: UUID


class InterestPosted(DomainEvent):
    event_type: ClassVar[str] = "interest_posted"

    cycle_id: UUID
    amount: Cents
    obligation_id: UUID | None


class PaymentRecorded(DomainEvent):
    event_type: ClassVar[str] = "payment_recorded"

    payment_id: UUID
    amount: Cents
    interest_amount: Cents
    principal_amount: Cents


class CollateralizationChanged(DomainEvent):
    event_type: ClassVar[str] = "collateralization_changed"
    public_name: ClassVar[str | None] = "credit_facility.collateralization_changed"

    state: CollateralizationState
    cvl_bps: int | None
    price_cents: Cents
    collateral_sats: Sats
    exposure: Cents  # USD cents the ratio was computed against


class NonAccrualStarted(DomainEvent):
    """From this date the facility accrues no interest into income (an obligation defaulted)."""

    event_type: ClassVar[str] = "non_accrual_started"
    public_name: ClassVar[str | None] = "credit_facility.non_accrual_started"

    started_on: date
    obligation_id: UUID  # the defaulted obligation that put the facility on non-accrual


class CollateralLiquidated(DomainEvent):
    """Collateral sold by the bank (docs/accounting.md, Liquidation): the sale, and where its
    proceeds went (a payment of the obligations, then the borrower's deposit account)."""

    event_type: ClassVar[str] = "collateral_liquidated"
    public_name: ClassVar[str | None] = "credit_facility.collateral_liquidated"

    liquidation_id: UUID
    liquidation_trigger: LiquidationTrigger
    liquidated_on: date
    sats_sold: Sats
    collateral_sats: Sats  # what the facility still holds after the sale
    price_cents: Cents  # the day's BTC/USD price the satoshis were sold at
    sale_value: Cents  # the satoshis' value at that price, rounded down to the cent
    fee: Cents  # the exchange's, borne by the borrower
    proceeds: Cents  # sale value less fee: what reached the bank
    payment_id: UUID | None  # the payment that applied them to the obligations
    applied: Cents  # to the obligations (the payment's amount)
    surplus: Cents  # to the borrower's deposit account


class FacilityWrittenOff(DomainEvent):
    """The loan leaves the books (the write-off policy, core_app/domain/write_off.py)."""

    event_type: ClassVar[str] = "written_off"
    public_name: ClassVar[str | None] = "credit_facility.written_off"

    written_off_on: date
    write_off_reason: WriteOffReason
    principal_written_off: Cents  # loans receivable removed against the allowance
    interest_written_off: Cents  # interest receivable removed against the allowance


class RecoveryRecorded(DomainEvent):
    """Money collected on a written-off facility: income, not a payment."""

    event_type: ClassVar[str] = "recovery_recorded"
    public_name: ClassVar[str | None] = "credit_facility.recovery_recorded"

    recovery_id: UUID
    amount: Cents
    recovered_on: date


class FacilityMatured(DomainEvent):
    event_type: ClassVar[str] = "matured"
    public_name: ClassVar[str | None] = "credit_facility.matured"


class FacilityCompleted(DomainEvent):
    event_type: ClassVar[str] = "completed"
    public_name: ClassVar[str | None] = "credit_facility.completed"

    collateral_released_sats: Sats


register(
    "credit_facility",
    FacilityProposed,
    FacilityApproved,
    CollateralUpdated,
    FacilityActivated,
    AccrualCycleStarted,
    DisbursalSettled,
    InterestPosted,
    PaymentRecorded,
    CollateralizationChanged,
    NonAccrualStarted,
    CollateralLiquidated,
    FacilityWrittenOff,
    RecoveryRecorded,
    FacilityMatured,
    FacilityCompleted,
)


@dataclass(frozen=True)
class CurrentCycle:
    cycle_id: UUID
    idx: int
    period_start: date
    period_end: date


@dataclass
class CreditFacility(Aggregate):
    aggregate_type: ClassVar[str] = "credit_facility"

    customer_id: UUID | None = None
    deposit_account_id: UUID | None = None
    amount: int = 0
    terms: FacilityTerms | None = None
    status: FacilityStatus = FacilityStatus.PROPOSED
    collateral_sats: int = 0
    activated_on: date | None = None
    maturity_date: date | None = None
    disbursed_total: int = 0
    principal_outstanding: int = 0
    obligation_ids: list[UUID] = field(default_factory=list)
    current_cycle: CurrentCycle | None = None
    collateralization: CollateralizationState = CollateralizationState.NOT_ASSESSED
    non_accrual_since: date | None = None
    written_off: int = 0  # principal and interest removed from the books
    recovered: int = 0

    # -- commands ---------------------------------------------------------------------------

    @classmethod
    def propose(
        cls,
        facility_id: UUID,
        *,
        customer_id: UUID,
        deposit_account_id: UUID,
        amount: int,
        terms: FacilityTerms,
    ) -> CreditFacility:
        require_positive(amount, "facility amount")
        facility = cls(id=facility_id)
        facility.record(
            FacilityProposed(
                customer_id=customer_id,
                deposit_account_id=deposit_account_id,
                amount=amount,
                terms=terms,
            )
        )
        return facility

    def approve(self) -> None:
        self._require(FacilityStatus.PROPOSED, "approve")
        self.record(FacilityApproved())

    def update_collateral(self, new_total_sats: int, price_cents: int) -> int:
        """Set the collateral to `new_total_sats`; returns the signed change in satoshis."""
        if isinstance(new_total_sats, bool) or not isinstance(new_total_sats, int):
            raise InvalidAmount(f"collateral must be an integer number of satoshis: {new_total_sats!r}")
        if new_total_sats < 0:
            raise InvalidAmount(f"collateral must not be negative, got {new_total_sats} sats")
        if new_total_sats > MAX_COLLATERAL_SATS:
            raise InvalidAmount(
                f"collateral of {new_total_sats:,} sats exceeds the maximum of {MAX_COLLATERAL_SATS:,} "
                "sats (every bitcoin there will ever be)"
            )
        if self.status in (FacilityStatus.CLOSED, FacilityStatus.WRITTEN_OFF):
            raise InvalidState(f"credit facility {self.id} is {self.status.value}")
        delta = new_total_sats - self.collateral_sats
        if delta == 0:
            raise InvalidAmount(f"collateral of facility {self.id} is already {new_total_sats} sats")
        require_positive(abs(delta), "collateral change (sats)")
        if delta < 0 and self.status in (FacilityStatus.ACTIVE, FacilityStatus.MATURED):
            ratio = cvl_bps(new_total_sats, price_cents, self.exposure())
            if ratio is not None and ratio < self._terms().initial_cvl_bps:
                raise InvalidState(
                    f"removing {-delta} sats would leave facility {self.id} at a CVL of "
                    f"{ratio / 100:.2f}%, below the initial {self._terms().initial_cvl_bps / 100:.2f}%"
                )
        self.record(
            CollateralUpdated(
                action=CollateralAction.ADD if delta > 0 else CollateralAction.REMOVE,
                delta_sats=abs(delta),
                collateral_sats=new_total_sats,
            )
        )
        if self.status in (FacilityStatus.ACTIVE, FacilityStatus.MATURED):
            self.reassess_collateralization(price_cents)
        return delta

    def activate(self, today: date, price_cents: int, first_cycle_id: UUID) -> None:
        self._require(FacilityStatus.APPROVED, "activate")
        terms = self._terms()
        ratio = cvl_bps(self.collateral_sats, price_cents, self.amount)
        if ratio is None or ratio < terms.initial_cvl_bps:
            shown = "no" if ratio is None else f"{ratio / 100:.2f}%"
            raise InvalidState(
                f"facility {self.id} needs a CVL of {terms.initial_cvl_bps / 100:.2f}% to activate, "
                f"has {shown} ({self.collateral_sats} sats at {price_cents} cents/BTC)"
            )
        maturity = add_months(today, terms.duration_months)
        self.record(FacilityActivated(activated_on=today, maturity_date=maturity))
        self._start_cycle(first_cycle_id, 0, today)
        self.reassess_collateralization(price_cents)

    def check_disbursal(self, amount: int, today: date, price_cents: int) -> None:
        require_positive(amount, "disbursal amount")
        if self.status is not FacilityStatus.ACTIVE:
            raise InvalidState(f"credit facility {self.id} is {self.status.value}, cannot disburse")
        if self.maturity_date is not None and today >= self.maturity_date:
            raise InvalidState(f"credit facility {self.id} matures on {self.maturity_date}")
        if self.disbursed_total + amount > self.amount:
            raise LimitExceeded(
                f"disbursal of {amount} cents exceeds the facility limit: "
                f"{self.disbursed_total} of {self.amount} cents already disbursed"
            )
        ratio = cvl_bps(self.collateral_sats, price_cents, self.principal_outstanding + amount)
        if ratio is not None and ratio < self._terms().margin_call_cvl_bps:
            raise InvalidState(
                f"disbursal of {amount} cents would put facility {self.id} under margin call "
                f"(CVL {ratio / 100:.2f}%)"
            )

    def record_disbursal(
        self, disbursal_id: UUID, amount: int, obligation_id: UUID, price_cents: int
    ) -> None:
        self.record(DisbursalSettled(disbursal_id=disbursal_id, amount=amount, obligation_id=obligation_id))
        self.reassess_collateralization(price_cents)

    def record_interest_posted(
        self, cycle_id: UUID, amount: int, obligation_id: UUID | None, next_cycle_id: UUID | None
    ) -> CurrentCycle | None:
        """Close the current cycle; start the next one unless the facility reaches maturity (or
        there is no next one: a liquidation of everything ends accruing)."""
        cycle = self.current_cycle
        if cycle is None or cycle.cycle_id != cycle_id:
            raise InvalidState(f"cycle {cycle_id} is not the open cycle of facility {self.id}")
        self.record(InterestPosted(cycle_id=cycle_id, amount=amount, obligation_id=obligation_id))
        next_start = date.fromordinal(cycle.period_end.toordinal() + 1)
        assert self.maturity_date is not None
        if next_cycle_id is not None and next_start < self.maturity_date:
            self._start_cycle(next_cycle_id, cycle.idx + 1, next_start)
        return self.current_cycle

    def check_payment(self) -> None:
        if self.status in (FacilityStatus.PROPOSED, FacilityStatus.APPROVED):
            raise InvalidState(f"credit facility {self.id} is not active, cannot take a payment")
        if self.status is FacilityStatus.CLOSED:
            raise InvalidState(f"credit facility {self.id} is closed, cannot take a payment")
        if self.status is FacilityStatus.WRITTEN_OFF:
            raise InvalidState(
                f"credit facility {self.id} is written off: money collected on it is a recovery, "
                "not a payment"
            )

    def record_payment(
        self, payment_id: UUID, interest_amount: int, principal_amount: int, price_cents: int
    ) -> None:
        self.record(
            PaymentRecorded(
                payment_id=payment_id,
                amount=interest_amount + principal_amount,
                interest_amount=interest_amount,
                principal_amount=principal_amount,
            )
        )
        if principal_amount:
            self.reassess_collateralization(price_cents)

    def stop_accruing(self, today: date, defaulted_obligation_id: UUID) -> bool:
        """Non-accrual from the first default until the facility closes; False if already so."""
        if self.non_accrual_since is not None or self.status is FacilityStatus.CLOSED:
            return False
        self.record(NonAccrualStarted(started_on=today, obligation_id=defaulted_obligation_id))
        return True

    def interest_basis(self) -> int:
        """The principal interest accrues on today: none once the facility is on non-accrual."""
        return 0 if self.non_accrual_since is not None else self.principal_outstanding

    def mature(self, today: date) -> bool:
        if self.status is not FacilityStatus.ACTIVE or self.maturity_date is None:
            return False
        if today < self.maturity_date:
            return False
        self.record(FacilityMatured())
        return True

    def complete(self) -> int:
        """Close a matured facility with nothing owed; returns the collateral to release."""
        if self.status is not FacilityStatus.MATURED:
            raise InvalidState(f"credit facility {self.id} is {self.status.value}, cannot close")
        if self.principal_outstanding:
            raise InvalidState(f"credit facility {self.id} still owes principal")
        released = self.collateral_sats
        self.record(FacilityCompleted(collateral_released_sats=released))
        return released

    def liquidation_trigger(self, price_cents: int, defaulted: bool) -> LiquidationTrigger | None:
        """Why the policy (core_app/domain/liquidation.py) sells this facility's collateral at
        `price_cents` today, if it does; `defaulted`: one of its obligations is defaulted, unpaid."""
        if not self.is_open() or self.collateral_sats == 0:
            return None
        if defaulted:
            return LiquidationTrigger.OBLIGATION_DEFAULTED
        ratio = cvl_bps(self.collateral_sats, price_cents, self.principal_outstanding)
        if ratio is not None and ratio < self._terms().liquidation_cvl_bps:
            return LiquidationTrigger.CVL_BELOW_LIQUIDATION
        return None

    def record_liquidation(
        self,
        liquidation_id: UUID,
        trigger: LiquidationTrigger,
        today: date,
        sale: Sale,
        payment_id: UUID | None,
        applied: int,
    ) -> int:
        """Record a sale of collateral and where its proceeds went; returns the surplus."""
        if not 0 < sale.sats <= self.collateral_sats:
            raise InvalidState(
                f"facility {self.id} holds {self.collateral_sats} sats, cannot sell {sale.sats}"
            )
        if not 0 <= applied <= sale.proceeds:
            raise InvalidState(f"{applied} cents applied out of {sale.proceeds} cents of proceeds")
        surplus = sale.proceeds - applied
        self.record(
            CollateralLiquidated(
                liquidation_id=liquidation_id,
                liquidation_trigger=trigger,
                liquidated_on=today,
                sats_sold=sale.sats,
                collateral_sats=self.collateral_sats - sale.sats,
                price_cents=sale.price_cents,
                sale_value=sale.value,
                fee=sale.fee,
                proceeds=sale.proceeds,
                payment_id=payment_id,
                applied=applied,
                surplus=surplus,
            )
        )
        return surplus

    def close_when_settled(self, owes_anything: bool) -> bool:
        """Close a facility a liquidation left with nothing owed, nothing accruing and no collateral."""
        if not self.is_open() or owes_anything or self.collateral_sats or self.principal_outstanding:
            return False
        if self.current_cycle is not None:
            return False
        self.record(FacilityCompleted(collateral_released_sats=0))
        return True

    def write_off(self, today: date, reason: WriteOffReason, principal: int, interest: int) -> None:
        """Take the loan off the books: `principal` and `interest` receivable, removed."""
        if not self.is_open():
            raise InvalidState(f"credit facility {self.id} is {self.status.value}, cannot be written off")
        if self.collateral_sats:
            raise InvalidState(f"credit facility {self.id} still holds {self.collateral_sats} sats")
        self.record(
            FacilityWrittenOff(
                written_off_on=today,
                write_off_reason=reason,
                principal_written_off=principal,
                interest_written_off=interest,
            )
        )

    def record_recovery(self, recovery_id: UUID, amount: int, today: date) -> None:
        require_positive(amount, "recovery amount")
        if self.status is not FacilityStatus.WRITTEN_OFF:
            raise InvalidState(
                f"credit facility {self.id} is {self.status.value}: only a written-off facility "
                "has recoveries (a payment repays one on the books)"
            )
        if self.recovered + amount > self.written_off:
            raise InvalidAmount(
                f"a recovery of {amount} cents would recover more than the {self.written_off} cents "
                f"written off on facility {self.id} ({self.recovered} cents recovered already)"
            )
        self.record(RecoveryRecorded(recovery_id=recovery_id, amount=amount, recovered_on=today))

    def reassess_collateralization(self, price_cents: int) -> None:
        exposure = self.exposure()
        ratio = cvl_bps(self.collateral_sats, price_cents, exposure)
        state = self._state_for(ratio)
        if state is not self.collateralization:
            self.record(
                CollateralizationChanged(
                    state=state,
                    cvl_bps=ratio,
                    price_cents=price_cents,
                    collateral_sats=self.collateral_sats,
                    exposure=exposure,
                )
            )

    # -- queries ----------------------------------------------------------------------------

    def exposure(self) -> int:
        """What the CVL is measured against: the limit before any disbursal, then what is owed."""
        return self.principal_outstanding if self.disbursed_total else self.amount

    def is_open(self) -> bool:
        return self.status in (FacilityStatus.ACTIVE, FacilityStatus.MATURED)

    # -- internals --------------------------------------------------------------------------

    def _state_for(self, ratio: int | None) -> CollateralizationState:
        if ratio is None:
            return CollateralizationState.NO_EXPOSURE
        terms = self._terms()
        if ratio < terms.liquidation_cvl_bps:
            return CollateralizationState.UNDER_LIQUIDATION
        if ratio < terms.margin_call_cvl_bps:
            return CollateralizationState.UNDER_MARGIN_CALL
        return CollateralizationState.FULLY_COLLATERALIZED

    def _start_cycle(self, cycle_id: UUID, idx: int, start: date) -> None:
        assert self.maturity_date is not None
        period_start, period_end = accrual_period(start, self.maturity_date)
        self.record(
            AccrualCycleStarted(cycle_id=cycle_id, idx=idx, period_start=period_start, period_end=period_end)
        )

    def _require(self, status: FacilityStatus, action: str) -> None:
        if self.status is not status:
            raise InvalidState(f"credit facility {self.id} is {self.status.value}, cannot {action}")

    def _terms(self) -> FacilityTerms:
        assert self.terms is not None
        return self.terms

    def apply(self, event: DomainEvent) -> None:
        match event:
            case FacilityProposed():
                self.customer_id = event.customer_id
                self.deposit_account_id = event.deposit_account_id
                self.amount = event.amount
                self.terms = event.terms
            case FacilityApproved():
                self.status = FacilityStatus.APPROVED
            case CollateralUpdated():
                self.collateral_sats = event.collateral_sats
            case FacilityActivated():
                self.status = FacilityStatus.ACTIVE
                self.activated_on = event.activated_on
                self.maturity_date = event.maturity_date
            case AccrualCycleStarted():
                self.current_cycle = CurrentCycle(
                    event.cycle_id, event.idx, event.period_start, event.period_end
                )
            case DisbursalSettled():
                self.disbursed_total += event.amount
                self.principal_outstanding += event.amount
                self.obligation_ids.append(event.obligation_id)
            case InterestPosted():
                self.current_cycle = None
                if event.obligation_id is not None:
                    self.obligation_ids.append(event.obligation_id)
            case PaymentRecorded():
                self.principal_outstanding -= event.principal_amount
            case CollateralizationChanged():
                self.collateralization = event.state
            case NonAccrualStarted():
                self.non_accrual_since = event.started_on
            case CollateralLiquidated():
                self.collateral_sats = event.collateral_sats
            case FacilityWrittenOff():
                self.status = FacilityStatus.WRITTEN_OFF
                self.principal_outstanding = 0
                self.current_cycle = None
                self.written_off = event.principal_written_off + event.interest_written_off
            case RecoveryRecorded():
                self.recovered += event.amount
            case FacilityMatured():
                self.status = FacilityStatus.MATURED
            case FacilityCompleted():
                self.status = FacilityStatus.CLOSED
                self.collateral_sats = 0
