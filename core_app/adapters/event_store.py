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
from core_app.domain.errors import ConcurrencyConflict, NotFound
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
        """Store every pending event (and its public form in the outbox); returns how many."""
        by_type: dict[str, list[Aggregate]] = defaultdict(list)
        for aggregate in aggregates:
            if aggregate.pending:
                by_type[aggregate.aggregate_type].append(aggregate)
        written = 0
        for aggregate_type, group in by_type.items():
            written += self._append_group(aggregate_type, group, recorded_at)
        return written

    def _append_group(self, aggregate_type: str, group: list[Aggregate], recorded_at: datetime) -> int:
        ids: list[UUID] = []
        sequences: list[int] = []
        types: list[str] = []
        payloads: list[str] = []
        for aggregate in group:
            for offset, event in enumerate(aggregate.pending, start=1):
                ids.append(aggregate.id)
                sequences.append(aggregate.version + offset)
                types.append(event.event_type)
                payloads.append(json.dumps(event.to_json(), ensure_ascii=False))
        try:
            positions = self.conn.execute(
                f"INSERT INTO {events_table(aggregate_type)} "
                "(id, sequence, event_type, event, recorded_at) "
                "SELECT i, s, t, e::jsonb, %s FROM unnest(%s::uuid[], %s::int[], %s::text[], %s::text[]) "
                "AS u(i, s, t, e) RETURNING id, sequence, global_position",
                (recorded_at, ids, sequences, types, payloads),
            ).fetchall()
        except pg_errors.UniqueViolation:
            stale = ", ".join(f"{a.id} (at version {a.version})" for a in group)
            raise ConcurrencyConflict(
                f"another writer changed {aggregate_type.replace('_', ' ')} {stale} first; "
                "reload it and retry"
            ) from None
        position_of = {(agg_id, seq): pos for agg_id, seq, pos in positions}
        self._append_outbox(aggregate_type, group, position_of, recorded_at)
        for aggregate in group:
            aggregate.version += len(aggregate.pending)
            aggregate.pending.clear()
        return len(ids)

    def _append_outbox(
        self,
        aggregate_type: str,
        group: list[Aggregate],
        position_of: dict[tuple[UUID, int], int],
        recorded_at: datetime,
    ) -> None:
        rows: list[tuple[UUID, int, str, str, int]] = []
        for aggregate in group:
            for offset, event in enumerate(aggregate.pending, start=1):
                if event.public_name is None:
                    continue
                sequence = aggregate.version + offset
                payload = json.dumps(event.public_payload(), ensure_ascii=False)
                rows.append(
                    (
                        aggregate.id,
                        sequence,
                        event.public_name,
                        payload,
                        position_of[(aggregate.id, sequence)],
                    )
                )
        if not rows:
            return
        ids, sequences, names, payloads, global_positions = (list(col) for col in zip(*rows, strict=True))
        self.conn.execute(
            "INSERT INTO outbox_events "
            "(aggregate_type, aggregate_id, sequence, event_name, payload, recorded_at, global_position) "
            "SELECT %s, i, s, n, p::jsonb, %s, g "
            "FROM unnest(%s::uuid[], %s::int[], %s::text[], %s::text[], %s::bigint[]) AS u(i, s, n, p, g)",
            (aggregate_type, recorded_at, ids, sequences, names, payloads, global_positions),
        )
