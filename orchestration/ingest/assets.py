"""The warehouse's raw layer, one asset per core table, filled by the Meltano extract/load."""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import time
from collections.abc import Iterator

import dagster as dg
from tap_lana_events.tables import TABLES

from orchestration.ingest.extract_load import ExtractLoad
from orchestration.resources import CoreDatabase, MeltanoState, Warehouse
from orchestration.retries import TRANSIENT

RAW_GROUP = "raw"
RAW_KEYS = {table.name: dg.AssetKey(["raw", table.name]) for table in TABLES}  # = dbt's source keys


def extract_load_of(core: CoreDatabase, warehouse: Warehouse, meltano_state: MeltanoState) -> ExtractLoad:
    """The Meltano extract/load between these resources."""
    warehouse.check()
    return ExtractLoad(
        core.url,
        warehouse.url or None,
        warehouse_kind=warehouse.kind,
        raw_schema=warehouse.raw_schema,
        state_suffix=meltano_state.suffix or None,
        loader_url=warehouse.loader_url or None,
    )


@dg.multi_asset(
    name="extract_load",
    specs=[
        dg.AssetSpec(
            key,
            group_name=RAW_GROUP,
            kinds={"meltano", "postgres"},
            description=f"The core's `{name}` table as loaded by Meltano (tap-lana-events), append-only.",
        )
        for name, key in RAW_KEYS.items()
    ],
    retry_policy=TRANSIENT,
    description="Incremental, gap-safe extract/load of the core's events, outbox and ledger (meltano run).",
)
def extract_load(
    context: dg.AssetExecutionContext, core: CoreDatabase, warehouse: Warehouse, meltano_state: MeltanoState
) -> Iterator[dg.MaterializeResult]:
    started = time.monotonic()
    extract_load_run = extract_load_of(core, warehouse, meltano_state)
    # Nothing committed at or above the bookmarks: a run would load nothing. Decided by index
    # look-ups before Meltano and the loader start.
    if extract_load_run.nothing_new():
        seconds = round(time.monotonic() - started, 2)
        context.log.info(f"extract/load skipped: nothing new in the core (decided in {seconds} s)")
        # Still materialized, so the raw layer's checks run: the warehouse may have changed on
        # its own (a row lost or altered there) even when the core has nothing new.
        for key in RAW_KEYS.values():
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={"records_loaded": 0, "skipped": True, "extract_load_seconds": seconds},
            )
        return
    result = extract_load_run.run(
        # A killed run leaves Meltano's job marked running, and Meltano refuses the next run with
        # the same state for minutes. Dagster runs one extract/load at a time (the run queue holds
        # one run), so such a mark is always stale here: take it over. The gap-safe bookmarks and
        # the loader's upsert make the overlap with the killed run harmless.
        "--force"
    )
    seconds = round(time.monotonic() - started, 1)
    for warning in result.warnings:
        context.log.warning(warning)
    context.log.info(f"extract/load: {result.total:,} records in {len(result.records_per_stream)} streams")
    for name, key in RAW_KEYS.items():
        metadata: dict[str, object] = {
            "records_loaded": result.records_per_stream.get(name, 0),
            "extract_load_seconds": seconds,  # the whole run's, plotted per table in the UI
        }
        if name in result.loaded_per_stream:
            metadata["records_acknowledged_by_loader"] = result.loaded_per_stream[name]
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)
