"""Every delivered report in one workbook, a sheet each (XlsxWriter: less than half openpyxl's time)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time
from decimal import Decimal

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from orchestration.delivery.table import Table


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
    formats = _Formats(workbook)
    for table in tables:
        _sheet(workbook, table, formats)
    workbook.close()  # in memory, its zip entries dated 1980-01-01: no wall clock in the file
    return buffer.getvalue()


class _Formats:
    """The workbook's cell formats: the header, and one per kind of column."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.header = workbook.add_format(
            {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F3864", "pattern": 1, "align": "center"}
        )
        self.money = workbook.add_format({"num_format": "#,##0.00"})
        self.count = workbook.add_format({"num_format": "#,##0"})
        self.instant = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})  # UTC (Excel: no zones)
        self.day = workbook.add_format({"num_format": "yyyy-mm-dd"})

    def of(self, table: Table, index: int) -> object:
        """A column's format, from its declaration or its first value that is not empty (None:
        general); an empty first value (a facility not in non-accrual) says nothing of the rest."""
        value = next((row[index] for row in table.rows if row[index] is not None), None)
        if table.columns[index] in table.spec.money_columns:
            return self.money
        if isinstance(value, int):
            return self.count
        if isinstance(value, datetime):
            return self.instant
        return self.day if isinstance(value, date) else None


def _sheet(workbook: xlsxwriter.Workbook, table: Table, formats: _Formats) -> None:
    sheet = workbook.add_worksheet(table.spec.title[:31])
    header = table.header()
    sheet.write_row(0, 0, header, formats.header)
    for index in range(len(table.columns)):
        # The column's format applies to every cell written without one of its own.
        width = max([len(header[index])] + [len(str(r[index])) for r in table.rows[:200]])
        sheet.set_column(index, index, min(max(width + 2, 10), 60), formats.of(table, index))
    for row_number, row in enumerate(table.values(), start=1):
        for column_number, value in enumerate(row):
            _write_cell(sheet, row_number, column_number, value)
    sheet.freeze_panes(1, 0)


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
