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
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from orchestration.charts import chart_data, svg
from orchestration.finance_pack import pdf_pack
from orchestration.regulatory_xml import reference_errors, xml_document, xml_errors
from orchestration.report_catalog import ReportSpec
from orchestration.table_schemas import DeliveryRefused, csv_errors

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
    files: dict[str, bytes] = {f"{t.spec.table}.csv": _csv(t) for t in tables}
    files[f"finance-reports-{business_date.isoformat()}.xlsx"] = _xlsx(tables, business_date)
    files[f"summary-{business_date.isoformat()}.html"] = _html(tables, business_date).encode()
    files[f"finance-pack-{business_date.isoformat()}.pdf"] = pdf_pack(tables, business_date)
    for t in tables:
        if t.spec.xml:
            people = _people(warehouse, t, business_date) if t.spec.xml.identify else None
            files[f"{t.spec.table}.xml"] = xml_document(t, business_date, people)
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
        for error in xml_errors(f"{t.spec.table}.xml", files[f"{t.spec.table}.xml"], t.spec.xml.schema)
    ]
    errors += reference_errors(tables)
    if errors:
        raise DeliveryRefused(
            f"delivery for {business_date.isoformat()} refused, nothing published: " + "; ".join(errors),
            errors,
        )
    folder = out_dir / business_date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        _write_atomically(folder / name, content)
    manifest = {
        "business_date": business_date.isoformat(),
        "rows": {t.spec.table: len(t.rows) for t in tables},
        "files": [
            {"name": name, "bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}
            for name, content in sorted(files.items())
        ],
    }
    _write_atomically(folder / "manifest.json", (json.dumps(manifest, indent=2) + "\n").encode())
    return manifest


def _people(warehouse: ReportTables, table: Table, business_date: date) -> dict:
    assert table.spec.xml is not None and table.spec.xml.identify is not None
    index = table.columns.index(table.spec.xml.identify)
    return warehouse.identities(sorted({str(r[index]) for r in table.rows}), business_date)


def _write_atomically(path: Path, content: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(content)
    partial.replace(path)


def _csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.header())
    for row in table.values():
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode()


def _xlsx(tables: list[Table], business_date: date) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    # Fixed document dates: the same inputs give the same bytes.
    moment = datetime.combine(business_date, time())
    workbook.properties.created = workbook.properties.modified = moment
    workbook.properties.creator = "Lana data platform"
    workbook.properties.title = f"Finance reports as of {business_date.isoformat()}"
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F3864")
    for table in tables:
        sheet = workbook.create_sheet(table.spec.title[:31])
        sheet.append(table.header())
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(horizontal="center")
        for row in table.values():
            sheet.append([_excel_value(v) for v in row])
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            if column in table.spec.money_columns:
                for cell in sheet[letter][1:]:
                    cell.number_format = "#,##0.00"
            elif table.rows and isinstance(table.rows[0][index - 1], int):
                for cell in sheet[letter][1:]:
                    cell.number_format = "#,##0"
            elif table.rows and isinstance(table.rows[0][index - 1], datetime):
                for cell in sheet[letter][1:]:
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"  # UTC (Excel has no time zones)
            elif table.rows and isinstance(table.rows[0][index - 1], date):
                for cell in sheet[letter][1:]:
                    cell.number_format = "yyyy-mm-dd"
            width = max(
                [len(str(table.header()[index - 1]))] + [len(str(r[index - 1])) for r in table.rows[:200]]
            )
            sheet.column_dimensions[letter].width = min(max(width + 2, 10), 60)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _normalise_zip(buffer.getvalue(), moment)


def _excel_value(value: object) -> object:
    """Dates and instants as real Excel dates and times: an instant in UTC, as the CSV states it."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _normalise_zip(content: bytes, moment: datetime) -> bytes:
    """Rewrite the XLSX container without the wall clock: fixed zip entry dates, and the document's
    modification date (which openpyxl sets to now on save) set to the business date."""
    import re
    import zipfile

    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\2", data
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, data)
    return out.getvalue()


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
