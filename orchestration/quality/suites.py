"""Great Expectations suites for the raw layer and the reports, and running them on the warehouse.

The raw suites follow the core's own definitions: each events table may only hold the event types
the core registers for its aggregate, and every amount field the core's events carry must be
non-negative (movement amounts strictly positive). The ledger must balance per transaction and
currency, and every business event that posts must agree with its ledger transaction. The report
suites check the distributions each report declares (row counts, value ranges) on the business
date being delivered.

One rule, one framework: keys, accepted values, signs and balances of models are dbt tests; Great
Expectations keeps what dbt cannot express before dbt runs (the raw layer against the core's event
definitions, across raw tables) and the declared distributions of the reports.

Importing Great Expectations takes seconds, so it is imported when a suite is built, not when the
Dagster definitions load.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import ModuleType

from tap_lana_events.tables import AGGREGATES

from core_app.domain import catalog  # noqa: F401  (registers every event class)
from core_app.domain.events import registered_events
from core_app.domain.ledger import Side
from core_app.domain.money import Currency, money_fields
from orchestration.delivery.catalog import ReportSpec

RAW_SUITE_TABLES = (
    *(f"{a}_events" for a in AGGREGATES),
    "ledger_entries",
    "ledger_transactions",
    "ledger_accounts",
)
# Raw suites that judge their table as a whole (the chart of accounts' row count), not row by row.
WHOLE_TABLE_SUITES = ("ledger_accounts",)

# Movements whose amount the core requires to be positive when they are initialized.
POSITIVE_MOVEMENTS = ("deposit", "withdrawal", "disbursal", "payment", "obligation")


@dataclass(frozen=True)
class Posting:
    """A business event that the core posts to the ledger in the same transaction: the ledger
    transaction has `template` and the event's aggregate id as its correlation id."""

    aggregate: str
    event_type: str
    template: str
    amount_is_debits: bool = False  # the event's `amount` equals the transaction's debits


POSTINGS = (
    Posting("deposit", "initialized", "DEPOSIT", amount_is_debits=True),
    Posting("withdrawal", "initialized", "WITHDRAWAL_INITIATED", amount_is_debits=True),
    Posting("withdrawal", "confirmed", "WITHDRAWAL_CONFIRMED"),
    Posting("withdrawal", "cancelled", "WITHDRAWAL_CANCELLED"),
    Posting("disbursal", "initialized", "DISBURSAL"),
    Posting("payment", "initialized", "PAYMENT"),
)
# Movements on a customer's deposit account: the account must exist.
ACCOUNT_MOVEMENTS = ("deposit", "withdrawal")


@dataclass(frozen=True)
class Suite:
    schema: str
    table: str
    expectations: list = field(default_factory=list)
    # The rows checked, when not the whole table: a condition of ours (never user text).
    rows: str | None = None
    # Does every expectation judge each row on its own (against any rows of other tables)? Then
    # the suite may be run on some of the table's rows (orchestration/checked_rows.py).
    row_by_row: bool = True

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def batch_sql(self) -> str:
        rows = f"SELECT * FROM {self.schema}.{self.table}"
        return rows if self.rows is None else f"{rows} WHERE {self.rows}"


@dataclass(frozen=True)
class Outcome:
    suite: str
    table: str
    evaluated: int
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def _gx() -> tuple[ModuleType, ModuleType]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # offline by design: no usage statistics
    import great_expectations
    import great_expectations.expectations

    return great_expectations, great_expectations.expectations


def import_in_background() -> threading.Thread:
    """Start importing Great Expectations in a thread (joined before the suites are built).

    SQLAlchemy's ORM is imported here first: Dagster's run storage imports it lazily too, and two
    threads importing one package at once can see it half initialised ("partially initialized
    module 'sqlalchemy.orm.exc'", seen failing a raw check step one run in five)."""
    import sqlalchemy.orm  # noqa: F401

    thread = threading.Thread(target=_gx, name="import-great-expectations", daemon=True)
    thread.start()
    return thread


def _json_text(dialect: str, column: str, key: str) -> str:
    if dialect == "bigquery":
        return f"json_value({column}, '$.{key}')"
    return f"({column} ->> '{key}')"


def _is_integer(dialect: str, text: str) -> str:
    """SQL: the JSON value's text is a 64-bit integer (amounts are whole minor units)."""
    if dialect == "bigquery":
        return f"safe_cast({text} as int64) is not null"
    # No braces in the pattern: GX reads them as placeholders. Up to 18 digits fit in 64 bits.
    return f"({text} ~ '^-?[0-9]+$' AND length({text}) <= 19)"


