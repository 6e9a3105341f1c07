"""The Dagster code location: `dagster dev` (see README) loads `defs` from here."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from orchestration.assets.dbt_models import dbt_models
from orchestration.assets.raw_layer import extract_load
from orchestration.assets.report_deliveries import finance_report_files
from orchestration.business_days import business_day_closed, daily_reports_fallback
from orchestration.checks import raw_layer_completeness, raw_layer_expectations, report_expectations
from orchestration.jobs import daily_reports, refresh_raw_layer
from orchestration.monitoring import (
    alert_on_run_failure,
    freshness,
    freshness_alerts,
    freshness_checks,
    freshness_schedule,
    night_summary,
)
from orchestration.resources import resources_from_environment
from orchestration.run_health import orphaned_runs
from orchestration.sensors import new_outbox_events


def build_definitions(resources: Mapping[str, object]) -> dg.Definitions:
    """The whole code location with the given resources (the tests bring their own databases)."""
    return dg.Definitions(
        assets=[extract_load, dbt_models, finance_report_files],
        asset_checks=[raw_layer_completeness, raw_layer_expectations, report_expectations, freshness],
        jobs=[daily_reports, refresh_raw_layer, freshness_checks],
        schedules=[daily_reports_fallback, freshness_schedule],
        sensors=[
            business_day_closed,
            new_outbox_events,
            orphaned_runs,
            alert_on_run_failure,
            night_summary,
            freshness_alerts,
        ],
        resources=dict(resources),
    )


defs = build_definitions(resources_from_environment())
