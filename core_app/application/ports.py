"""What the application services need from storage, as interfaces: the PostgreSQL adapters
(core_app/adapters) implement them for real, tests/unit/fakes.py in memory.

One command runs in one unit of work: the aggregates it loads and adds, the ledger accounts it
opens and the postings it makes are written together by `commit`, or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from types import TracebackType
from typing import Protocol, Self, TypeVar
from uuid import UUID

from core_app.application.clock import Clock
from core_app.domain.aggregate import Aggregate
from core_app.domain.ledger import Account, LedgerTransaction
from core_app.domain.provisioning import Arrears

A = TypeVar("A", bound=Aggregate)


class LedgerBalances(Protocol):
    def balance(self, account_id: UUID, for_update: bool = False) -> int:
        """The account's balance on its normal side (with `for_update`, locked until commit); for an
        account settled after commit, as of the last settlement, never locked."""
        ...

    def balances_of(self, account_ids: Sequence[UUID]) -> dict[UUID, int]:
        """Several accounts' balances on their normal sides, in one read."""
        ...


class ReadModel(Protocol):
    """Questions about many aggregates at once, answered from the stored events."""

    def business_day_closed(self, day: date) -> bool: ...

    def open_facility_ids(self) -> list[UUID]:
        """Facilities activated and not yet closed, in id order."""
        ...

    def repaid_matured_facility_ids(self) -> list[UUID]:
        """Matured, not closed, with no obligation left unpaid, in id order."""
        ...

    def amount_due(self, facility_id: UUID, by: date) -> int:
        """Unpaid amount of the facility's obligations due on or before `by`, in cents."""
        ...

    def open_obligation_ids(self, facility_id: UUID) -> list[UUID]:
        """The facility's obligations not completed, in id order."""
        ...

    def obligations_changing_status(self, day: date) -> list[UUID]:
        """Open obligations that reach due, overdue or defaulted by `day` and are not marked so."""
        ...

    def latest_price_cents(self) -> int | None:
        """The last BTC/USD price recorded, in USD cents per BTC."""
        ...

    def price_on(self, day: date) -> int | None:
        """The BTC/USD price in force on `day` (the last recorded by its end, UTC), USD cents per
        BTC: what the warehouse values collateral at as of that date."""
        ...

    def facility_arrears(self, day: date) -> dict[UUID, Arrears]:
        """Per facility with an unpaid obligation: its worst one's days past due on `day`."""
        ...


class UnitOfWork(Protocol):
    ledger: LedgerBalances
    read: ReadModel

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool: ...

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        """The aggregate, tracked for commit; NotFound when it does not exist."""
        ...

    def load_many(self, cls: type[A], aggregate_ids: Sequence[UUID]) -> list[A]:
        """The aggregates that exist among `aggregate_ids`, tracked for commit."""
        ...

    def add(self, aggregate: Aggregate) -> None: ...

    def open_accounts(self, *accounts: Account) -> None: ...

    def post(self, transaction: LedgerTransaction) -> None: ...

    def commit(self) -> None: ...


class Database(Protocol):
    clock: Clock
    ledger: LedgerBalances
    read: ReadModel

    def unit_of_work(self) -> UnitOfWork: ...

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        """The aggregate's current state, read only (no unit of work)."""
        ...

    def settle_ledger(self) -> int:
        """Bring the running balances of the accounts settled after commit
        (domain.ledger.SETTLED_AFTER_COMMIT) up to date with every command that has finished;
        returns the entries settled."""
        ...

    def close(self) -> None: ...
