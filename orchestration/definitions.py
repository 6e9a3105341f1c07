"""The Dagster code location: `dagster dev` (see README) loads `defs` from here."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from orchestration.assets.dbt_models import dbt_models
from orchestration.assets.raw_layer import extract_load
from orchestration.assets.report_deliveries import finance_report_files
from orchestration.checks import raw_layer_completeness, raw_layer_expectations, report_expectations
from orchestration.jobs import daily_reports, daily_reports_schedule, refresh_raw_layer
from orchestration.resources import resources_from_environment
from orchestration.run_health import orphaned_runs
from orchestration.sensors import new_outbox_events


def build_definitions(resources: Mapping[str, object]) -> dg.Definitions:
    """The whole code location with the given resources (the tests bring their own databases)."""
    return dg.Definitions(
        assets=[extract_load, dbt_models, finance_report_files],
        asset_checks=[raw_layer_completeness, raw_layer_expectations, report_expectations],
        jobs=[daily_reports, refresh_raw_layer],
        schedules=[daily_reports_schedule],
        sensors=[new_outbox_events, orphaned_runs],
        resources=dict(resources),
    )


defs = build_definitions(resources_from_environment())
