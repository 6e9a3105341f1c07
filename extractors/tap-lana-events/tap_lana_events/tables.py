"""The source tables the tap reads, their columns and how each column looks downstream.

This is the one place that says what the raw layer holds: the tap's JSON schemas and the
warehouse's raw tables (see `warehouse.py`) are both generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any


def published_aggregates() -> tuple[str, ...]:
    """The aggregates whose events the core publishes (a folder each in its event contract,
    `core_app/contract/events/`, installed with the core): each is an `<aggregate>_events` table."""
    events = resources.files("core_app") / "contract" / "events"
    return tuple(sorted(entry.name for entry in events.iterdir() if entry.is_dir()))


AGGREGATES = published_aggregates()


@dataclass(frozen=True)
class Kind:
    json_schema: dict[str, Any]
    pg_type: str  # the raw table's column on PostgreSQL (created by warehouse.py)
    bigquery_type: str  # the column target-bigquery creates from the JSON schema


UUID = Kind({"type": "string", "format": "uuid"}, "uuid", "STRING")
TEXT = Kind({"type": "string"}, "text", "STRING")
INT = Kind({"type": "integer"}, "integer", "INT64")
BIGINT = Kind({"type": "integer"}, "bigint", "INT64")  # money in minor units, positions, transaction ids
JSON = Kind({"type": "object"}, "jsonb", "JSON")
DATE = Kind({"type": "string", "format": "date"}, "date", "DATE")
TIMESTAMPTZ = Kind({"type": "string", "format": "date-time"}, "timestamptz", "TIMESTAMP")


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    nullable: bool = False
    expression: str | None = None  # how to select it, when not simply the column

    @property
    def select_sql(self) -> str:
        return f"{self.expression} AS {self.name}" if self.expression else self.name

    @property
    def json_schema(self) -> dict[str, Any]:
        schema = dict(self.kind.json_schema)
        if self.nullable:
            schema["type"] = [schema["type"], "null"]
        return schema


# xid8 has no JSON type; as a 64-bit integer it orders like the transaction ids themselves.
TX_ID = Column("tx_id", BIGINT, expression="tx_id::text::bigint")


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    order_by: tuple[str, ...] = ("tx_id",)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _events(aggregate: str) -> Table:
    return Table(
        f"{aggregate}_events",
        (
            Column("id", UUID),
            Column("sequence", INT),
            Column("event_type", TEXT),
            Column("event", JSON),
            Column("recorded_at", TIMESTAMPTZ),
            Column("global_position", BIGINT),
            TX_ID,
        ),
        key=("id", "sequence"),
        order_by=("tx_id", "global_position"),
    )


TABLES: tuple[Table, ...] = (
    *(_events(a) for a in AGGREGATES),
    Table(
        "outbox_events",
        (
            Column("aggregate_type", TEXT),
            Column("aggregate_id", UUID),
            Column("sequence", INT),
            Column("event_name", TEXT),
            Column("payload", JSON),
            Column("recorded_at", TIMESTAMPTZ),
            Column("global_position", BIGINT),
            TX_ID,
        ),
        key=("aggregate_type", "aggregate_id", "sequence"),
        order_by=("tx_id", "global_position"),
    ),
    Table(
        "ledger_journals",
        (
            Column("id", UUID),
            Column("name", TEXT),
            Column("description", TEXT),
            Column("created_at", TIMESTAMPTZ),
            TX_ID,
        ),
        key=("id",),
        order_by=("tx_id", "id"),
    ),
    Table(
        "ledger_account_sets",
        (
            Column("id", UUID),
            Column("journal_id", UUID),
            Column("code", TEXT),
            Column("name", TEXT),
            Column("category", TEXT),
            Column("normal_side", TEXT),
            Column("parent_id", UUID, nullable=True),
            Column("created_at", TIMESTAMPTZ),
            TX_ID,
        ),
        key=("id",),
        order_by=("tx_id", "id"),
    ),
    Table(
        "ledger_accounts",
        (
            Column("id", UUID),
            Column("code", TEXT),
            Column("name", TEXT),
            Column("category", TEXT),
            Column("normal_side", TEXT),
            Column("currency", TEXT),
            Column("account_set_id", UUID),
            Column("external_id", UUID, nullable=True),
            Column("created_at", TIMESTAMPTZ),
            TX_ID,
        ),
        key=("id",),
        order_by=("tx_id", "id"),
    ),
    Table(
        "ledger_transactions",
        (
            Column("id", UUID),
            Column("journal_id", UUID),
            Column("template", TEXT),
            Column("effective_date", DATE),
            Column("correlation_id", UUID),
            Column("description", TEXT),
            Column("metadata", JSON),
            Column("recorded_at", TIMESTAMPTZ),
            Column("global_position", BIGINT),
            TX_ID,
        ),
        key=("id",),
        order_by=("tx_id", "global_position"),
    ),
    Table(
        "ledger_entries",
        (
            Column("transaction_id", UUID),
            Column("entry_index", INT),
            Column("account_id", UUID),
            Column("side", TEXT),
            Column("amount", BIGINT),
            Column("currency", TEXT),
            Column("effective_date", DATE),
            Column("recorded_at", TIMESTAMPTZ),
            TX_ID,
        ),
        key=("transaction_id", "entry_index"),
        order_by=("tx_id", "transaction_id", "entry_index"),
    ),
    Table(
        "ledger_balance_history",
        (
            Column("account_id", UUID),
            Column("version", INT),
            Column("transaction_id", UUID),
            Column("currency", TEXT),
            Column("debit_total", BIGINT),
            Column("credit_total", BIGINT),
            Column("balance", BIGINT),
            Column("effective_date", DATE),
            Column("recorded_at", TIMESTAMPTZ),
            TX_ID,
        ),
        key=("account_id", "version"),
        order_by=("tx_id", "account_id", "version"),
    ),
)
TABLES_BY_NAME = {t.name: t for t in TABLES}
