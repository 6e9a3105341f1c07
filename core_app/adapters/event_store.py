"""PostgreSQL event store: `<aggregate>_events` tables plus the outbox, one transaction per command."""

from __future__ import annotations

import json
from collections import defaultdict
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


class PostgresEventStore:
    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        found = self.load_many(cls, [aggregate_id])
        if aggregate_id not in found:
            raise NotFound(f"{cls.aggregate_type.replace('_', ' ')} {aggregate_id} does not exist")
        return found[aggregate_id]

    def load_many(self, cls: type[A], aggregate_ids: Sequence[UUID]) -> dict[UUID, A]:
        if not aggregate_ids:
            return {}
        aggregate_type = cls.aggregate_type
        rows = self.conn.execute(
            f"SELECT id, event_type, event FROM {events_table(aggregate_type)} "
            "WHERE id = ANY(%s) ORDER BY id, sequence",
            (list(aggregate_ids),),
        ).fetchall()
        streams: dict[UUID, list] = defaultdict(list)
        for aggregate_id, event_type, payload in rows:
            streams[aggregate_id].append(event_from_json(aggregate_type, event_type, payload))
        return {agg_id: cls.rehydrate(agg_id, events) for agg_id, events in streams.items()}

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

    @staticmethod
    def mark_stored(aggregates: Iterable[Aggregate]) -> None:
        for aggregate in aggregates:
            aggregate.version += len(aggregate.pending)
            aggregate.pending.clear()

    def _append_group(self, aggregate_type: str, group: list[Aggregate], recorded_at: datetime) -> int:
        ids: list[UUID] = []
        sequences: list[int] = []
        types: list[str] = []
        payloads: list[str] = []
        public_names: list[str | None] = []
        public_payloads: list[str | None] = []
        for aggregate in group:
            for offset, event in enumerate(aggregate.pending, start=1):
                ids.append(aggregate.id)
                sequences.append(aggregate.version + offset)
                types.append(event.event_type)
                payloads.append(json.dumps(event.to_json(), ensure_ascii=False))
                public_names.append(event.public_name)
                public_payloads.append(
                    None
                    if event.public_name is None
                    else json.dumps(event.public_payload(), ensure_ascii=False)
                )
        # One statement: the events, then the public ones copied to the outbox with the same
        # global position.
        self.conn.execute(
            f"""
            WITH input AS (
                SELECT * FROM unnest(%(ids)s::uuid[], %(seqs)s::int[], %(types)s::text[],
                                     %(payloads)s::text[], %(names)s::text[], %(public)s::text[])
                       AS u(id, sequence, event_type, event, public_name, public_payload)
            ), stored AS (
                INSERT INTO {events_table(aggregate_type)} (id, sequence, event_type, event, recorded_at)
                SELECT id, sequence, event_type, event::jsonb, %(at)s FROM input
                RETURNING id, sequence, global_position
            )
            INSERT INTO outbox_events
                (aggregate_type, aggregate_id, sequence, event_name, payload, recorded_at, global_position)
            SELECT %(aggregate_type)s, i.id, i.sequence, i.public_name, i.public_payload::jsonb, %(at)s,
                   s.global_position
              FROM input i JOIN stored s USING (id, sequence)
             WHERE i.public_name IS NOT NULL
            """,
            {
                "ids": ids,
                "seqs": sequences,
                "types": types,
                "payloads": payloads,
                "names": public_names,
                "public": public_payloads,
                "at": recorded_at,
                "aggregate_type": aggregate_type,
            },
        )
        return len(ids)


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
