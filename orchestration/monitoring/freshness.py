"""Whether data engineers must be told something is late: the last closed business day's reports
not delivered by the deadline, the raw layer behind the core's outbox. Checks on a schedule of
their own, and a sensor that alerts once per lateness.
"""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import dagster as dg

from orchestration.ingest.assets import RAW_KEYS
from orchestration.jobs import DELIVERED, FRESHNESS_CHECKS, undelivered
from orchestration.monitoring.alerts import Message, deliver
from orchestration.resources import CoreDatabase, Warehouse

DEADLINE_ENV = "LANA_REPORT_DEADLINE"  # HH:MM UTC on the day after the business day (default 03:00)
RAW_MAX_LAG_ENV = "LANA_RAW_MAX_LAG_MINUTES"  # default 60


def report_deadline(day: date) -> datetime:
    hours, minutes = (int(part) for part in os.environ.get(DEADLINE_ENV, "03:00").split(":"))
    return datetime.combine(day + timedelta(days=1), time(hours, minutes), tzinfo=UTC)


def late_deliveries(
    instance: dg.DagsterInstance, last_closed: date | None, now: datetime
) -> list[dg.AssetKey]:
    """The report assets not delivered for the last closed day although its deadline has passed."""
    if last_closed is None or now < report_deadline(last_closed):
        return []
    return undelivered(instance, last_closed)


@dataclass(frozen=True)
class RawLag:
    events: int
    seconds: float

    @property
    def late(self) -> bool:
        return self.seconds > 60 * raw_max_lag_minutes()


def raw_max_lag_minutes() -> float:
    return float(os.environ.get(RAW_MAX_LAG_ENV, "60"))


def raw_lag(core: CoreDatabase, warehouse: Warehouse) -> RawLag:
    """How far the raw layer's outbox is behind the core's: rows, and the newest rows' time gap."""
    core_rows, core_newest = core.outbox_position()
    raw_rows, raw_newest = warehouse.fetch_row(
        f"SELECT count(*), max(recorded_at) FROM {warehouse.raw_relation('outbox_events')}"
    )
    behind = max(core_rows - int(raw_rows), 0)
    if not behind or core_newest is None:
        return RawLag(0, 0.0)
    # An empty raw layer is as far behind as the core's newest event is old.
    reference = raw_newest if raw_newest is not None else datetime.now(UTC)
    return RawLag(behind, abs((core_newest - reference).total_seconds()))


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec(key.name, asset=key.asset_key) for key in FRESHNESS_CHECKS],
    can_subset=True,  # a run of one asset (the UI) evaluates that asset's check alone
    description="Reports delivered for the core's last closed business day by the deadline; the raw "
    "layer's lag behind the core's outbox.",
)
def freshness(
    context: dg.AssetCheckExecutionContext, core: CoreDatabase, warehouse: Warehouse
) -> Iterator[dg.AssetCheckResult]:
    selected = context.selected_asset_check_keys
    last = core.last_closed_day()
    now = datetime.now(UTC)
    late = set(late_deliveries(context.instance, last, now))
    for key in (k for k in DELIVERED if dg.AssetCheckKey(k, "delivered_on_time") in selected):
        passed = key not in late
        hours_late = (now - report_deadline(last)).total_seconds() / 3600 if last and not passed else 0.0
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name="delivered_on_time",
            passed=passed,
            description=(
                f"business day {last} not delivered by {report_deadline(last):%Y-%m-%d %H:%M} UTC"
                if not passed and last
                else f"last closed business day: {last}"
            ),
            metadata={"last_closed_day": str(last), "hours_late": round(hours_late, 2)},
        )
    if dg.AssetCheckKey(RAW_KEYS["outbox_events"], "keeps_up_with_core") not in selected:
        return
    lag = raw_lag(core, warehouse)
    yield dg.AssetCheckResult(
        asset_key=RAW_KEYS["outbox_events"],
        check_name="keeps_up_with_core",
        passed=not lag.late,
        description=f"{lag.events:,} outbox events behind the core, newest {lag.seconds:,.0f} s apart",
        metadata={"lag_events": lag.events, "lag_seconds": lag.seconds},
    )


freshness_checks = dg.define_asset_job(
    "freshness_checks",
    selection=dg.AssetSelection.checks(*FRESHNESS_CHECKS),
    description="Evaluates the freshness checks (the UI shows them on the report and raw assets).",
)
freshness_schedule = dg.ScheduleDefinition(
    job=freshness_checks,
    cron_schedule="*/15 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


@dg.sensor(
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts once when the last closed day's reports are late, and once when the raw layer "
    "falls behind the core.",
)
def freshness_alerts(
    context: dg.SensorEvaluationContext, core: CoreDatabase, warehouse: Warehouse
) -> dg.SkipReason:
    state = json.loads(context.cursor) if context.cursor else {}
    sent = []
    last = core.last_closed_day()
    if last is not None and state.get("late_day") != str(last):
        missing = late_deliveries(context.instance, last, datetime.now(UTC))
        if missing:
            deliver(late_reports_message(last, missing))
            state["late_day"] = str(last)
            sent.append(f"reports of {last} late")
    lag = raw_lag(core, warehouse)
    if lag.late and not state.get("raw_late"):
        deliver(raw_lag_message(lag))
        sent.append("raw layer behind")
    state["raw_late"] = lag.late
    context.update_cursor(json.dumps(state))
    return dg.SkipReason("alerted: " + ", ".join(sent) if sent else "everything on time")


def late_reports_message(day: date, missing: list[dg.AssetKey]) -> Message:
    names = [key.to_user_string() for key in missing]
    return Message(
        kind="report_late",
        subject=f"[lana] reports for business day {day} not delivered by "
        f"{report_deadline(day):%Y-%m-%d %H:%M} UTC ({len(names)} missing)",
        lines=(
            f"The core closed business day {day}, but these were not materialized for it by the deadline:",
            *(f"  {name}" for name in names),
            "Start the day's run: lana-flow run --date "
            + day.isoformat()
            + " (or the UI's daily_reports job).",
        ),
        fields={"business_date": str(day), "missing": names},
    )


def raw_lag_message(lag: RawLag) -> Message:
    return Message(
        kind="raw_layer_late",
        subject=f"[lana] raw layer {lag.events:,} outbox events behind the core",
        lines=(
            f"The raw layer is {lag.events:,} outbox events behind the core; the newest differ by "
            f"{lag.seconds:,.0f} s (limit: {raw_max_lag_minutes():g} min).",
            "Check the refresh_raw_layer runs (sensor new_outbox_events) in the UI.",
        ),
        fields={"lag_events": lag.events, "lag_seconds": lag.seconds},
    )