def _json_bigint(dialect: str, column: str, key: str) -> str:
    """A JSON field as a 64-bit integer, NULL where it is not one (a separate check names those)."""
    text = _json_text(dialect, column, key)
    if dialect == "bigquery":
        return f"safe_cast({text} as int64)"
    return f"(CASE WHEN {_is_integer(dialect, text)} THEN cast({text} as bigint) END)"


def _text(dialect: str, column: str) -> str:
    return f"cast({column} as {'string' if dialect == 'bigquery' else 'text'})"


def _ledger_agreement(schema: str, dialect: str) -> dict[str, list]:
    """Per raw table, the expectations that its events and the ledger agree (both ways).

    (GX substitutes `{batch}` with an aliased subquery: it is wrapped once more to be aliased here.)
    """
    found: dict[str, list] = {}
    for p in POSTINGS:
        found.setdefault(f"{p.aggregate}_events", []).append(_event_has_its_posting(p, schema, dialect))
        found.setdefault("ledger_transactions", []).append(
            _rows(
                f"{p.template} ledger transactions without their {p.aggregate} '{p.event_type}' event",
                "SELECT t.id, t.template, t.correlation_id, t.effective_date "
                f"FROM (SELECT * FROM {{batch}}) t "
                f"WHERE t.template = '{p.template}' AND NOT EXISTS (SELECT 1 FROM "
                f"{schema}.{p.aggregate}_events e WHERE e.id = t.correlation_id "
                f"AND e.event_type = '{p.event_type}')",
            )
        )
    account = _json_text(dialect, "e.event", "deposit_account_id")
    for aggregate in ACCOUNT_MOVEMENTS:
        found.setdefault(f"{aggregate}_events", []).append(
            _rows(
                f"{aggregate} events on a deposit account the core never opened",
                f"SELECT e.id, e.event_type, {account} AS deposit_account_id "
                "FROM (SELECT * FROM {batch}) e "
                f"WHERE e.event_type = 'initialized' AND {account} NOT IN "
                f"(SELECT {_text(dialect, 'id')} FROM {schema}.deposit_account_events)",
            )
        )
    return found


def _event_has_its_posting(p: Posting, schema: str, dialect: str):
    """Every such event has its ledger transaction (and, where the event carries the amount, the
    transaction debits exactly it)."""
    # Summed per transaction joined, not grouped over the whole ledger first: a run that checks a
    # day's new events then reads their transactions' entries only (by the entries' key).
    debits = (
        f"(SELECT sum(l.amount) FROM {schema}.ledger_entries l "
        "WHERE l.transaction_id = t.id AND l.side = 'debit')"
    )
    amount = _json_bigint(dialect, "e.event", "amount")
    # No debits, or not the event's amount: as one expression, so that PostgreSQL sums the debits
    # once per event (an OR of the two would run the summing subquery twice).
    mismatch = (
        " OR coalesce(ledger_debits <> event_amount, ledger_debits IS NULL)" if p.amount_is_debits else ""
    )
    return _rows(
        f"{p.aggregate} '{p.event_type}' events without their {p.template} ledger transaction"
        + (" for the same amount" if p.amount_is_debits else ""),
        "SELECT * FROM (SELECT e.id, e.event_type, "
        f"{amount if p.amount_is_debits else 'NULL'} AS event_amount, t.id AS ledger_transaction_id, "
        f"{debits if p.amount_is_debits else 'NULL'} AS ledger_debits "
        f"FROM (SELECT * FROM {{batch}}) e LEFT JOIN {schema}.ledger_transactions t "
        f"ON t.correlation_id = e.id AND t.template = '{p.template}' "
        f"WHERE e.event_type = '{p.event_type}') posted "
        f"WHERE ledger_transaction_id IS NULL{mismatch}",
    )


def _rows(description: str, query: str):
    _, gxe = _gx()
    return gxe.UnexpectedRowsExpectation(unexpected_rows_query=query, description=description)


def _money_field_checks(aggregate: str, event_type: str, name: str, dialect: str) -> list:
    """An amount field of one event type: a whole number of minor units, and non-negative
    (positive for a movement's initial amount), as the core's events carry it."""
    text, value = _json_text(dialect, "event", name), _json_bigint(dialect, "event", name)
    positive = name == "amount" and event_type == "initialized" and aggregate in POSITIVE_MOVEMENTS
    wanted, wrong = ("positive", "non-positive") if positive else ("non-negative", "negative")
    rows = f"SELECT id, sequence, {text} AS {name} FROM {{batch}} WHERE event_type = '{event_type}'"
    return [
        _rows(
            f"{aggregate} '{event_type}' events whose {name} is not a whole number of minor units",
            f"{rows} AND {text} IS NOT NULL AND NOT ({_is_integer(dialect, text)})",
        ),
        _rows(
            f"{aggregate} '{event_type}' events with a {wrong} {name}"
            f" (the core's events carry {wanted} {name}s)",
            f"{rows} AND {value} {'<=' if positive else '<'} 0",
        ),
    ]


