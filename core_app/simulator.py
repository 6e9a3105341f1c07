"""A deterministic simulation of bank activity, driven through the application services.

Same seed, same parameters: the same events, ids, amounts and timestamps. All randomness comes from
one seeded generator and all arithmetic on money is on integers.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from random import Random
from uuid import UUID

from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock, SeededIds
from core_app.domain.credit_facility import CollateralizationState, FacilityStatus
from core_app.domain.customer import CustomerType
from core_app.domain.errors import DomainError, InsufficientFunds
from core_app.domain.money import BPS, SATS_PER_BTC
from core_app.domain.terms import FacilityTerms
from core_app.simulated_price import BtcPriceWalk

COUNTRIES = ("US", "US", "US", "SV", "SV", "GB", "DE", "MX", "AR", "CA")
FIRST_NAMES = ("Ana", "Ben", "Chloé", "Diego", "Eva", "Farid", "Grace", "Hugo", "Iris", "José", "Kai", "Lena")
LAST_NAMES = ("Alvarez", "Brown", "Chen", "Díaz", "Evans", "Fischer", "García", "Hughes", "Ito", "Jones")
AML_THRESHOLD_CENTS = 10_000_00
PRODUCTS = (  # duration months, annual rate bps, fee bps
    (3, 900, 50),
    (6, 1100, 75),
    (12, 1300, 100),
)


class Behaviour(StrEnum):
    PROMPT = "prompt"  # pays when due, tops up collateral on a margin call
    LATE = "late"  # pays 20 to 70 days after the due date
    DEFAULTER = "defaulter"  # stops paying


_P, _L, _D = Behaviour.PROMPT, Behaviour.LATE, Behaviour.DEFAULTER
BEHAVIOUR_CYCLE = (_P, _L, _P, _P, _D, _P, _P, _L, _P, _P, _P, _L, _P, _P, _D, _P, _P, _P, _P, _P)


@dataclass
class SimCustomer:
    id: UUID
    account_id: UUID | None
    behaviour: Behaviour
    structurer: bool
    facilities: list[UUID] = field(default_factory=list)
    pending_withdrawals: list[UUID] = field(default_factory=list)
    payment_delay_days: int = 0


@dataclass
class SimulationSummary:
    customers: int
    days: int
    seed: int
    start: date
    end: date
    events: int
    ledger_transactions: int
    ledger_entries: int
    commands: int
    rejected_commands: int
    seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


@dataclass
class SimulationConfig:
    customers: int = 200
    days: int = 365
    seed: int = 7
    start: date = date(2025, 1, 1)
    facility_share_bps: int = 4_500  # share of customers that borrow
    onboarding_days: int = 90


def simulate(
    conninfo: str, config: SimulationConfig, progress: Callable[[str], None] | None = None
) -> SimulationSummary:
    """Run a simulation against a database on its own connection (non-durable commits)."""
    clock = BusinessClock.at_start_of(config.start)
    bank = Bank.connect(conninfo, clock, SeededIds(config.seed), durable_commits=False)
    try:
        return Simulator(bank, clock, config, progress).run()
    finally:
        bank.close()


class Simulator:
    def __init__(
        self,
        bank: Bank,
        clock: BusinessClock,
        config: SimulationConfig,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.bank = bank
        self.clock = clock
        self.config = config
        self.rng = Random(f"simulation:{config.seed}")
        self.progress = progress or (lambda message: print(message, file=sys.stderr, flush=True))
        self.customers: list[SimCustomer] = []
        self.market = BtcPriceWalk(config.seed)
        self.rejected = 0
        self._tick = 0
        self._day = config.start

    # -- driver -------------------------------------------------------------------------------

    def run(self) -> SimulationSummary:
        started = time.perf_counter()
        stats = self.bank.db.stats
        before = (stats.events, stats.ledger_transactions, stats.ledger_entries, stats.commands)
        arrivals = self._arrival_schedule()
        self._begin_day(self.config.start)
        self.bank.treasury.inject_capital(50_000_000_00)
        for offset in range(self.config.days):
            day = self.config.start + timedelta(days=offset)
            self._begin_day(day)
            self._move_price()
            for _ in range(arrivals.get(offset, 0)):
                self._onboard()
            for customer in list(self.customers):
                self._customer_day(customer)
            self._at(23, 0)
            self.bank.end_of_day.run(day)
            if (offset + 1) % 30 == 0 or offset + 1 == self.config.days:
                elapsed = time.perf_counter() - started
                written = stats.events - before[0]
                self.progress(
                    f"day {offset + 1:>4}/{self.config.days} ({day}): {len(self.customers)} customers, "
                    f"{written:,} events, {stats.ledger_entries - before[2]:,} ledger entries, "
                    f"{written / elapsed:,.0f} events/s"
                )
        return SimulationSummary(
            customers=len(self.customers),
            days=self.config.days,
            seed=self.config.seed,
            start=self.config.start,
            end=self.config.start + timedelta(days=self.config.days - 1),
            events=stats.events - before[0],
            ledger_transactions=stats.ledger_transactions - before[1],
            ledger_entries=stats.ledger_entries - before[2],
            commands=stats.commands - before[3],
            rejected_commands=self.rejected,
            seconds=time.perf_counter() - started,
        )

    def _arrival_schedule(self) -> dict[int, int]:
        window = max(1, min(self.config.onboarding_days, self.config.days))
        schedule: dict[int, int] = {}
        for _ in range(self.config.customers):
            day = self.rng.randrange(window)
            schedule[day] = schedule.get(day, 0) + 1
        return schedule

    def _begin_day(self, day: date) -> None:
        self._day = day
        self._tick = 0
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        if moment > self.clock.now():
            self.clock.set(moment)

    def _at(self, hour: int, minute: int) -> None:
        moment = datetime(self._day.year, self._day.month, self._day.day, hour, minute, tzinfo=UTC)
        if moment > self.clock.now():
            self.clock.set(moment)

    def _step(self) -> None:
        """Business hours: each activity a little later than the previous one."""
        self._tick += 1
        self.clock.set(max(self.clock.now(), self._moment(8 * 3600 + self._tick * 7)))

    def _moment(self, seconds: int) -> datetime:
        base = datetime(self._day.year, self._day.month, self._day.day, tzinfo=UTC)
        return base + timedelta(seconds=min(seconds, 22 * 3600))

    # -- market ---------------------------------------------------------------------------------

    @property
    def price(self) -> int:
        """Today's BTC/USD price on the simulated exchange, USD cents per BTC."""
        return self.market.price

    def _move_price(self) -> None:
        self.market.next_day()
        self._at(0, 5)
        self.bank.treasury.record_price(self.price, "simulated-exchange")

    # -- customers --------------------------------------------------------------------------------

    def _onboard(self) -> None:
        self._step()
        rng = self.rng
        n = len(self.customers) + 1
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        business = rng.randrange(100) < 15
        customer_id = self.bank.customers.onboard(
            name=f"{first} {last}" + (" Holdings" if business else ""),
            email=f"{first.lower()}.{last.lower()}.{n}@example.com".encode("ascii", "ignore").decode(),
            phone=f"+1-555-{rng.randrange(10_000):04d}",
            country=rng.choice(COUNTRIES),
            tax_id=f"TX{rng.randrange(10**9):09d}",
            customer_type=CustomerType.BUSINESS if business else CustomerType.INDIVIDUAL,
        )
        if rng.randrange(100) < 4:
            self.bank.customers.decline_kyc(customer_id, "identity could not be verified")
            self.customers.append(SimCustomer(customer_id, None, Behaviour.PROMPT, False))
            return
        self.bank.customers.approve_kyc(customer_id)
        account_id = self.bank.customers.open_deposit_account(customer_id)
        # Behaviours in fixed proportions (3 in 20 late, 1 in 10 defaulting) rather than by chance,
        # so that even a small simulation has late payments and defaults to report on.
        behaviour = BEHAVIOUR_CYCLE[len(self.customers) % len(BEHAVIOUR_CYCLE)]
        customer = SimCustomer(
            customer_id,
            account_id,
            behaviour,
            structurer=rng.randrange(100) < 3,
            payment_delay_days=rng.randint(25, 70) if behaviour is Behaviour.LATE else 0,
        )
        self.customers.append(customer)
        self.bank.deposits.deposit(account_id, self._amount(100_00, 20_000_00), "initial deposit")
        if behaviour is not Behaviour.PROMPT or rng.randrange(BPS) < self.config.facility_share_bps:
            self._open_facility(customer)

    def _customer_day(self, customer: SimCustomer) -> None:
        if customer.account_id is None:
            return
        rng = self.rng
        self._settle_withdrawals(customer)
        if rng.randrange(100) < 6:
            self._step()
            self.bank.deposits.deposit(customer.account_id, self._amount(20_00, 5_000_00), "transfer in")
        if rng.randrange(1000) < 4:
            self._step()
            self.bank.deposits.deposit(
                customer.account_id, self._amount(10_000_00, 250_000_00), "wire transfer in"
            )
        if customer.structurer and rng.randrange(100) < 3:
            for _ in range(rng.randint(2, 4)):  # just under the reporting threshold, same day
                self._step()
                amount = AML_THRESHOLD_CENTS - rng.randint(1_00, 900_00)
                self.bank.deposits.deposit(customer.account_id, amount, "cash deposit")
        if rng.randrange(100) < 4:
            self._withdraw(customer)
        for facility_id in customer.facilities:
            self._service_facility(customer, facility_id)

    def _withdraw(self, customer: SimCustomer) -> None:
        assert customer.account_id is not None
        self._step()
        amount = self._amount(20_00, 3_000_00)
        try:
            withdrawal_id = self.bank.deposits.initiate_withdrawal(customer.account_id, amount, "payout")
        except InsufficientFunds:
            self.rejected += 1
            return
        customer.pending_withdrawals.append(withdrawal_id)

    def _settle_withdrawals(self, customer: SimCustomer) -> None:
        for withdrawal_id in customer.pending_withdrawals:
            self._step()
            if self.rng.randrange(100) < 5:
                self.bank.deposits.cancel_withdrawal(withdrawal_id, "cancelled by the customer")
                continue
            self.bank.deposits.approve_withdrawal(withdrawal_id)
            self.bank.deposits.confirm_withdrawal(withdrawal_id)
        customer.pending_withdrawals.clear()

    # -- credit --------------------------------------------------------------------------------

    def _open_facility(self, customer: SimCustomer) -> None:
        assert customer.account_id is not None
        rng = self.rng
        months, rate_bps, fee_bps = rng.choice(PRODUCTS)
        terms = FacilityTerms.parse(
            annual_rate_bps=rate_bps,
            duration_months=months,
            disbursal_fee_bps=fee_bps,
            initial_cvl_bps=14_000,
            margin_call_cvl_bps=12_500,
            liquidation_cvl_bps=11_000,
        )
        limit = self._amount(5_000_00, 500_000_00)
        self._step()
        facility_id = self.bank.credit.propose(customer.id, customer.account_id, limit, terms)
        self.bank.credit.approve(facility_id)
        cushion_bps = rng.randint(14_500, 19_000)  # 145% to 190% of the limit
        sats = limit * cushion_bps * SATS_PER_BTC // (BPS * self.price) + 1
        self.bank.credit.update_collateral(facility_id, sats)
        self.bank.credit.activate(facility_id)
        customer.facilities.append(facility_id)
        first = limit * rng.randint(50, 100) // 100
        self.bank.credit.disburse(facility_id, first)

    def _service_facility(self, customer: SimCustomer, facility_id: UUID) -> None:
        rng = self.rng
        facility = self.bank.credit.facility(facility_id)
        if facility.status is FacilityStatus.CLOSED:
            return
        if facility.status is FacilityStatus.WRITTEN_OFF:
            # Collections: a written-off borrower may pay part of the loss, once (0.3% a day: about
            # two in five within six months).
            if not facility.recovered and rng.randrange(1000) < 3:
                self._step()
                self.bank.credit.recover(
                    facility_id, max(1, facility.written_off * rng.randint(10, 40) // 100)
                )
            return
        if (
            facility.collateralization
            in (CollateralizationState.UNDER_MARGIN_CALL, CollateralizationState.UNDER_LIQUIDATION)
            and customer.behaviour is Behaviour.PROMPT
        ):
            self._step()
            # Top up to about 160% of what is owed at today's price.
            target = facility.exposure() * 16_000 * SATS_PER_BTC // (BPS * self.price) + 1
            if target > facility.collateral_sats:
                self.bank.credit.update_collateral(facility_id, target)
        if (
            facility.status is FacilityStatus.ACTIVE
            and facility.disbursed_total < facility.amount
            and rng.randrange(1000) < 8
        ):
            self._step()
            try:
                self.bank.credit.disburse(facility_id, (facility.amount - facility.disbursed_total) // 2 or 1)
            except DomainError:
                self.rejected += 1  # e.g. the facility is under margin call or near maturity
        if (
            customer.behaviour is Behaviour.DEFAULTER
            and facility.activated_on is not None
            and self._day > facility.activated_on + timedelta(days=45)
        ):
            return
        self._pay_if_due(customer, facility_id)

    def _pay_if_due(self, customer: SimCustomer, facility_id: UUID) -> None:
        delay = customer.payment_delay_days
        # A late payer pays only once something has been due for `delay` days.
        if delay and not self.bank.credit.amount_due(facility_id, self._day - timedelta(days=delay)):
            return
        due = self.bank.credit.amount_due(facility_id)
        if due:
            self._step()
            self.bank.credit.pay(facility_id, due)

    def _amount(self, low: int, high: int) -> int:
        """A positive amount in cents, skewed towards the low end (most payments are small)."""
        span = high - low
        return low + span * self.rng.randrange(1, 1001) ** 2 // 1_000_000
