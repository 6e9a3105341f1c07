"""The daily reports follow the core's books, not the wall clock.

A business day's reports are built when the core has closed that day (its end-of-day batch writes
a `business_day.closed` event): the sensor below starts the run. The 02:00 UTC schedule stays as a
fallback for a missed sensor tick: it skips, saying why, a day the core has not closed or that
already has a run.
"""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
from datetime import date, timedelta

import dagster as dg

from orchestration.jobs import daily_reports, undelivered
from orchestration.partitions import business_dates
from orchestration.resources import CoreDatabase

# A sensor that starts after a long pause requests at most this many past days at once; older ones
# are a backfill (docs/operators.md, operating guide).
MAX_DAYS_PER_TICK = 7


def _run_request(day: date, source: str) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=f"business-day-{day.isoformat()}",
        partition_key=day.isoformat(),
        tags={"lana/started_by": source},
    )


@dg.sensor(
    job=daily_reports,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts a business date's daily_reports run once the core has closed that day.",
)
def business_day_closed(context: dg.SensorEvaluationContext, core: CoreDatabase) -> dg.SensorResult:
    last = core.last_closed_day()
    if last is None:
        return dg.SensorResult(skip_reason="the core has not closed any business day yet")
    seen = date.fromisoformat(context.cursor) if context.cursor else None
    if seen is not None and last <= seen:
        return dg.SensorResult(skip_reason=f"no newly closed business day (last closed: {last.isoformat()})")
    first = max(seen + timedelta(days=1) if seen else last, last - timedelta(days=MAX_DAYS_PER_TICK - 1))
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    # A day already delivered (by `lana-flow run`, say, before the UI was first opened) is done.
    days = [day for day in days if undelivered(context.instance, day)]
    if not days:
        return dg.SensorResult(
            skip_reason=f"business day {last.isoformat()} is already delivered", cursor=last.isoformat()
        )
    return dg.SensorResult(
        run_requests=[_run_request(day, "business_day_closed") for day in days],
        cursor=last.isoformat(),
    )


@dg.schedule(
    job=daily_reports,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Fallback at 02:00 UTC for the day just ended: runs it only if the core has closed it "
    "and no run exists for it yet.",
)
def daily_reports_fallback(context: dg.ScheduleEvaluationContext, core: CoreDatabase):
    scheduled = context.scheduled_execution_time
    day = (scheduled.date() if scheduled else date.today()) - timedelta(days=1)
    last = core.last_closed_day()
    if last is None or day > last:
        closed = last.isoformat() if last else "none"
        return dg.SkipReason(
            f"the core has not closed business day {day.isoformat()} (last closed: {closed})"
        )
    if day.isoformat() not in business_dates.get_partition_keys():
        return dg.SkipReason(f"{day.isoformat()} is before the first business date")
    existing = context.instance.get_runs(
        filters=dg.RunsFilter(job_name=daily_reports.name, tags={"dagster/partition": day.isoformat()}),
        limit=1,
    )
    if existing:
        return dg.SkipReason(f"business day {day.isoformat()} already has run {existing[0].run_id}")
    return _run_request(day, "daily_reports_fallback")
