"""Create the raw tables in a PostgreSQL warehouse with the exact column types.

The PostgreSQL loader would create missing tables itself, but with `timestamp without time zone`
for date-times; creating them first keeps `timestamptz`, `uuid`, `date` and `jsonb` (the loader
leaves existing compatible columns alone and adds its `_sdc_*` metadata columns).

    python -m tap_lana_events.warehouse postgresql://user@host/lana_dw [schema]
"""

from __future__ import annotations

import sys

import psycopg
from psycopg import sql

from tap_lana_events.tables import TABLES, Table

# The loader's metadata columns, with time zones (it would create them without).
SDC_COLUMNS = (
    ("_sdc_extracted_at", "timestamptz"),
    ("_sdc_received_at", "timestamptz"),
    ("_sdc_batched_at", "timestamptz"),
    ("_sdc_deleted_at", "timestamptz"),
    ("_sdc_sequence", "bigint"),
    ("_sdc_table_version", "bigint"),
    ("_sdc_sync_started_at", "bigint"),
)


def table_ddl(table: Table, schema: str) -> sql.Composed:
    columns = [
        sql.SQL("{} {}{}").format(
            sql.Identifier(c.name),
            sql.SQL(c.kind.pg_type),
            sql.SQL("" if c.nullable else " NOT NULL"),
        )
        for c in table.columns
    ] + [sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind)) for name, kind in SDC_COLUMNS]
    key = sql.SQL(", ").join(sql.Identifier(k) for k in table.key)
    return sql.SQL("CREATE TABLE IF NOT EXISTS {}.{} ({}, PRIMARY KEY ({}))").format(
        sql.Identifier(schema), sql.Identifier(table.name), sql.SQL(", ").join(columns), key
    )


def prepare_raw_schema(conninfo: str, schema: str = "raw") -> None:
    with psycopg.connect(conninfo) as conn:
        # Checked first: the loader's role owns the schema but may not create schemas, and
        # PostgreSQL checks that right even when the schema exists.
        if not conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone():
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        existing = {
            row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))
        }
        for table in TABLES:
            if table.name not in existing:
                conn.execute(table_ddl(table, schema))
            # What the daily run reads of a raw table is its newest rows, by transaction id (dbt's
            # incremental models, the raw checks): found by index, not by reading all history.
            conn.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {}.{} (tx_id)").format(
                    sql.Identifier(f"{table.name}_tx_id"), sql.Identifier(schema), sql.Identifier(table.name)
                )
            )


if __name__ == "__main__":
    prepare_raw_schema(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "raw")
