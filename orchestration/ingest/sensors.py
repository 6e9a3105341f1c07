"""Start the extract/load when the core has committed new outbox events."""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import dagster as dg

from orchestration.ingest.assets import extract_load_of
from orchestration.jobs import refresh_raw_layer
from orchestration.resources import CoreDatabase, MeltanoState, Warehouse


@dg.sensor(
    job=refresh_raw_layer,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the extract/load when the core's outbox has grown since the last run it started "
    "and the raw layer does not hold it yet.",
)
def new_outbox_events(
    context: dg.SensorEvaluationContext, core: CoreDatabase, warehouse: Warehouse, meltano_state: MeltanoState
) -> dg.SensorResult:
    # The outbox is append-only, so its row count grows with every committed event, including events
    # of transactions that commit late with lower positions (a max(position) cursor would miss those).
    seen = int(context.cursor or 0)
    count = core.outbox_count()
    if count <= seen:
        return dg.SensorResult(skip_reason=f"no new outbox events ({count:,} in all)")
    # Grown since this sensor last looked, but perhaps loaded already (by `lana-flow run` or
    # `el.sh`, before the UI was first opened): a run that would load nothing is not started.
    if extract_load_of(core, warehouse, meltano_state).nothing_new():
        return dg.SensorResult(
            skip_reason=f"the raw layer already holds every outbox event ({count:,})", cursor=str(count)
        )
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"outbox-{count}", tags={"lana/outbox_events": str(count)})],
        cursor=str(count),
    )