def raw_suites_version(dialect: str = "postgres") -> str:
    """Changes whenever the raw suites may: with this module's code, the core's events (their
    types and amount fields), aggregates, sides or currencies. Known without importing Great
    Expectations."""
    events = sorted(
        (aggregate, event_type, cls.__name__, sorted(money_fields(cls)))
        for (aggregate, event_type), cls in registered_events().items()
    )
    inputs = [dialect, events, list(AGGREGATES), [s.value for s in Side], [c.value for c in Currency]]
    basis = json.dumps(inputs).encode() + Path(__file__).read_bytes()
    return hashlib.sha256(basis).hexdigest()


def raw_suites(schema: str, dialect: str = "postgres") -> list[Suite]:
    suites = _raw_table_suites(schema, dialect)
    agreement = _ledger_agreement(schema, dialect)
    return [
        replace(
            s,
            expectations=[*s.expectations, *agreement.get(s.table, [])],
            row_by_row=s.table not in WHOLE_TABLE_SUITES,
        )
        for s in suites
    ]


def _raw_table_suites(schema: str, dialect: str) -> list[Suite]:
    _, gxe = _gx()
    events = registered_events()
    suites: list[Suite] = []
    for aggregate in AGGREGATES:
        known = sorted(t for (a, t) in events if a == aggregate)
        checks: list = [
            # (id, sequence) unique: a dbt test on the source (_sources.yml).
            gxe.ExpectColumnValuesToNotBeNull(column="id"),
            gxe.ExpectColumnValuesToNotBeNull(column="recorded_at"),
            gxe.ExpectColumnValuesToBeBetween(column="sequence", min_value=1),
            gxe.ExpectColumnValuesToBeInSet(column="event_type", value_set=known),
        ]
        for (agg, event_type), cls in sorted(events.items()):
            if agg == aggregate:
                checks += [
                    check
                    for name in money_fields(cls)
                    for check in _money_field_checks(aggregate, event_type, name, dialect)
                ]
        suites.append(Suite(schema, f"{aggregate}_events", checks))
    return [*suites, *_ledger_suites(schema)]


def _ledger_suites(schema: str) -> list[Suite]:
    """The raw ledger as the core writes it (keys unique: dbt tests on the sources)."""
    _, gxe = _gx()
    sides, currencies = [s.value for s in Side], [c.value for c in Currency]
    balanced = _rows(
        "ledger transactions whose debits and credits differ (every transaction must balance per currency)",
        "SELECT transaction_id, currency FROM {batch} GROUP BY transaction_id, currency "
        "HAVING sum(CASE WHEN side = 'debit' THEN amount ELSE -amount END) <> 0",
    )
    return [
        Suite(
            schema,
            "ledger_entries",
            [
                gxe.ExpectColumnValuesToBeInSet(column="side", value_set=sides),
                gxe.ExpectColumnValuesToBeInSet(column="currency", value_set=currencies),
                gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=1),
                balanced,
            ],
        ),
        Suite(schema, "ledger_transactions", [gxe.ExpectColumnValuesToNotBeNull(column="effective_date")]),
        Suite(
            schema,
            "ledger_accounts",
            expectations=[
                gxe.ExpectColumnValuesToBeInSet(column="normal_side", value_set=sides),
                gxe.ExpectColumnValuesToBeInSet(column="currency", value_set=currencies),
                # The chart of accounts is created with the core's schema: never empty.
                gxe.ExpectTableRowCountToBeBetween(min_value=1),
            ],
        ),
    ]


def report_suites(schema: str, business_date: date, reports: Iterable[ReportSpec]) -> list[Suite]:
    """The distribution checks each report declares (`meta.delivery` in dbt), on its rows for
    `business_date`: row counts and value ranges. Keys, accepted values, signs and balances are
    dbt tests (one rule, one framework)."""
    _, gxe = _gx()
    suites = []
    for spec in reports:
        expectations = []
        if spec.expected_rows is not None:
            rows = spec.expected_rows
            expectations.append(gxe.ExpectTableRowCountToBeBetween(min_value=rows.min, max_value=rows.max))
        for column, bounds in (spec.value_ranges or {}).items():
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(column=column, min_value=bounds.min, max_value=bounds.max)
            )
        if expectations:  # report tables keep every date: only this date's rows
            on_date = f"as_of_date = CAST('{business_date.isoformat()}' AS DATE)"
            suites.append(Suite(schema, spec.table, expectations, rows=on_date, row_by_row=False))
    return suites


