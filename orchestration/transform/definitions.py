"""The transform area's Dagster definitions."""

from pathlib import Path

import dagster as dg

from orchestration.transform.assets import build_dbt_models
from orchestration.transform.business_day_triggers import business_day_closed, daily_reports_fallback


def definitions(manifest: Path) -> dg.Definitions:
    return dg.Definitions(
        assets=[build_dbt_models(manifest)],
        schedules=[daily_reports_fallback],
        sensors=[business_day_closed],
    )
