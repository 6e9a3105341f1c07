"""Reading every dbt relation from both warehouses as comparable rows."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import psycopg
from psycopg import sql


def dbt_relations(manifest: Path) -> list[tuple[str, str]]:
    """(schema, name) of every model and seed that the build materialises (not ephemeral)."""
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return sorted(
        (node["schema"], node["alias"])
        for node in nodes
        if node["resource_type"] in ("model", "seed") and node["config"]["materialized"] != "ephemeral"
    )


def comparable(value: object) -> object:
    """One representation per value whichever warehouse returned it (none of them a float: money is
    exact, and a float here means a type went astray)."""
    if isinstance(value, float):
        raise AssertionError(f"a float came out of the warehouse: {value!r}")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value.normalize()
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.timestamp()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value


def _sorted(columns: list[str], rows: list[tuple]) -> tuple[list[str], list[tuple]]:
    order = sorted(range(len(columns)), key=lambda i: columns[i])
    ordered = [tuple(comparable(row[i]) for i in order) for row in rows]
    return [columns[i] for i in order], sorted(ordered, key=repr)


def postgres_rows(url: str, schema: str, name: str) -> tuple[list[str], list[tuple]]:
    with psycopg.connect(url) as conn:
        cursor = conn.execute(
            sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(name))
        )
        return _sorted([d.name for d in cursor.description or []], cursor.fetchall())


def bigquery_rows(project: str, schema: str, name: str) -> tuple[list[str], list[tuple]]:
    from google.cloud import bigquery

    result = bigquery.Client(project=project).query(f"SELECT * FROM `{project}.{schema}.{name}`").result()
    return _sorted([f.name for f in result.schema], [tuple(row.values()) for row in result])
