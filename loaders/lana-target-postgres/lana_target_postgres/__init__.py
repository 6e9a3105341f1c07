"""target-postgres as our extract/load uses it: BATCH files loaded with COPY.

MeltanoLabs' target reads a BATCH file's lines into Python dicts and inserts them row by row into
a temporary table before merging. Here PostgreSQL does all of it: the file's bytes are streamed
with `COPY` into a temporary table, and one `INSERT ... ON CONFLICT` on the stream's key merges
them into the raw table (a row read twice, after an interrupted run, updates itself: nothing is
doubled). Two formats: Singer's `jsonl` (into a `jsonb` column, each field then read as its raw
column's type) and `postgres_copy_text` (tap-lana-events' batch_files.py: PostgreSQL's COPY text
format, the schema's properties in order, straight into typed columns; no JSON parsed for a row
but its JSON columns). RECORD messages still go through the original target.
"""

from __future__ import annotations

import gzip
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlparse

from psycopg import sql
from singer_sdk.helpers._batch import BaseBatchFileEncoding
from target_postgres.sinks import PostgresSink
from target_postgres.target import TargetPostgres

# A JSON line holds no raw control character (JSON escapes them), so CSV with control characters
# as quote and delimiter passes each line through unchanged, one field per line, no escaping.
JSON_LINES = sql.SQL("(FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')")
CHUNK_BYTES = 1 << 20
BATCH_TABLE = "lana_batch_rows"  # temporary, one per connection loading a part of a file
COPY_TEXT = "postgres_copy_text"  # the format's name in tap-lana-events' BATCH messages
FORMATS = ("jsonl", COPY_TEXT)

# Singer reserves the prefix for the columns loaders add (the SDK adds them to the stream's schema).
METADATA_PREFIX = "_sdc_"

# Connections loading one file at once: the CI machine's two cores (more only adds contention).
PARTS_PER_FILE = 2
SPLIT_FROM_BYTES = 8 << 20  # smaller files load in one part: a connection costs more than it saves


@dataclass(frozen=True)
class Part:
    """Bytes `[start, end)` of a file of JSON lines (end None: to the end), whole lines."""

    start: int
    end: int | None

    def chunks(self, source: t.IO[bytes]) -> t.Iterator[bytes]:
        remaining = None if self.end is None else self.end - self.start
        while remaining is None or remaining > 0:
            chunk = source.read(CHUNK_BYTES if remaining is None else min(CHUNK_BYTES, remaining))
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk


