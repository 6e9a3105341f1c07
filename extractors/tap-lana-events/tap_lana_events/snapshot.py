"""One consistent read of the source per run, and the gap-safe watermark that goes with it."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from psycopg import IsolationLevel
from psycopg.conninfo import conninfo_to_dict

ISO_DATES = "-c DateStyle=ISO,YMD"

# Which database this is: the cluster's system identifier and the database's oid.
SOURCE_ID_SQL = (
    "SELECT (SELECT system_identifier::text FROM pg_control_system()) || '/' || "
    "(SELECT oid::text FROM pg_database WHERE datname = current_database())"
)


@dataclass
class SourceSnapshot:
    """A REPEATABLE READ, read-only transaction shared by every stream of a run.

    `watermark` is the oldest transaction id still running when the snapshot was taken
    (`pg_snapshot_xmin`). Every transaction below it has finished, so every row it wrote is
    visible in this snapshot and no row with a smaller tx_id can appear later. Rows at or above
    the watermark are left for the next run, which starts there.
    """

    conninfo: str
    _conn: psycopg.Connection | None = field(default=None, init=False)
    _watermark: int | None = field(default=None, init=False)
    _source_id: str | None = field(default=None, init=False)
    _history_mark: str | None = field(default=None, init=False)

    @property
    def connection(self) -> psycopg.Connection:
        if self._conn is None:
            # Dates and times leave in the session's DateStyle (the COPY text format writes them
            # as text): ISO, which reads back the same whatever the loader's settings.
            options = " ".join(filter(None, [conninfo_to_dict(self.conninfo).get("options"), ISO_DATES]))
            conn = psycopg.connect(self.conninfo, application_name="tap-lana-events", options=options)
            conn.isolation_level = IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            # The first statement takes the snapshot; the watermark belongs to that snapshot.
            row = conn.execute(
                f"SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, ({SOURCE_ID_SQL})"
            ).fetchone()
            assert row is not None
            self._conn, self._watermark, self._source_id = conn, int(row[0]), str(row[1])
        return self._conn

    @property
    def watermark(self) -> int:
        _ = self.connection
        assert self._watermark is not None
        return self._watermark

    @property
    def source_id(self) -> str:
        """Which database this is: the cluster's system identifier and the database's oid.

        Transaction ids only mean something within one cluster: after a reset, a restore or a
        switch to another server, a stored bookmark must not be trusted.
        """
        _ = self.connection
        assert self._source_id is not None
        return self._source_id

    @property
    def history_mark(self) -> str:
        """The id of the mark this run wrote in the core just after taking its snapshot
        (core_app/adapters/migrations/0006_extraction_marks.sql): a copy of the core that still
        holds it holds every transaction below the watermark, and no later one below it.
        Bookmarks saved by this run keep it; `mark_exists` tells a later run whether it is still
        there."""
        if self._history_mark is None:
            watermark = self.watermark  # the snapshot first, then the mark
            with psycopg.connect(self.conninfo, autocommit=True, application_name="tap-lana-events") as conn:
                row = conn.execute(
                    "INSERT INTO extraction_marks (id, watermark) "
                    "VALUES (gen_random_uuid(), %s::text::xid8) RETURNING id::text",
                    (watermark,),
                ).fetchone()
            assert row is not None
            self._history_mark = str(row[0])
        return self._history_mark

    def mark_exists(self, mark: str) -> bool:
        """Is a mark an earlier run wrote still in the core (as of this run's snapshot)?"""
        row = self.connection.execute(
            "SELECT EXISTS (SELECT 1 FROM extraction_marks WHERE id = %s::uuid)", (mark,)
        ).fetchone()
        return bool(row and row[0])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.rollback()
            self._conn.close()
            self._conn = None
