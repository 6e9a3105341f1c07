"""Is the raw layer complete? Per stream, the core's rows below the run's watermark against the raw
layer's: row counts and a checksum over the keys.

The tap's bookmark logic is what keeps the raw layer complete; this is the independent check that
would catch it failing (a restore, an edited state, a loader that lost a batch) before any
report is built from it. Both sides are computed in their own database, so only two numbers per
stream travel: the row count and the sum of a 32-bit hash of each row's key (the md5 of the
key's columns as text, joined by `|`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import psycopg
from tap_lana_events.tables import TABLES, Table


@dataclass(frozen=True)
class Tally:
    rows: int
    key_sum: int

    def __str__(self) -> str:
        return f"{self.rows:,} rows (key checksum {self.key_sum})"


def _key_text(table: Table, dialect: str) -> str:
    if dialect == "bigquery":
        return "concat(" + ", '|', ".join(f"cast({k} as string)" for k in table.key) + ")"
    return "concat_ws('|', " + ", ".join(f"{k}::text" for k in table.key) + ")"


def _tally_sql(table: Table, relation: str, dialect: str, watermark: int, *, core: bool = False) -> str:
    key = _key_text(table, dialect)
    if dialect == "bigquery":
        hashed = f"cast(concat('0x', substr(to_hex(md5({key})), 1, 8)) as int64)"
    else:
        hashed = f"('x' || substr(md5({key}), 1, 8))::bit(32)::bigint"
    below = f"'{int(watermark)}'::xid8" if core else str(int(watermark))  # the core's tx_id is an xid8
    return f"SELECT count(*), coalesce(sum({hashed}), 0) FROM {relation} WHERE tx_id < {below}"


class RawLayer(Protocol):
    """The warehouse, as far as this check needs it (orchestration.resources.Warehouse)."""

    kind: str

    def raw_relation(self, table: str) -> str: ...

    def fetch_row(self, query: str) -> tuple: ...


def repair_command(streams: list[str] | dict[str, str]) -> str:
    """The one command that makes these raw tables equal the core again (scripts/el.sh)."""
    return f"bash scripts/el.sh --reread {','.join(sorted(streams))}"


def incomplete_streams(core_url: str, warehouse: RawLayer, watermarks: dict[str, int]) -> dict[str, str]:
    """Per stream whose raw copy differs from the core below its watermark, what differs, in words.

    The core's side and the raw layer's are tallied at the same time, not one after the other:
    on BigQuery each of the raw layer's queries waits seconds for its job. (On the embedded
    PostgreSQL of two cores it saves little: each tally's parallel scan already uses both.)
    """
    tables = [table for table in TABLES if table.name in watermarks]
    with ThreadPoolExecutor(max_workers=2) as pool:
        core_side = pool.submit(_core_tallies, core_url, tables, watermarks)
        raw_side = pool.submit(_raw_tallies, warehouse, tables, watermarks)
        core_tallies, raw_tallies = core_side.result(), raw_side.result()
    different: dict[str, str] = {}
    for table in tables:
        core, raw = core_tallies[table.name], raw_tallies[table.name]
        if raw != core:
            different[table.name] = (
                f"below the watermark (transaction {watermarks[table.name]}) the core has {core} "
                f"but the raw layer {raw}"
            )
    return different


def _core_tallies(core_url: str, tables: list[Table], watermarks: dict[str, int]) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    with psycopg.connect(core_url) as conn:
        for table in tables:
            sql = _tally_sql(table, table.name, "postgres", watermarks[table.name], core=True)
            row = conn.execute(sql).fetchone()  # type: ignore[arg-type]
            tallies[table.name] = Tally(int(row[0]), int(row[1])) if row else Tally(0, 0)
    return tallies


def _raw_tallies(warehouse: RawLayer, tables: list[Table], watermarks: dict[str, int]) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for table in tables:
        relation = warehouse.raw_relation(table.name)
        rows, key_sum = warehouse.fetch_row(
            _tally_sql(table, relation, warehouse.kind, watermarks[table.name])
        )
        tallies[table.name] = Tally(int(rows), int(key_sum))
    return tallies
