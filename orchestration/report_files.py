"""Report files for finance teams: for one business date, XLSX, CSV, an HTML summary with charts and
a manifest with checksums.

Everything written is a function of the warehouse's report tables and the business date: no wall
clock, no random ids, rows in a fixed order, so writing the same date twice gives identical files.
Money leaves the warehouse as integer minor units and is written as exact decimals.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from orchestration import rendering
from orchestration.charts import chart_data, svg
from orchestration.regulatory_xml import reference_errors, xml_document, xml_errors
from orchestration.report_catalog import ReportSpec
from orchestration.table_schemas import DeliveryRefused, csv_errors

# The subfolder of a delivery holding the files that name people: 0700, its files 0600.
RESTRICTED = "restricted"
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


def write_report_files(
    warehouse: ReportTables, out_dir: Path, business_date: date, reports: tuple[ReportSpec, ...]
) -> dict:
    """Write every file for `business_date` under `out_dir/<date>/`; returns the manifest.

    Files are written beside their final names and renamed, so a reader never sees half a file.
    """
    tables = read_reports(warehouse, business_date, reports)
    # The workbook and the PDF pack take the longest: rendered in processes of their own while
    # this one writes and checks the rest (orchestration/rendering.py).
    with ThreadPoolExecutor(max_workers=2) as renderers:
        workbook = renderers.submit(rendering.render, "workbook", tables, business_date)
        pack = renderers.submit(rendering.render, "pdf_pack", tables, business_date)
        files: dict[str, bytes] = {f"{t.spec.table}.csv": _csv(t) for t in tables}
        files[f"summary-{business_date.isoformat()}.html"] = _html(tables, business_date).encode()
        for t in tables:
            if t.spec.xml:
                people = _people(warehouse, t, business_date) if t.spec.xml.identify else None
                files[_xml_name(t)] = xml_document(t, business_date, people)
        errors = [
            error
            for t in tables
            if t.spec.table_schema
            for error in csv_errors(f"{t.spec.table}.csv", files[f"{t.spec.table}.csv"], t.spec.table_schema)
        ]
        errors += [
            error
            for t in tables
            if t.spec.xml
            for error in xml_errors(f"{t.spec.table}.xml", files[_xml_name(t)], t.spec.xml.schema)
        ]
        errors += reference_errors(tables)
        files[f"finance-reports-{business_date.isoformat()}.xlsx"] = workbook.result()
        files[f"finance-pack-{business_date.isoformat()}.pdf"] = pack.result()
    if errors:
        raise DeliveryRefused(
            f"delivery for {business_date.isoformat()} refused, nothing published: " + "; ".join(errors),
            errors,
        )
    folder = out_dir / business_date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        _write_atomically(folder / name, content, private=name.startswith(f"{RESTRICTED}/"))
    manifest = {
        "business_date": business_date.isoformat(),
        "rows": {t.spec.table: len(t.rows) for t in tables},
        "files": [
            {
                "name": name,
                "bytes": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
                **({"restricted": True} if name.startswith(f"{RESTRICTED}/") else {}),
            }
            for name, content in sorted(files.items())
        ],
    }
    _write_atomically(folder / "manifest.json", (json.dumps(manifest, indent=2) + "\n").encode())
    _remove_stale(folder, set(files) | {"manifest.json"})
    return manifest


def _remove_stale(folder: Path, delivered: set[str]) -> None:
    """Files of an earlier delivery of the date that this one no longer has (an identities file
    an older version wrote outside the restricted folder among them)."""
    for path in folder.rglob("*"):
        if (
            path.is_file()
            and not path.name.startswith(".")
            and str(path.relative_to(folder)) not in delivered
        ):
            path.unlink()


def _people(warehouse: ReportTables, table: Table, business_date: date) -> dict:
    assert table.spec.xml is not None and table.spec.xml.identify is not None
    index = table.columns.index(table.spec.xml.identify)
    return warehouse.identities(sorted({str(r[index]) for r in table.rows}), business_date)


def _xml_name(table: Table) -> str:
    """A file that names people (borrowers' names and tax ids) lies in the delivery's restricted
    folder, which only the delivery's owner can open; the rest is for finance readers."""
    assert table.spec.xml is not None
    name = f"{table.spec.table}.xml"
    return f"{RESTRICTED}/{name}" if table.spec.xml.identify else name


def _write_atomically(path: Path, content: bytes, private: bool = False) -> None:
    if private:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        path.parent.chmod(0o700)  # whatever the umask, or an older delivery, made it
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    if private:
        partial.chmod(0o600)  # an older partial file keeps its mode through O_CREAT
    partial.replace(path)


def _csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.header())
    for row in table.values():
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode()


