"""An in-memory core database behind the application's ports (core_app/application/ports.py).

Events are stored per aggregate as the domain emits them and aggregates are rebuilt from them, as
the PostgreSQL event store does; the read model answers from the stored events with the same
rules as its SQL (core_app/adapters/read_model.py); the ledger keeps every posted entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date
from types import TracebackType
from typing import Self, TypeVar
from uuid import UUID

from core_app.adapters.read_model import ENDING_EVENTS
from core_app.adapters.unit_of_work import WriteStats
from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock, Clock, SeededIds
from core_app.domain.aggregate import Aggregate
from core_app.domain.business_day import business_day_id
from core_app.domain.errors import NotFound
from core_app.domain.events import DomainEvent
from core_app.domain.ledger import (
    OMNIBUS_ACCOUNTS,
    Account,
    LedgerTransaction,
    Side,
    accounts_of,
    balance_on_normal_side,
    require_not_negative,
)
from core_app.domain.price import BtcPrice
from core_app.domain.provisioning import Arrears

A = TypeVar("A", bound=Aggregate)
Stream = list[DomainEvent]


@dataclass
class FakeLedger:
    # The bank's own chart exists from the start, as the migrations create it.
    accounts: dict[UUID, Account] = field(default_factory=lambda: {a.id: a for a in OMNIBUS_ACCOUNTS})
    transactions: list[LedgerTransaction] = field(default_factory=list)
    _totals: dict[UUID, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def record(self, accounts: Sequence[Account], transactions: Sequence[LedgerTransaction]) -> None:
        """All of it, or (a posting the ledger refuses) none of it."""
        known = dict(self.accounts)
        totals = {account_id: list(pair) for account_id, pair in self._totals.items()}
        try:
            self.accounts.update({a.id: a for a in accounts})
            for transaction in transactions:
                for entry in transaction.entries:
                    self._totals[entry.account.id][entry.side is Side.CREDIT] += entry.amount
                for account in accounts_of(transaction.entries):  # as the PostgreSQL ledger does
                    require_not_negative(account, self.balance(account.id))
        except Exception:
            self.accounts = known
            self._totals = defaultdict(lambda: [0, 0], totals)
            raise
        self.transactions.extend(transactions)

    def balance(self, account_id: UUID, for_update: bool = False) -> int:
        if account_id not in self.accounts:
            raise NotFound(f"ledger account(s) {account_id} do not exist")
        debits, credits = self._totals.get(account_id, (0, 0))
        return balance_on_normal_side(self.accounts[account_id].normal_side, debits, credits)

    def balances_of(self, account_ids: Sequence[UUID]) -> dict[UUID, int]:
        return {account_id: self.balance(account_id) for account_id in account_ids}


@dataclass
class FakeReadModel:
    streams: dict[tuple[str, UUID], Stream]
    prices_recorded: list[tuple[date, int]] = field(default_factory=list)  # (UTC date, cents)

    def _of(self, aggregate_type: str) -> dict[UUID, Stream]:
        return {i: s for (t, i), s in self.streams.items() if t == aggregate_type}

    @staticmethod
    def _has(stream: Stream, event_type: str) -> bool:
        return any(e.event_type == event_type for e in stream)

    def _ended(self, stream: Stream) -> bool:
        """Closed (a facility), paid (an obligation), or written off."""
        return any(self._has(stream, event_type) for event_type in ENDING_EVENTS)

    def _obligations(self, facility_id: UUID | None = None) -> dict[UUID, Stream]:
        return {
            i: s
            for i, s in sorted(self._of("obligation").items())
            if facility_id is None or s[0].facility_id == facility_id  # type: ignore[attr-defined]
        }

    def business_day_closed(self, day: date) -> bool:
        return ("business_day", business_day_id(day)) in self.streams

    def open_facility_ids(self) -> list[UUID]:
        return sorted(
            i
            for i, s in self._of("credit_facility").items()
            if self._has(s, "activated") and not self._ended(s)
        )

    def repaid_matured_facility_ids(self) -> list[UUID]:
        return sorted(
            i
            for i, s in self._of("credit_facility").items()
            if self._has(s, "matured") and not self._ended(s) and not self.open_obligation_ids(i)
        )

    def amount_due(self, facility_id: UUID, by: date) -> int:
        return sum(
            s[0].amount - sum(e.amount for e in s if e.event_type == "payment_allocated")  # type: ignore[attr-defined]
            for s in self._obligations(facility_id).values()
            if s[0].due_date <= by and not self._has(s, "written_off")  # type: ignore[attr-defined]
        )

    def open_obligation_ids(self, facility_id: UUID) -> list[UUID]:
        return [i for i, s in self._obligations(facility_id).items() if not self._ended(s)]

    def obligations_changing_status(self, day: date) -> list[UUID]:
        changing = []
        for obligation_id, stream in self._obligations().items():
            start = stream[0]
            if start.due_date > day or self._ended(stream):  # type: ignore[attr-defined]
                continue
            if (
                not self._has(stream, "due_recorded")
                or (start.overdue_date <= day and not self._has(stream, "overdue_recorded"))  # type: ignore[attr-defined]
                or (start.defaulted_date <= day and not self._has(stream, "defaulted_recorded"))  # type: ignore[attr-defined]
            ):
                changing.append(obligation_id)
        return changing

    def latest_price_cents(self) -> int | None:
        return self.prices_recorded[-1][1] if self.prices_recorded else None

    def price_on(self, day: date) -> int | None:
        prices = [price for recorded_on, price in self.prices_recorded if recorded_on <= day]
        return prices[-1] if prices else None

    def facility_arrears(self, day: date) -> dict[UUID, Arrears]:
        arrears: dict[UUID, Arrears] = {}
        for stream in self._obligations().values():
            start = stream[0]
            if self._ended(stream):
                continue
            worst = arrears.get(start.facility_id, Arrears())  # type: ignore[attr-defined]
            arrears[start.facility_id] = Arrears(  # type: ignore[attr-defined]
                max(worst.days_past_due, (day - start.due_date).days)  # type: ignore[attr-defined]
            )
        return arrears


class FakeDatabase:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.streams: dict[tuple[str, UUID], Stream] = {}  # insertion order = commit order
        self.ledger = FakeLedger()
        self.read = FakeReadModel(self.streams)
        self.commits = 0
        self.stats = WriteStats()  # what the simulator reports

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        stream = self.streams.get((cls.aggregate_type, aggregate_id))
        if not stream:
            raise NotFound(f"{cls.aggregate_type.replace('_', ' ')} {aggregate_id} does not exist")
        return cls.rehydrate(aggregate_id, list(stream))

    def settle_ledger(self) -> int:
        return 0  # every posting moves its balances at once here

    def events(self, aggregate_type: str, aggregate_id: UUID) -> list[str]:
        return [e.event_type for e in self.streams.get((aggregate_type, aggregate_id), [])]

    def close(self) -> None:
        pass


class FakeUnitOfWork:
    """Like the PostgreSQL one: nothing is stored unless `commit` runs, and then all of it."""

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.ledger = db.ledger
        self.read = db.read
        self._tracked: dict[tuple[str, UUID], Aggregate] = {}
        self._accounts: list[Account] = []
        self._postings: list[LedgerTransaction] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        return False

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        key = (cls.aggregate_type, aggregate_id)
        if key not in self._tracked:
            self._tracked[key] = self.db.load(cls, aggregate_id)
        return self._tracked[key]  # type: ignore[return-value]

    def load_many(self, cls: type[A], aggregate_ids: Sequence[UUID]) -> list[A]:
        found = [i for i in aggregate_ids if (cls.aggregate_type, i) in self.db.streams]
        return [self.load(cls, i) for i in found]

    def add(self, aggregate: Aggregate) -> None:
        self._tracked[(aggregate.aggregate_type, aggregate.id)] = aggregate

    def open_accounts(self, *accounts: Account) -> None:
        self._accounts.extend(accounts)

    def post(self, transaction: LedgerTransaction) -> None:
        self._postings.append(transaction)

    def commit(self) -> None:
        self.db.ledger.record(self._accounts, self._postings)  # first: it may refuse
        for aggregate in self._tracked.values():
            if aggregate.pending:
                key = (aggregate.aggregate_type, aggregate.id)
                self.db.streams[key] = [*self.db.streams.get(key, []), *aggregate.pending]
                if isinstance(aggregate, BtcPrice):  # when, as the event store's recorded_at
                    self.db.read.prices_recorded.append((_utc_date(self.db.clock), aggregate.price_cents))
                self.db.stats.events += len(aggregate.pending)
                aggregate.mark_stored()
        self.db.commits += 1
        self.db.stats.commands += 1
        self.db.stats.ledger_transactions += len(self._postings)
        self.db.stats.ledger_entries += sum(len(t.entries) for t in self._postings)
        self._accounts, self._postings = [], []


def _utc_date(clock: Clock) -> date:
    return clock.now().astimezone(UTC).date()


def fake_bank(clock: BusinessClock, seed: int = 1) -> tuple[Bank, FakeDatabase]:
    db = FakeDatabase(clock)
    return Bank(db, SeededIds(seed)), db


def ledger_totals(db: FakeDatabase) -> dict[str, int]:
    """Debits minus credits per currency over everything posted: zero when the books balance."""
    net: dict[str, int] = defaultdict(int)
    for txn in db.ledger.transactions:
        for entry in txn.entries:
            net[entry.currency.value] += entry.amount if entry.side is Side.DEBIT else -entry.amount
    return dict(net)
