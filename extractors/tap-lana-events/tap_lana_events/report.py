"""Compare the warehouse's raw layer with the core, table by table: row counts and a checksum.

    python -m tap_lana_events.report CORE_URL WAREHOUSE_URL [raw_schema]

Exits 1 if any table differs.
"""

from __future__ import annotations

import sys

import psycopg
from psycopg import sql

from tap_lana_events.tables import TABLES


def fingerprints(conninfo: str, schema: str | None) -> dict[str, tuple[int, str]]:
    """Row count and an md5 of every row (the source's columns, in key order) per table.

    `schema=None` reads the core's own tables (selecting each column as the tap does); a schema
    name reads the raw copies there.
    """
    found: dict[str, tuple[int, str]] = {}
    with psycopg.connect(conninfo) as conn:
        for table in TABLES:
            columns = sql.SQL(", ").join(
                sql.SQL(c.select_sql) if schema is None else sql.Identifier(c.name) for c in table.columns
            )
            source = (
                sql.Identifier(table.name)
                if schema is None
                else sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table.name))
            )
            key = sql.SQL(", ").join(sql.Identifier(k) for k in table.key)
            row = conn.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(r::text, '|' ORDER BY {key}), '')) "
                    "FROM (SELECT {columns} FROM {source}) r"
                ).format(key=key, columns=columns, source=source)
            ).fetchone()
            assert row is not None
            found[table.name] = (int(row[0]), str(row[1]))
    return found


def differences(core_url: str, warehouse_url: str, schema: str = "raw") -> dict[str, tuple]:
    source = fingerprints(core_url, None)
    raw = fingerprints(warehouse_url, schema)
    return {name: (source[name], raw[name]) for name in source if source[name] != raw[name]}


def main(argv: list[str]) -> int:
    core_url, warehouse_url = argv[0], argv[1]
    schema = argv[2] if len(argv) > 2 else "raw"
    source = fingerprints(core_url, None)
    raw = fingerprints(warehouse_url, schema)
    print(f"{'table':<32} {'core rows':>12} {'raw rows':>12}  checksum")
    for name, (count, digest) in source.items():
        raw_count, raw_digest = raw[name]
        verdict = "equal" if (count, digest) == (raw_count, raw_digest) else "DIFFERENT"
        print(f"{name:<32} {count:>12,} {raw_count:>12,}  {verdict}")
    different = [n for n in source if source[n] != raw[n]]
    if different:
        print(f"the raw layer differs from the core in: {', '.join(different)}")
        return 1
    print(f"the raw layer ({schema}) equals the core, table by table")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