def validate(
    connection_string: str, suites: Iterable[Suite], dialect: str = "postgres", workers: int = 2
) -> list[Outcome]:
    """Run each suite on its table; one outcome per suite (in the suites' order), failures
    described in words. `workers` threads take the suites in turn, each with its own GX context
    and connection, so that the warehouse answers two suites' queries at once."""
    pending: queue.SimpleQueue[tuple[int, Suite]] = queue.SimpleQueue()
    for numbered in enumerate(suites):
        pending.put(numbered)
    count = pending.qsize()
    _gx()  # imported once, before any thread

    def take() -> Iterator[tuple[int, Suite]]:
        while True:
            try:
                yield pending.get_nowait()
            except queue.Empty:
                return

    def work() -> list[tuple[int, Outcome]]:
        return list(_validate(connection_string, take(), dialect))

    threads = max(1, min(workers, count))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        done = [pool.submit(work) for _ in range(threads)]
        by_position = dict(pair for future in done for pair in future.result())
    return [by_position[i] for i in range(count)]


def _validate(
    connection_string: str, suites: Iterator[tuple[int, Suite]], dialect: str
) -> Iterator[tuple[int, Outcome]]:
    gx, _ = _gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}  # type: ignore[assignment]
    sources: dict[str, object] = {}
    for position, suite in suites:
        source = sources.get(suite.schema)
        if source is None:
            if dialect == "postgres":
                source = context.data_sources.add_postgres(suite.schema, connection_string=connection_string)
            else:
                source = context.data_sources.add_sql(suite.schema, connection_string=connection_string)
            sources[suite.schema] = source
        if suite.rows is None:
            asset = source.add_table_asset(suite.name, table_name=suite.table, schema_name=suite.schema)  # type: ignore[attr-defined]
        else:
            asset = source.add_query_asset(suite.name, query=suite.batch_sql)  # type: ignore[attr-defined]
        batch = asset.add_batch_definition_whole_table("whole table")
        gx_suite = context.suites.add(
            gx.ExpectationSuite(suite.name, expectations=[copy.copy(e) for e in suite.expectations])
        )
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
        )
        result = definition.run()
        failures = [
            _describe(r) + _examples(source, suite, r)  # type: ignore[arg-type]
            for r in result.results
            if not r.success
        ]
        yield position, Outcome(suite.name, suite.table, len(result.results), failures)


def _examples(source, suite: Suite, result, limit: int = 3) -> str:
    """For a failed row-query expectation, the first offending rows with their values."""
    config = result.expectation_config
    if config.type != "unexpected_rows_expectation" or not (result.result or {}).get("observed_value"):
        return ""
    query = config.kwargs["unexpected_rows_query"].replace("{batch}", f"({suite.batch_sql}) AS batch")
    with source.get_engine().connect() as conn:  # GX's own engine for this warehouse
        rows = conn.exec_driver_sql(f"SELECT * FROM ({query}) AS offending LIMIT {limit}").mappings().all()
    shown = "; ".join(", ".join(f"{k}={v}" for k, v in row.items()) for row in rows)
    return f", e.g. {shown}" if shown else ""


def _raised(info) -> str | None:
    """The error an expectation raised, if any: GX reports it on the result, or per metric."""
    if not info:
        return None
    candidates = [info, *info.values()] if isinstance(info, dict) else [info]
    for candidate in candidates:
        get = candidate.get if isinstance(candidate, dict) else lambda k, c=candidate: getattr(c, k, None)
        if get("raised_exception"):
            message = str(get("exception_message") or "an error")
            return message.strip().splitlines()[0]
    return None


def _describe(result) -> str:
    config = result.expectation_config
    details = result.result or {}
    error = _raised(result.exception_info)
    if error:
        what = config.description or config.type
        return f"{what}: could not be evaluated ({error})"
    if config.type == "unexpected_rows_expectation":
        rows = details.get("observed_value")
        return f"{rows} row(s): {config.description}"
    subject = config.kwargs.get("column") or config.kwargs.get("column_list") or "table"
    if "unexpected_count" in details:
        sample = details.get("partial_unexpected_list") or []
        count = details["unexpected_count"]
        return f"{config.type} on {subject}: {count} unexpected value(s), e.g. {sample[:5]}"
    return f"{config.type} on {subject}: observed {details.get('observed_value')}"
