"""One stream per source table."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from psycopg import sql
from singer_sdk import Stream, metrics
from singer_sdk.helpers._batch import BaseBatchFileEncoding, BatchConfig

from tap_lana_events.batch_files import (
    COPY_TEXT,
    FILE_SUFFIXES,
    JSON_LINES,
    BatchFile,
    batch_folder,
    copy_text_fields,
)
from tap_lana_events.snapshot import SourceSnapshot
from tap_lana_events.tables import BIGINT, INT, Table

INTEGERS = (INT, BIGINT)
# What the tap logs when it does not trust a stream's bookmark (Meltano relays every line a plugin
# logs at level info: the orchestration finds these by this text and shows them as warnings).
DISTRUSTED_BOOKMARK = "the bookmark cannot be trusted"


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

    def _read_query(self, context: dict | None) -> tuple[sql.Composed, dict[str, int]]:
        """This run's rows of the table, in `order_by`: from the bookmark up to the watermark."""
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
                "%s: %s: %s. Reading from the start.", self.name, DISTRUSTED_BOOKMARK, distrust
            )
            start = None
            state.pop("replication_key_value", None)  # or the SDK sees the rows as unsorted
            state.pop("last_row", None)  # it vouched for that bookmark, not for the re-read
        query += sql.SQL(" WHERE tx_id < %(watermark)s::text::xid8")
        params["watermark"] = self.snapshot.watermark
        if start is not None:
            query += sql.SQL(" AND tx_id >= %(start)s::text::xid8")
            params["start"] = int(start)
        query += sql.SQL(" ORDER BY ") + sql.SQL(", ").join(sql.Identifier(c) for c in self.table.order_by)
        return query, params

    def _bookmark(self, context: dict | None, tx_id: int, last: dict[str, Any] | None) -> None:
        """Start the next run at `tx_id`; `last` (the newest row read) must still be there then."""
        state = self.get_context_state(context)
        state["replication_key"] = "tx_id"
        state["replication_key_value"] = tx_id
        state["source_id"] = self.snapshot.source_id
        state["history_mark"] = self.snapshot.history_mark
        if last is not None:
            state["last_row"] = {**{k: last[k] for k in self.table.key}, "tx_id": last["tx_id"]}

    def get_records(self, context: dict | None) -> Iterable[dict[str, Any]]:
        query, params = self._read_query(context)
        names = [c.name for c in self.table.columns]
        batch_size = int(self.config.get("batch_size", 10_000))
        last: dict[str, Any] | None = None
        with self.snapshot.connection.cursor(name=f"read_{self.table.name}") as cursor:
            cursor.itersize = batch_size
            cursor.execute(query, params)
            for row in cursor:
                last = {name: _to_json(value) for name, value in zip(names, row, strict=True)}
                yield last
        # Everything below the watermark has now been emitted: start there next time.
        self._bookmark(context, self.snapshot.watermark, last)

    def get_batches(
        self, batch_config: BatchConfig, context: dict | None
    ) -> Iterable[tuple[BaseBatchFileEncoding, list[str]]]:
        """The same rows as `get_records`, written by the database itself (batch_files.py).

        PostgreSQL renders each row (as JSON with `row_to_json`, or in its COPY text format) and
        streams the lines out with `COPY`, so no row passes through Python objects; the loader
        `COPY`s the files in. Each file is announced once complete, with the bookmark at its last
        row's transaction (every row below the watermark is committed, so an interrupted run
        resumes there without a gap).
        """
        file_format = batch_config.encoding.format
        if file_format not in FILE_SUFFIXES:
            raise ValueError(
                f"batch_config.encoding.format must be one of {', '.join(FILE_SUFFIXES)}, not {file_format}"
            )
        compress = batch_config.encoding.compression == "gzip"
        rows_per_file = batch_config.batch_size
        folder = batch_folder(batch_config)
        # The SDK does this before `get_records` only: without it the bookmark is not read.
        self._write_starting_replication_value(context)
        query, params = self._read_query(context)
        if file_format == COPY_TEXT:
            copy = sql.SQL("COPY ({}) TO STDOUT").format(query)
        else:
            copy = sql.SQL("COPY (SELECT row_to_json(r) FROM ({}) AS r) TO STDOUT {}").format(
                query, JSON_LINES
            )
        with metrics.record_counter(self.name) as counter, self.snapshot.connection.cursor() as cursor:
            writer: BatchFile | None = None
            with cursor.copy(copy, params) as lines:
                for line in lines:
                    if writer is None:
                        writer = BatchFile(folder, self.name, FILE_SUFFIXES[file_format], compress=compress)
                    writer.write(line)
                    if writer.rows >= rows_per_file:
                        yield (
                            batch_config.encoding,
                            [self._finish(writer, counter, context, file_format, last_file=False)],
                        )
                        writer = None
            if writer is not None:
                yield (
                    batch_config.encoding,
                    [self._finish(writer, counter, context, file_format, last_file=True)],
                )
            else:
                self._bookmark(context, self.snapshot.watermark, None)

    def _finish(
        self,
        writer: BatchFile,
        counter: metrics.Counter,
        context: dict | None,
        file_format: str,
        *,
        last_file: bool,
    ) -> str:
        """Close a batch file and move the bookmark past it; its URL."""
        counter.increment(writer.rows)
        last = self._row_of(writer.close(), file_format)
        self._bookmark(context, self.snapshot.watermark if last_file else last["tx_id"], last)
        return writer.url

    def _row_of(self, line: bytes, file_format: str) -> dict[str, Any]:
        """A line of a batch file as the row's key and transaction (what a bookmark keeps)."""
        if file_format != COPY_TEXT:
            return json.loads(line)
        fields = dict(zip((c.name for c in self.table.columns), copy_text_fields(line), strict=True))
        return {
            name: int(value) if value is not None and self.table.column(name).kind in INTEGERS else value
            for name, value in fields.items()
            if name in (*self.table.key, "tx_id")
        }

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
        mark = state.get("history_mark")
        if mark and not self.snapshot.mark_exists(mark):
            return (
                f"the core no longer holds the mark its last run wrote ({mark}): the database was "
                "restored from a copy taken before that run, and new transactions reuse the ids "
                "below the bookmark"
            )
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
