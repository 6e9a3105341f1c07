"""What data engineers are told: a failed run, a late report or raw layer, the night's summary.

The same outcome of a run (read back from the Dagster instance) feeds the failure alert and the
summary, whether the run was started by the daemon (the sensors below) or by `lana-flow run`
(which sends them itself and tags the run so that the sensors do not send them twice).
"""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import dagster as dg

from orchestration.alerts import Message, deliver, first_line, run_link
from orchestration.assets.raw_layer import RAW_KEYS
from orchestration.assets.report_deliveries import FINANCE_REPORT_FILES
from orchestration.jobs import DELIVERED, FRESHNESS_CHECKS, daily_reports, refresh_raw_layer
from orchestration.resources import CoreDatabase, Warehouse

SENT_TAG = "lana/alerts_sent_by"  # set by lana-flow, which delivers its run's messages itself
SUMMARY_TAG = "lana/summary"
DEADLINE_ENV = "LANA_REPORT_DEADLINE"  # HH:MM UTC on the day after the business day (default 03:00)
RAW_MAX_LAG_ENV = "LANA_RAW_MAX_LAG_MINUTES"  # default 60


# -- what a run did ----------------------------------------------------------------------------


@dataclass
class RunOutcome:
    run_id: str
    job_name: str
    partition: str | None
    success: bool
    failed_steps: list[tuple[str, str]] = field(default_factory=list)  # step, first error line
    checks_passed: int = 0
    failed_checks: list[tuple[str, str]] = field(default_factory=list)  # asset check, description
    records_loaded: dict[str, int] = field(default_factory=dict)
    report_rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    seconds_per_step: dict[str, float] = field(default_factory=dict)


def run_outcome(instance: dg.DagsterInstance, run_id: str) -> RunOutcome:
    run = instance.get_run_by_id(run_id)
    assert run is not None, run_id
    outcome = RunOutcome(
        run_id=run_id,
        job_name=run.job_name,
        partition=run.tags.get("dagster/partition"),
        success=run.status == dg.DagsterRunStatus.SUCCESS,
    )
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.is_step_failure:
            outcome.failed_steps.append(
                (event.step_key or "?", first_line(event.step_failure_data.error.message))
            )
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            check = event.event_specific_data
            if check.passed:
                outcome.checks_passed += 1
            else:
                name = f"{check.asset_key.to_user_string()} {check.check_name}"
                outcome.failed_checks.append((name, first_line(check.description or "")))
        elif event.is_step_materialization:
            _collect(outcome, event.asset_key, event.step_materialization_data.materialization.metadata)
    for stats in instance.get_run_step_stats(run_id):
        if stats.start_time and stats.end_time:
            outcome.seconds_per_step[stats.step_key] = round(stats.end_time - stats.start_time, 1)
    return outcome


def _collect(outcome: RunOutcome, key: dg.AssetKey, metadata: dict) -> None:
    def number(name: str) -> int | None:
        value = metadata.get(name)
        return int(value.value) if value is not None else None

    loaded = number("records_loaded")
    if key.path[0] == "raw" and loaded is not None:
        outcome.records_loaded[key.path[-1]] = loaded
    if key == FINANCE_REPORT_FILES:
        outcome.files = number("files") or 0
        outcome.report_rows = {
            name.removeprefix("rows_"): int(value.value)
            for name, value in metadata.items()
            if name.startswith("rows_")
        }


# -- the messages ------------------------------------------------------------------------------


def failure_message(outcome: RunOutcome) -> Message:
    day = outcome.partition or "no date"
    what = [f"check {name}: {why}" for name, why in outcome.failed_checks] + [
        f"step {step}: {error}" for step, error in outcome.failed_steps
    ]
    lines = (
        f"Run of {outcome.job_name} for business date {day} FAILED.",
        *(what[:10] or ["(no failed step or check recorded: the run's process may have died)"]),
        f"Run: {run_link(outcome.run_id)}",
    )
    subject = f"[lana] {outcome.job_name} {day} failed: " + (what[0] if what else "run failed")
    return Message(
        kind="run_failed",
        subject=first_line(subject, 200),
        lines=lines,
        fields={
            "job": outcome.job_name,
            "business_date": outcome.partition,
            "run_id": outcome.run_id,
            "failed": what,
        },
    )


def summary_message(outcome: RunOutcome) -> Message:
    day = outcome.partition or "no date"
    failed = len(outcome.failed_checks)
    lines = [
        f"{outcome.job_name} for business date {day}: {'succeeded' if outcome.success else 'FAILED'}.",
        f"Checks: {outcome.checks_passed} passed, {failed} failed.",
        f"Records loaded: {sum(outcome.records_loaded.values()):,} "
        + "("
        + ", ".join(f"{s} {n:,}" for s, n in sorted(outcome.records_loaded.items()) if n)
        + ")",
        f"Report files: {outcome.files}; rows per report: "
        + ", ".join(f"{r} {n:,}" for r, n in sorted(outcome.report_rows.items())),
        "Seconds per step: " + ", ".join(f"{s} {t:g}" for s, t in outcome.seconds_per_step.items()),
        f"Run: {run_link(outcome.run_id)}",
    ]
    return Message(
        kind="night_summary",
        subject=f"[lana] {outcome.job_name} {day}: {outcome.checks_passed} checks passed, {failed} failed",
        lines=tuple(lines),
        fields={
            "business_date": outcome.partition,
            "run_id": outcome.run_id,
            "checks_passed": outcome.checks_passed,
            "checks_failed": failed,
            "records_loaded": outcome.records_loaded,
            "report_rows": outcome.report_rows,
            "seconds_per_step": outcome.seconds_per_step,
        },
    )


def report_run(instance: dg.DagsterInstance, run_id: str) -> Message:
    """The run's message (its summary, or the failure alert), delivered and stored with the run."""
    outcome = run_outcome(instance, run_id)
    message = summary_message(outcome) if outcome.success else failure_message(outcome)
    if outcome.success:
        instance.add_run_tags(run_id, {SUMMARY_TAG: json.dumps(message.fields, default=str)})
    deliver(message)
    return message


# -- sensors on runs ---------------------------------------------------------------------------


@dg.run_failure_sensor(
    monitored_jobs=[daily_reports, refresh_raw_layer],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Alerts (email, webhook) when a run fails: a blocking check, a step, a lost process.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    if not context.dagster_run.tags.get(SENT_TAG):
        report_run(context.instance, context.dagster_run.run_id)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[daily_reports],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends and stores (run tag lana/summary) the night's summary of each daily run.",
)
def night_summary(context: dg.RunStatusSensorContext) -> None:
    if not context.dagster_run.tags.get(SENT_TAG):
        report_run(context.instance, context.dagster_run.run_id)


# -- freshness ---------------------------------------------------------------------------------


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


def undelivered(instance: dg.DagsterInstance, day: date) -> list[dg.AssetKey]:
    """The report assets with no materialization for business date `day`."""
    missing = []
    for key in DELIVERED:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day.isoformat()]), limit=1
        ).records
        if not records:
            missing.append(key)
    return missing


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
