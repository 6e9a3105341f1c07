"""What runs together: the whole daily flow per business date, and the extract/load alone."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.raw_layer import extract_load

# Extract/load, raw checks, dbt build (models, seeds, tests), report checks, report files.
daily_reports = dg.define_asset_job(
    "daily_reports",
    selection=dg.AssetSelection.all(),  # partitioned by business date, like its dbt and report assets
    description="Everything for one business date: EL, GX raw checks, dbt build and tests, GX report "
    "checks, then the report files. A failed blocking check stops what depends on it.",
)

# Keeps the raw layer current between daily runs (started by the outbox sensor).
refresh_raw_layer = dg.define_asset_job(
    "refresh_raw_layer",
    selection=dg.AssetSelection.assets(extract_load),
    description="Incremental extract/load into the raw layer, then the GX raw-layer checks.",
)

# At 02:00 UTC, the day that has just ended.
daily_reports_schedule = dg.build_schedule_from_partitioned_job(
    daily_reports,
    hour_of_day=2,
    minute_of_hour=0,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
