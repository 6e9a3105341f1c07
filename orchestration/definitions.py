"""The Dagster code location: `dagster dev` (docs/operators.md) loads `defs` from here.

Importing this module does nothing: Dagster calls `defs` when it loads the code location, and only
then is the dbt project parsed (if it has no manifest yet) and the delivered reports read from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from orchestration.assets.dbt_models import build_dbt_models
from orchestration.assets.raw_layer import extract_load
from orchestration.assets.report_deliveries import build_finance_report_files
from orchestration.business_days import business_day_closed, daily_reports_fallback
from orchestration.checks import build_report_expectations, raw_layer_checks
from orchestration.dbt_project import DBT_PROJECT, prepare_manifest
from orchestration.jobs import daily_reports, refresh_raw_layer
from orchestration.monitoring import (
    alert_on_run_failure,
    freshness,
    freshness_alerts,
    freshness_checks,
    freshness_schedule,
    night_summary,
)
from orchestration.report_catalog import delivered_reports
from orchestration.resources import resources_from_environment
from orchestration.run_health import orphaned_runs
from orchestration.sensors import new_outbox_events


def build_definitions(resources: Mapping[str, object], manifest: Path | None = None) -> dg.Definitions:
    """The whole code location with the given resources (the tests bring their own databases)."""
    manifest = manifest or prepare_manifest()
    reports = delivered_reports(manifest)
    return dg.Definitions(
        assets=[extract_load, build_dbt_models(manifest), build_finance_report_files(reports)],
        asset_checks=[
            raw_layer_checks,
            build_report_expectations(reports),
            freshness,
        ],
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


@dg.definitions
def defs() -> dg.Definitions:
    DBT_PROJECT.prepare_if_dev()  # `dagster dev` re-parses the dbt project on every load
    return build_definitions(resources_from_environment())
