"""PostgreSQL event store: `<aggregate>_events` tables plus the outbox, one transaction per command."""

from __future__ import annotations

import json
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TypeVar
from uuid import UUID

import psycopg
from psycopg import errors as pg_errors

from core_app.domain.aggregate import Aggregate
from core_app.domain.catalog import AGGREGATE_TYPES
from core_app.domain.errors import NotFound
from core_app.domain.events import event_from_json

A = TypeVar("A", bound=Aggregate)


def events_table(aggregate_type: str) -> str:
    # Table names cannot be bound as parameters; only known aggregate types ever reach SQL.
    if aggregate_type not in AGGREGATE_TYPES:
        raise ValueError(f"unknown aggregate type {aggregate_type!r}")
    return f"{aggregate_type}_events"


class AggregateCache:
    """Recently used aggregates, so that a load reads only the events written since.

    Entries are copies: what a unit of work changes reaches the cache only after it commits. A
    cached state is never trusted blindly: every load still asks the database for later events.
    """

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, UUID], Aggregate] = OrderedDict()

    def get(self, aggregate_type: str, aggregate_id: UUID) -> Aggregate | None:
        key = (aggregate_type, aggregate_id)
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry.clone()

    def put(self, aggregate: Aggregate) -> None:
        if aggregate.pending:
            raise ValueError("only stored states are cached")
        key = (aggregate.aggregate_type, aggregate.id)
        self._entries[key] = aggregate.clone()
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)


class PostgresEventStore:
    def __init__(self, conn: psycopg.Connection, cache: AggregateCache | None = None) -> None:
        self.conn = conn
        self.cache = cache

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        found = self.load_many(cls, [aggregate_id])
        if aggregate_id not in found:
            raise NotFound(f"{cls.aggregate_type.replace('_', ' ')} {aggregate_id} does not exist")
        return found[aggregate_id]

    def load_many(self, cls: type[A], aggregate_ids: Sequence[UUID]) -> dict[UUID, A]:
        if not aggregate_ids:
            return {}
        aggregate_type = cls.aggregate_type
        known: dict[UUID, A] = {}
        if self.cache is not None:
            for aggregate_id in aggregate_ids:
                cached = self.cache.get(aggregate_type, aggregate_id)
                if cached is not None:
                    known[aggregate_id] = cached  # type: ignore[assignment]
        ids = list(dict.fromkeys(aggregate_ids))
        rows = self.conn.execute(
            f"SELECT e.id, e.event_type, e.event FROM unnest(%s::uuid[], %s::int[]) AS u(id, after) "
            f"JOIN {events_table(aggregate_type)} e ON e.id = u.id AND e.sequence > u.after "
            "ORDER BY e.id, e.sequence",
            (ids, [known[i].version if i in known else 0 for i in ids]),
        ).fetchall()
        streams: dict[UUID, list] = defaultdict(list)
        for aggregate_id, event_type, payload in rows:
            streams[aggregate_id].append(event_from_json(aggregate_type, event_type, payload))
        found: dict[UUID, A] = {}
        for aggregate_id in ids:
            events = streams.get(aggregate_id, [])
            if aggregate_id in known:
                found[aggregate_id] = known[aggregate_id]
                found[aggregate_id].catch_up(events)
            elif events:
                found[aggregate_id] = cls.rehydrate(aggregate_id, events)
        return found

    def append(self, aggregates: Iterable[Aggregate], recorded_at: datetime) -> int:
        """Queue every pending event (and its public form for the outbox); returns how many.

        The statements need no result, so inside a pipeline they travel with the rest of the
        command's writes. A stale version surfaces as a UniqueViolation on `(id, sequence)` when
        the pipeline syncs: see `conflict_message`.
        """
        by_type: dict[str, list[Aggregate]] = defaultdict(list)
        for aggregate in aggregates:
            if aggregate.pending:
                by_type[aggregate.aggregate_type].append(aggregate)
        written = 0
        for aggregate_type, group in by_type.items():
            written += self._append_group(aggregate_type, group, recorded_at)
        return written

    def _append_group(self, aggregate_type: str, group: list[Aggregate], recorded_at: datetime) -> int:
        rows: list[dict] = []
        for aggregate in group:
            for offset, event in enumerate(aggregate.pending, start=1):
                rows.append(
                    {
                        "id": str(aggregate.id),
                        "sequence": aggregate.version + offset,
                        "event_type": event.event_type,
                        "event": event.to_json(),
                        "public_name": event.public_name,
                        "public_payload": None if event.public_name is None else event.public_payload(),
                    }
                )
        # One statement: the events, then the public ones copied to the outbox with the same
        # global position. Its input travels as one JSON document (cheap to build).
        self.conn.execute(
            f"""
            WITH input AS (
                SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb) AS x(
                    id uuid, sequence int, event_type text, event jsonb, public_name text,
                    public_payload jsonb)
            ), stored AS (
                INSERT INTO {events_table(aggregate_type)} (id, sequence, event_type, event, recorded_at)
                SELECT id, sequence, event_type, event, %(at)s FROM input
                RETURNING id, sequence, global_position
            )
            INSERT INTO outbox_events
                (aggregate_type, aggregate_id, sequence, event_name, payload, recorded_at, global_position)
            SELECT %(aggregate_type)s, i.id, i.sequence, i.public_name, i.public_payload, %(at)s,
                   s.global_position
              FROM input i JOIN stored s USING (id, sequence)
             WHERE i.public_name IS NOT NULL
            """,
            {
                "rows": json.dumps(rows, ensure_ascii=False),
                "at": recorded_at,
                "aggregate_type": aggregate_type,
            },
        )
        return len(rows)


def conflict_message(error: pg_errors.UniqueViolation, aggregates: Iterable[Aggregate]) -> str | None:
    """The domain message for a unique violation on an events table; None for any other table."""
    table = error.diag.table_name or ""
    if not table.endswith("_events") or table == "outbox_events":
        return None
    aggregate_type = table.removesuffix("_events")
    stale = ", ".join(
        f"{a.id} (at version {a.version})" for a in aggregates if a.aggregate_type == aggregate_type
    )
    return f"another writer changed {aggregate_type.replace('_', ' ')} {stale} first; reload it and retry"
