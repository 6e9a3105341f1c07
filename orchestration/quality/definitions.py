"""The quality area's Dagster definitions."""

import dagster as dg

from orchestration.delivery.catalog import ReportSpec
from orchestration.quality.checks import build_report_expectations, raw_layer_checks


def definitions(reports: tuple[ReportSpec, ...]) -> dg.Definitions:
    return dg.Definitions(asset_checks=[raw_layer_checks, build_report_expectations(reports)])
