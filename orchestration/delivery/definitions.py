"""The delivery area's Dagster definitions."""

import dagster as dg

from orchestration.delivery.assets import build_finance_report_files
from orchestration.delivery.catalog import ReportSpec


def definitions(reports: tuple[ReportSpec, ...]) -> dg.Definitions:
    return dg.Definitions(assets=[build_finance_report_files(reports)])