def xlsx_workbook(tables: list[Table], business_date: date) -> bytes:
    buffer = io.BytesIO()
    # Text stays text: XlsxWriter would otherwise turn "=…" into formulas and addresses into links.
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    # Fixed document dates (XlsxWriter writes `created` as the modification date too): the same
    # inputs give the same bytes.
    moment = datetime.combine(business_date, time())
    workbook.set_properties(
        {
            "title": f"Finance reports as of {business_date.isoformat()}",
            "author": "Lana data platform",
            "created": moment,
        }
    )
    header_format = workbook.add_format(
        {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F3864", "pattern": 1, "align": "center"}
    )
    money = workbook.add_format({"num_format": "#,##0.00"})
    count = workbook.add_format({"num_format": "#,##0"})
    instant = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})  # UTC (Excel has no time zones)
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for table in tables:
        sheet = workbook.add_worksheet(table.spec.title[:31])
        header = table.header()
        sheet.write_row(0, 0, header, header_format)
        first = table.rows[0] if table.rows else ()
        for index, column in enumerate(table.columns):
            # The column's format applies to every cell written without one of its own.
            number_format = (
                money
                if column in table.spec.money_columns
                else count
                if first and isinstance(first[index], int)
                else instant
                if first and isinstance(first[index], datetime)
                else day
                if first and isinstance(first[index], date)
                else None
            )
            width = max([len(header[index])] + [len(str(r[index])) for r in table.rows[:200]])
            sheet.set_column(index, index, min(max(width + 2, 10), 60), number_format)
        for row_number, row in enumerate(table.values(), start=1):
            for column_number, value in enumerate(row):
                _write_cell(sheet, row_number, column_number, value)
        sheet.freeze_panes(1, 0)
    workbook.close()  # in memory, its zip entries dated 1980-01-01: no wall clock in the file
    return buffer.getvalue()


def _write_cell(sheet: Worksheet, row: int, column: int, value: object) -> None:
    """Numbers as numbers, dates and instants as real Excel dates and times (an instant in UTC, as
    the CSV states it), everything else as text; an empty value leaves the cell empty."""
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, column, value)
    elif isinstance(value, datetime):
        instant = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value
        sheet.write_datetime(row, column, instant)
    elif isinstance(value, date):
        sheet.write_datetime(row, column, value)
    else:
        sheet.write_string(row, column, str(value))


def _html(tables: list[Table], business_date: date) -> str:
    charts = [
        f"<figure>{svg(chart_data(t, t.spec.chart))}</figure>" for t in tables if t.spec.chart is not None
    ]
    files = "".join(f"<li>{html.escape(t.spec.title)}: {len(t.rows)} rows</li>" for t in tables)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Finance summary {business_date.isoformat()}</title>"
        "<style>body{font-family:sans-serif;margin:2em;color:#222}figure{margin:1.5em 0}"
        "figure svg{max-width:100%;height:auto}</style></head><body>"
        f"<h1>Finance summary as of {business_date.isoformat()}</h1>"
        + "".join(charts)
        + f"<h2>Reports in this delivery</h2><ul>{files}</ul></body></html>\n"
    )
