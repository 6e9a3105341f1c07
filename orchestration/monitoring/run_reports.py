"""What data engineers are told of a run: its failure, or the night's summary.

The same outcome of a run (read back from the Dagster instance) feeds the failure alert and the
summary, whether the run was started by the daemon (the sensors below) or by `lana-flow run`
(which sends them itself and tags the run so that the sensors do not send them twice). Late
reports and a lagging raw layer: freshness.py.
"""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import json
from dataclasses import dataclass, field

import dagster as dg

from orchestration.delivery.assets import FINANCE_REPORT_FILES
from orchestration.jobs import daily_reports, refresh_raw_layer
from orchestration.monitoring.alerts import Message, deliver, first_line, run_link

SENT_TAG = "lana/alerts_sent_by"  # set by lana-flow, which delivers its run's messages itself
SUMMARY_TAG = "lana/summary"


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
