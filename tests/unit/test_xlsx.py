"""The workbook writes each value as its reader expects it: a date as an Excel date, whatever
the column's first row holds."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl

from orchestration.delivery.catalog import ReportSpec
from orchestration.delivery.table import Table
from orchestration.delivery.xlsx import xlsx_workbook


def test_a_date_column_whose_first_value_is_empty_still_holds_dates() -> None:
    """The issue's case: `loan_portfolio.non_accrual_since` empty on the first row showed
    2025-05-30 as 45807 in General format."""
    spec = ReportSpec(table="loans", title="Loans", grain="one row per loan", order=1)
    table = Table(
        spec,
        ["facility_id", "non_accrual_since", "principal"],
        [("a", None, 5), ("b", date(2025, 5, 30), 7), ("c", None, 9)],
    )
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_workbook([table], date(2025, 12, 31))))["Loans"]
    cell = sheet["B3"]
    assert cell.is_date and cell.value == datetime(2025, 5, 30) and cell.number_format == "yyyy-mm-dd"
    assert sheet["B2"].value is None and sheet["C2"].number_format == "#,##0"
