"""What runs together: the whole daily flow per business date, and the extract/load alone."""

from __future__ import annotations

from datetime import date

import dagster as dg

from orchestration.delivery.assets import FINANCE_REPORT_FILES
from orchestration.ingest.assets import RAW_KEYS, extract_load

# What finance teams receive per business date (its files depend on every delivered report), and
# the freshness checks on it and on the raw layer (orchestration/monitoring.py): those run on their
# own schedule, not in the daily run.
DELIVERED = (FINANCE_REPORT_FILES,)
FRESHNESS_CHECKS = (
    *(dg.AssetCheckKey(key, "delivered_on_time") for key in DELIVERED),
    dg.AssetCheckKey(RAW_KEYS["outbox_events"], "keeps_up_with_core"),
)

# Extract/load, raw checks, dbt build (models, seeds, tests), report checks, report files.
daily_reports = dg.define_asset_job(
    "daily_reports",
    # Partitioned by business date, like its dbt and report assets.
    selection=dg.AssetSelection.all() - dg.AssetSelection.checks(*FRESHNESS_CHECKS),
    description="Everything for one business date: EL, GX raw checks, dbt build and tests, GX report "
    "checks, then the report files. A failed blocking check stops what depends on it.",
)

# Keeps the raw layer current between daily runs (started by the outbox sensor).
refresh_raw_layer = dg.define_asset_job(
    "refresh_raw_layer",
    selection=dg.AssetSelection.assets(extract_load) - dg.AssetSelection.checks(*FRESHNESS_CHECKS),
    description="Incremental extract/load into the raw layer, then the GX raw-layer checks.",
)


def undelivered(instance: dg.DagsterInstance, day: date) -> list[dg.AssetKey]:
    """What finance teams receive that has no materialization for business date `day` (by any run:
    the daemon's or `lana-flow run`'s, which share the instance)."""
    missing = []
    for key in DELIVERED:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day.isoformat()]), limit=1
        ).records
        if not records:
            missing.append(key)
    return missing
