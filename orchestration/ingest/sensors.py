"""Start the extract/load when the core has committed new outbox events."""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import dagster as dg

from orchestration.jobs import refresh_raw_layer
from orchestration.resources import CoreDatabase


@dg.sensor(
    job=refresh_raw_layer,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the extract/load when the core's outbox has grown since the last run it started.",
)
def new_outbox_events(context: dg.SensorEvaluationContext, core: CoreDatabase) -> dg.SensorResult:
    # The outbox is append-only, so its row count grows with every committed event, including events
    # of transactions that commit late with lower positions (a max(position) cursor would miss those).
    seen = int(context.cursor or 0)
    count = core.outbox_count()
    if count <= seen:
        return dg.SensorResult(skip_reason=f"no new outbox events ({count:,} in all)")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"outbox-{count}", tags={"lana/outbox_events": str(count)})],
        cursor=str(count),
    )