def _parts(path: Path, count: int) -> list[Part]:
    size = path.stat().st_size
    if size < SPLIT_FROM_BYTES or count < 2:
        return [Part(0, None)]
    bounds = [0]
    with path.open("rb") as source:
        for i in range(1, count):
            source.seek(size * i // count)
            source.readline()  # to the start of the next whole line
            bounds.append(source.tell())
    bounds.append(size)
    cuts = sorted(set(bounds))
    return [Part(start, end) for start, end in pairwise(cuts) if end > start]


@dataclass(frozen=True)
class BatchStatements:
    """Loading one part of a batch file: create the temporary table, copy the part into it,
    merge it into the raw table."""

    create: sql.Composable
    copy: sql.Composable
    merge: sql.Composable


class LanaPostgresSink(PostgresSink):
    def process_batch_files(self, encoding: BaseBatchFileEncoding, files: t.Sequence[str]) -> None:
        if encoding.format not in FORMATS or encoding.compression not in ("none", "gzip", None):
            super().process_batch_files(encoding, files)
            return
        for url in files:
            path = _local_path(url)
            with self.connector._connect() as connection, connection.begin():
                self.connector.prepare_table(
                    full_table_name=self.full_table_name,
                    schema=self.schema,
                    primary_keys=self.key_properties,
                    as_temp_table=False,
                    connection=connection,
                )
                statements = self._statements(connection.connection.driver_connection, encoding.format)
            # A large file is loaded in parts, each on a connection of its own, at the same time:
            # one connection keeps one server process (one core) busy. The BATCH message is
            # acknowledged (and the bookmark after it saved) only once every part has committed;
            # if one fails, the run fails, the bookmark stays, and the re-run merges again what
            # the other parts committed (the key's upsert: nothing doubled).
            parts = [Part(0, None)] if encoding.compression == "gzip" else _parts(path, PARTS_PER_FILE)
            with ThreadPoolExecutor(len(parts)) as pool:
                loads = [
                    pool.submit(self._load, path, encoding.compression, part, statements) for part in parts
                ]
                loaded = sum(load.result() for load in loads)
            self.record_counter_metric.increment(loaded)
            path.unlink()  # loaded and committed: the rows are in the warehouse now

    def _load(self, path: Path, compression: str | None, part: Part, statements: BatchStatements) -> int:
        """One part of a file into a temporary table, merged into the raw table; rows loaded."""
        with self.connector._connect() as connection, connection.begin():
            cursor = connection.connection.driver_connection.cursor()
            cursor.execute(statements.create)
            opener = gzip.open if compression == "gzip" else open
            with opener(path, "rb") as source, cursor.copy(statements.copy) as copy:
                source.seek(part.start)
                for chunk in part.chunks(source):
                    copy.write(chunk)
            loaded = cursor.rowcount
            cursor.execute(statements.merge)
            return loaded

    def _table(self) -> sql.Identifier:
        return sql.Identifier(*str(self.full_table_name).split(".", 1))

    def _columns(self) -> list[str]:
        """The stream's columns, in its schema's order (a `postgres_copy_text` line's order).
        The schema also lists the metadata columns (the SDK adds them): those are filled here."""
        return [self.conform_name(c) for c in self.schema["properties"] if not c.startswith(METADATA_PREFIX)]

    def _statements(self, conn: t.Any, file_format: str) -> BatchStatements:
        """How every part of a file of `file_format` is loaded (the same for each part)."""
        batch, columns = sql.Identifier(BATCH_TABLE), self._columns()
        if file_format == COPY_TEXT:
            names = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
            create = sql.SQL(
                "CREATE TEMPORARY TABLE {batch} ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA"
            ).format(batch=batch, names=names, table=self._table())
            copy = sql.SQL("COPY {} ({}) FROM STDIN").format(batch, names)
            fields: list[sql.Composable] = [sql.Identifier(c) for c in columns]
        else:
            create = sql.SQL("CREATE TEMPORARY TABLE {} (line jsonb) ON COMMIT DROP").format(batch)
            copy = sql.SQL("COPY {} (line) FROM STDIN {}").format(batch, JSON_LINES)
            types = dict(
                conn.execute(
                    "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                    [self._table().as_string(conn)],
                ).fetchall()
            )
            fields = [_field(c, types[c]) for c in columns]
        return BatchStatements(create, copy, self._merge_sql(columns, fields))

    def _merge_sql(self, columns: list[str], fields: list[sql.Composable]) -> sql.Composable:
        """The batch table's `fields` into the raw table's `columns`, merged on the key."""
        metadata = self._metadata_columns()
        key = [self.conform_name(k) for k in self.key_properties]
        names = sql.SQL(", ").join(sql.Identifier(c) for c in [*columns, *metadata])
        values = sql.SQL(", ").join([*fields, *metadata.values()])
        merge = sql.SQL("INSERT INTO {table} ({names}) SELECT {values} FROM {batch}").format(
            table=self._table(), names=names, values=values, batch=sql.Identifier(BATCH_TABLE)
        )
        if key:
            conflict = sql.SQL(", ").join(sql.Identifier(k) for k in key)
            others = [c for c in columns if c not in key]
            if others:
                updates = sql.SQL(", ").join(
                    sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in others
                )
                merge += sql.SQL(" ON CONFLICT ({}) DO UPDATE SET {}").format(conflict, updates)
            else:
                merge += sql.SQL(" ON CONFLICT ({}) DO NOTHING").format(conflict)
        return merge

    def _metadata_columns(self) -> dict[str, sql.Composable]:
        """The `_sdc_*` columns the original target fills for RECORD messages, for a batch."""
        if not self.config.get("add_record_metadata"):
            return {}
        return {
            "_sdc_extracted_at": sql.SQL("now()"),  # the file's rows were read moments ago
            "_sdc_received_at": sql.SQL("now()"),
            "_sdc_batched_at": sql.SQL("now()"),
            "_sdc_sequence": sql.Literal(round(time.time() * 1000)),
            "_sdc_sync_started_at": sql.Literal(self.sync_started_at),
        }


class LanaTargetPostgres(TargetPostgres):
    name = "target-postgres"
    default_sink_class = LanaPostgresSink


def _field(column: str, pg_type: str) -> sql.Composable:
    """The line's field as the column's type (cheaper than `jsonb_populate_record`'s generic path)."""
    if pg_type in ("jsonb", "json"):
        return sql.SQL("line -> {}").format(sql.Literal(column))
    return sql.SQL("(line ->> {})::{}").format(sql.Literal(column), sql.SQL(pg_type))


def _local_path(url: str) -> Path:
    parsed = urlparse(url)
    if parsed.scheme not in ("", "file"):
        raise ValueError(f"batch file {url} is not a local file: this loader reads local BATCH files only")
    return Path(parsed.path if parsed.scheme else url)
