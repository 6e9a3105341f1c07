"""One command, one database transaction: its events, outbox rows and ledger postings together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self, TypeVar
from uuid import UUID

import psycopg
from psycopg import errors as pg_errors

from core_app.adapters.event_store import AggregateCache, PostgresEventStore, conflict_message
from core_app.adapters.ledger_store import PostgresLedger, create_accounts
from core_app.adapters.read_model import PostgresReadModel
from core_app.application.clock import Clock
from core_app.domain.aggregate import Aggregate
from core_app.domain.errors import (
    ConcurrencyConflict,
    DomainError,
    StorageRefused,
    UnbalancedTransaction,
)
from core_app.domain.ledger import Account, LedgerTransaction

A = TypeVar("A", bound=Aggregate)


@dataclass
class WriteStats:
    events: int = 0
    ledger_transactions: int = 0
    ledger_entries: int = 0
    commands: int = 0


class PostgresUnitOfWork:
    """application.ports.UnitOfWork in one PostgreSQL transaction."""

    def __init__(
        self, conn: psycopg.Connection, clock: Clock, stats: WriteStats, cache: AggregateCache | None = None
    ) -> None:
        self.conn = conn
        self.clock = clock
        self.stats = stats
        self.cache = cache
        self.events = PostgresEventStore(conn, cache)
        self.ledger = PostgresLedger(conn)
        self.read = PostgresReadModel(conn)  # inside the transaction: sees its locks and snapshot
        self._tracked: dict[tuple[str, UUID], Aggregate] = {}
        self._new_accounts: list[Account] = []
        self._postings: list[LedgerTransaction] = []
        self._transaction: psycopg.Transaction | None = None
        self._committed = False
        self._stored: list[Aggregate] = []

    def __enter__(self) -> Self:
        self._transaction = self.conn.transaction()
        self._transaction.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        assert self._transaction is not None
        if exc is None and not self._committed:
            # Read-only use, or a command that decided to write nothing.
            exc = psycopg.Rollback()
            exc_type = psycopg.Rollback
        try:
            # Leaving with an exception rolls the whole transaction back: no partial write.
            self._transaction.__exit__(exc_type, exc, tb)
        except psycopg.Error as error:
            raise _domain_error(error) or error from None
        if isinstance(exc, psycopg.Error):
            # Refused by the database anywhere in the command (a locked read, a load): rolled back,
            # and said as the domain says it.
            domain_error = _domain_error(exc)
            if domain_error is not None:
                raise domain_error from None
        if exc is None and self._committed and self.cache is not None:
            for aggregate in self._stored:  # only once the database has committed them
                self.cache.put(aggregate)
        return False

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        key = (cls.aggregate_type, aggregate_id)
        if key not in self._tracked:
            self._tracked[key] = self.events.load(cls, aggregate_id)
        return self._tracked[key]  # type: ignore[return-value]

    def load_many(self, cls: type[A], aggregate_ids: Sequence[UUID]) -> list[A]:
        missing = [i for i in aggregate_ids if (cls.aggregate_type, i) not in self._tracked]
        for agg_id, aggregate in self.events.load_many(cls, missing).items():
            self._tracked[(cls.aggregate_type, agg_id)] = aggregate
        return [
            self._tracked[(cls.aggregate_type, i)]  # type: ignore[misc]
            for i in aggregate_ids
            if (cls.aggregate_type, i) in self._tracked
        ]

    def add(self, aggregate: Aggregate) -> None:
        self._tracked[(aggregate.aggregate_type, aggregate.id)] = aggregate

    def open_accounts(self, *accounts: Account) -> None:
        self._new_accounts.extend(accounts)

    def post(self, transaction: LedgerTransaction) -> None:
        self._postings.append(transaction)

    def commit(self) -> None:
        now = self.clock.now()
        aggregates = list(self._tracked.values())
        try:
            # Pipelined: the writes of one command travel in as few round trips as possible.
            with self.conn.pipeline():
                create_accounts(self.conn, self._new_accounts, now)
                events = self.events.append(aggregates, now)
                entries = self.ledger.post(self._postings, now)
        except pg_errors.UniqueViolation as error:
            message = conflict_message(error, aggregates)
            if message is None:
                raise _domain_error(error) or error from None
            raise ConcurrencyConflict(message) from None
        except psycopg.Error as error:
            raise _domain_error(error) or error from None
        for aggregate in aggregates:
            aggregate.mark_stored()
        self._stored = aggregates
        self.stats.events += events
        self.stats.ledger_transactions += len(self._postings)
        self.stats.ledger_entries += entries
        self.stats.commands += 1
        self._new_accounts.clear()
        self._postings.clear()
        self._committed = True


# Serialization failure, deadlock, lock or statement timeout: nothing written, worth a retry.
_RETRYABLE = (pg_errors.TransactionRollback, pg_errors.LockNotAvailable, pg_errors.QueryCanceled)


def _domain_error(error: psycopg.Error) -> DomainError | None:
    """What the database's refusal means for the command, as a domain error; None for a failure
    that is not a refusal (a lost connection: whether the command committed is then unknown)."""
    detail = (error.diag.message_primary if error.diag else None) or str(error)
    if isinstance(error, pg_errors.CheckViolation):
        # The database's own balance check (the domain refuses unbalanced postings first).
        return UnbalancedTransaction(detail)
    if isinstance(error, pg_errors.UniqueViolation) and (error.diag.table_name or "").startswith("ledger_"):
        # Two writers moved one account's balance from the same version.
        return ConcurrencyConflict(f"another command changed the same ledger balance first; retry ({detail})")
    if isinstance(error, _RETRYABLE):
        return ConcurrencyConflict(f"the command met a concurrent one and was rolled back; retry ({detail})")
    if isinstance(error, psycopg.DataError | psycopg.IntegrityError):
        # Whatever else the database refuses (a value out of range, a constraint).
        return StorageRefused(f"the database refused the command: {detail}")
    return None


class PostgresDatabase:
    """application.ports.Database: a connection to the core database and the units of work that
    use it (one thread)."""

    def __init__(self, conninfo: str, clock: Clock, durable_commits: bool = True) -> None:
        self.conninfo = conninfo
        self.clock = clock
        self.conn = psycopg.connect(conninfo, autocommit=True)
        if not durable_commits:
            # Bulk generators (the simulator, benchmarks) need not wait for each commit's WAL flush:
            # a crash can lose the last few commits but never corrupts or half-writes one.
            self.conn.execute("SET synchronous_commit = off")
        self.stats = WriteStats()
        self.cache = AggregateCache()
        self.ledger = PostgresLedger(self.conn)
        self.read = PostgresReadModel(self.conn)

    def unit_of_work(self) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self.conn, self.clock, self.stats, self.cache)

    def event_store(self) -> PostgresEventStore:
        """For reads outside a unit of work (autocommit, no transaction)."""
        return PostgresEventStore(self.conn, self.cache)

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        return self.event_store().load(cls, aggregate_id)

    def settle_ledger(self) -> int:
        return self.ledger.settle(self.clock.now())

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
