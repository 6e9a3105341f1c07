"""Extract/load throughput: Meltano (tap-lana-events -> target-postgres) against a plain COPY.

    python benchmarks/extract_load.py --events 1000000

Fills a fresh core database with synthetic events (written by SQL, not the services: this measures
the extract/load, not the write path), then in the same run:
  1. a full Meltano run into a fresh warehouse database;
  2. the physical baseline: `COPY (SELECT ...) TO STDOUT` piped into `COPY ... FROM STDIN`
     for the same tables and columns;
and prints rows/s for both and their ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tap_lana_events.tables import TABLES
from tap_lana_events.warehouse import prepare_raw_schema, table_ddl

from core_app.adapters.schema import prepare_database
from core_app.config import resolve_databases, with_database
from orchestration.ingest.extract_load import ExtractLoad

# Where the synthetic events go: (table, share of the total, event_type, payload SQL).
SYNTHETIC = (
    (
        "interest_accrual_cycle_events",
        0.6,
        "interest_accrued",
        "jsonb_build_object('type', 'interest_accrued', 'accrued_on', '2025-01-01'::date + (n %% 365),"
        " 'principal', 1000000 + n, 'amount', 329 + n %% 7, 'cumulative', 329 * (n %% 31))",
    ),
    (
        "deposit_events",
        0.25,
        "initialized",
        "jsonb_build_object('type', 'initialized', 'deposit_account_id', md5(n::text)::uuid,"
        " 'amount', 100 + n %% 100000, 'reference', 'transfer ' || n)",
    ),
    (
        "btc_price_events",
        0.15,
        "price_updated",
        "jsonb_build_object('type', 'price_updated', 'price_cents', 6000000 + n %% 100000,"
        " 'source', 'benchmark')",
    ),
)


def fill(core_url: str, events: int) -> None:
    with psycopg.connect(core_url) as conn:
        for table, share, event_type, payload in SYNTHETIC:
            rows = int(events * share)
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (id, sequence, event_type, event, recorded_at) "
                    "SELECT md5('e' || n)::uuid, 1, %s, " + payload + ", "
                    "'2025-01-01'::timestamptz + n * interval '1 second' "
                    "FROM generate_series(1, %s) AS n"
                ).format(sql.Identifier(table)),
                (event_type, rows),
            )
        conn.commit()
    with psycopg.connect(core_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def copy_baseline(core_url: str, warehouse_url: str) -> int:
    rows = 0
    with psycopg.connect(core_url) as source, psycopg.connect(warehouse_url) as target:
        target.execute("CREATE SCHEMA IF NOT EXISTS copy_baseline")
        for table in TABLES:
            target.execute(table_ddl(table, "copy_baseline"))
            columns = sql.SQL(", ").join(sql.SQL(c.select_sql) for c in table.columns)
            names = sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns)
            out = sql.SQL("COPY (SELECT {} FROM {}) TO STDOUT").format(columns, sql.Identifier(table.name))
            into = sql.SQL("COPY copy_baseline.{} ({}) FROM STDIN").format(sql.Identifier(table.name), names)
            with source.cursor().copy(out) as reader, target.cursor().copy(into) as writer:
                for chunk in reader:
                    writer.write(chunk)
            rows += target.execute(
                sql.SQL("SELECT count(*) FROM copy_baseline.{}").format(sql.Identifier(table.name))
            ).fetchone()[0]
        target.commit()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    admin = with_database(resolve_databases().admin_url, "postgres")
    suffix = uuid.uuid4().hex[:8]
    names = [f"lana_bench_core_{suffix}", f"lana_bench_dw_{suffix}"]
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    core_url, warehouse_url = (with_database(admin, n) for n in names)
    try:
        prepare_database(core_url)
        started = time.perf_counter()
        fill(core_url, args.events)
        print(f"filled {args.events:,} synthetic events in {time.perf_counter() - started:.1f} s")

        el = ExtractLoad(core_url, warehouse_url, state_suffix=f"bench{suffix}")
        prepare_raw_schema(warehouse_url)
        started = time.perf_counter()
        el.run()
        meltano_seconds = time.perf_counter() - started
        with psycopg.connect(warehouse_url) as conn:
            loaded = sum(
                conn.execute(
                    sql.SQL("SELECT count(*) FROM raw.{}").format(sql.Identifier(t.name))
                ).fetchone()[0]
                for t in TABLES
            )

        started = time.perf_counter()
        copied = copy_baseline(core_url, warehouse_url)
        copy_seconds = time.perf_counter() - started

        meltano_rate, copy_rate = loaded / meltano_seconds, copied / copy_seconds
        print(
            f"meltano run (tap-lana-events -> target-postgres, BATCH files): {loaded:,} rows"
            f" in {meltano_seconds:.1f} s"
            f" = {meltano_rate:,.0f} rows/s"
        )
        print(
            f"COPY TO STDOUT | COPY FROM STDIN baseline:        {copied:,} rows in {copy_seconds:.1f} s"
            f" = {copy_rate:,.0f} rows/s"
        )
        print(f"ratio: Meltano runs at {meltano_rate / copy_rate:.0%} of the COPY baseline")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
