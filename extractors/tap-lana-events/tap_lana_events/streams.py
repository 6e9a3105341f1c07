"""One stream per source table."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from psycopg import sql
from singer_sdk import Stream

from tap_lana_events.snapshot import SourceSnapshot
from tap_lana_events.tables import Table


class TableStream(Stream):
    """Rows of one table, read incrementally by writing-transaction id, gap-safe.

    The bookmark is a transaction id `w`: the next run reads rows with `tx_id >= w` and below its
    own snapshot's watermark. At the end of a run the bookmark becomes that watermark, so a row
    committed late by a long transaction (it has a tx_id at or above the watermark) is read on a
    later run, and a row already read is not read again. Inside a run records are sorted by tx_id,
    so an interrupted run resumes from the last transaction it emitted; the loader's upsert on the
    table's key absorbs the few rows read twice.
    """

    is_sorted = True

    def __init__(self, tap: Any, table: Table, snapshot: SourceSnapshot) -> None:
        self.table = table
        self.snapshot = snapshot
        super().__init__(
            tap=tap,
            name=table.name,
            schema={
                "type": "object",
                "properties": {c.name: c.json_schema for c in table.columns},
                "required": [c.name for c in table.columns if not c.nullable],
            },
        )
        self.primary_keys = list(table.key)
        self.replication_key = "tx_id"

    def get_records(self, context: dict | None) -> Iterable[dict[str, Any]]:
        conn = self.snapshot.connection
        watermark = self.snapshot.watermark
        columns = sql.SQL(", ").join(sql.SQL(c.select_sql) for c in self.table.columns)
        query = sql.SQL("SELECT {columns} FROM {table}").format(
            columns=columns, table=sql.Identifier(self.table.name)
        )
        params: dict[str, int] = {}
        state = self.get_context_state(context)
        start = self.get_starting_replication_key_value(context)
        distrust = self._distrust(state, int(start)) if start is not None else None
        if distrust:
            self.logger.warning(
                "%s: the bookmark cannot be trusted: %s. Reading from the start.", self.name, distrust
            )
            start = None
            state.pop("replication_key_value", None)  # or the SDK sees the rows as unsorted
            state.pop("last_row", None)  # it vouched for that bookmark, not for the re-read
        query += sql.SQL(" WHERE tx_id < %(watermark)s::text::xid8")
        params["watermark"] = watermark
        if start is not None:
            query += sql.SQL(" AND tx_id >= %(start)s::text::xid8")
            params["start"] = int(start)
        query += sql.SQL(" ORDER BY ") + sql.SQL(", ").join(sql.Identifier(c) for c in self.table.order_by)
        names = [c.name for c in self.table.columns]
        batch_size = int(self.config.get("batch_size", 10_000))
        last: dict[str, Any] | None = None
        with conn.cursor(name=f"read_{self.table.name}") as cursor:
            cursor.itersize = batch_size
            cursor.execute(query, params)
            for row in cursor:
                last = {name: _to_json(value) for name, value in zip(names, row, strict=True)}
                yield last
        # Everything below the watermark has now been emitted: start there next time.
        state["replication_key"] = "tx_id"
        state["replication_key_value"] = watermark
        state["source_id"] = self.snapshot.source_id
        if last is not None:  # the newest row read: it must still be there next time
            state["last_row"] = {**{k: last[k] for k in self.table.key}, "tx_id": last["tx_id"]}

    def _distrust(self, state: dict[str, Any], start: int) -> str | None:
        """Why the stored bookmark is impossible for this database (None: it is plausible).

        A bookmark is the watermark of an earlier run on this database, and a database's watermark
        never goes back, so it is at most today's; and the last row that run read is still there,
        with the same writing transaction (the tables are append-only). After a reset or a switch
        of server (another database), a restore from a backup (the transaction ids start again
        from the backup's, and rows read since are gone), or an edited state, one of them fails,
        and reading from the bookmark would skip rows for good.
        """
        known_source = state.get("source_id")
        if known_source not in (None, self.snapshot.source_id):
            return f"it belongs to another database ({known_source}, now {self.snapshot.source_id})"
        if start > self.snapshot.watermark:
            return (
                f"it is ahead of every transaction this database has finished (bookmark {start}, "
                f"now {self.snapshot.watermark}): the database was restored from a backup, or the state "
                "edited"
            )
        witness = state.get("last_row")
        if witness:
            key = sql.SQL(" AND ").join(
                sql.SQL("{} = %s::{}").format(sql.Identifier(k), sql.SQL(self.table.column(k).kind.pg_type))
                for k in self.table.key
            )
            found = self.snapshot.connection.execute(
                sql.SQL("SELECT tx_id::text::bigint FROM {} WHERE ").format(sql.Identifier(self.table.name))
                + key,
                [witness[k] for k in self.table.key],
            ).fetchone()
            if found is None or found[0] != witness.get("tx_id"):
                keys = ", ".join(f"{k}={witness[k]}" for k in self.table.key)
                return (
                    f"the last row it read ({keys}, transaction {witness.get('tx_id')}) is "
                    f"{'gone' if found is None else 'rewritten'}: the database was restored from a backup"
                )
        return None


def _to_json(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
