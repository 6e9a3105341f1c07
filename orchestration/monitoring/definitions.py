"""The monitoring area's Dagster definitions."""

import dagster as dg

from orchestration.monitoring.freshness import (
    freshness,
    freshness_alerts,
    freshness_checks,
    freshness_schedule,
)
from orchestration.monitoring.run_health import orphaned_runs
from orchestration.monitoring.run_reports import alert_on_run_failure, night_summary


def definitions() -> dg.Definitions:
    return dg.Definitions(
        asset_checks=[freshness],
        jobs=[freshness_checks],
        schedules=[freshness_schedule],
        sensors=[orphaned_runs, alert_on_run_failure, night_summary, freshness_alerts],
    )
