"""A report's rows for one business date, as every file of the delivery reads them.

Everything delivered is a function of the warehouse's report tables and the business date: no wall
clock, no random ids, rows in a fixed order, so writing the same date twice gives identical files.
Money leaves the warehouse as integer minor units and is written as exact decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from orchestration.delivery.catalog import ReportSpec

CENTS = Decimal(100)
CENT = Decimal("0.01")  # money is written with exactly two decimals
SATS = Decimal(100_000_000)
SAT = Decimal("0.00000001")  # BTC is written with exactly eight decimals


@dataclass(frozen=True)
class Table:
    spec: ReportSpec
    columns: list[str]
    rows: list[tuple]

    def header(self) -> list[str]:
        return [
            c.removesuffix("_cents") + " (USD)"
            if c in self.spec.money_columns
            else c.removesuffix("_sats") + " (BTC)"
            if c in self.spec.btc_columns
            else c
            for c in self.columns
        ]

    def values(self) -> list[list[object]]:
        units = [
            (CENTS, CENT)
            if c in self.spec.money_columns
            else (SATS, SAT)
            if c in self.spec.btc_columns
            else None
            for c in self.columns
        ]
        return [
            [
                (Decimal(v) / unit[0]).quantize(unit[1]) if unit and v is not None else v
                for v, unit in zip(row, units, strict=True)
            ]
            for row in self.rows
        ]


class ReportTables(Protocol):
    """The warehouse, as far as the files need it (orchestration.resources.Warehouse)."""

    reports_schema: str

    def read_report(self, table: str, as_of: date) -> tuple[list[str], list[tuple]]: ...

    def identities(
        self, customer_ids: list[str], as_of: date
    ) -> dict[str, tuple[str | None, str | None]]: ...


class StaleReportError(ValueError):
    """The report tables hold nothing for the business date the files are for."""


def read_reports(
    warehouse: ReportTables, business_date: date, reports: tuple[ReportSpec, ...]
) -> list[Table]:
    """Every report's rows for `business_date` (the tables keep every date they were built for)."""
    tables: list[Table] = []
    for spec in reports:
        columns, rows = warehouse.read_report(spec.table, business_date)
        # A report declared never empty (the balance sheet: its lines come from the chart of
        # accounts) shows whether the date was built; others may rightly be empty (no AML alerts).
        if spec.never_empty and not rows:
            raise StaleReportError(
                f"{warehouse.reports_schema}.{spec.table} holds no rows as of "
                f"{business_date.isoformat()}: build the reports for that date first"
            )
        tables.append(Table(spec, columns, sorted(rows, key=_row_order(spec, columns))))
    return tables


def _row_order(spec: ReportSpec, columns: list[str]):
    """The report's declared order (`sort_by`: values compared as they are, so 9 before 10 and
    dates in time order), then every column as text: a total order, so that the files never
    depend on the query plan."""
    first = [columns.index(c) for c in spec.sort_by]

    def key(row: tuple) -> tuple:
        declared = tuple((row[i] is None, row[i] if row[i] is not None else 0) for i in first)
        return declared, tuple("" if v is None else str(v) for v in row)

    return key
