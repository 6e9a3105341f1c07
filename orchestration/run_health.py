"""Runs whose process died are marked failed, so that the queue moves on.

`lana-flow run` executes a job in its own process. If that process dies (killed, the machine
restarted, its database stopped under it), the run stays STARTED in the instance for ever, and
the queued-run coordinator, which allows one run at a time, never starts the next. Each such run
is tagged with its host and process id; `fail_orphaned_runs` marks every STARTED run of this host
whose process is gone as failed. `lana-flow run` calls it first, and the `orphaned_runs` sensor
every minute. Runs launched by the daemon are watched by Dagster's own run monitoring
(`run_monitoring` in dagster.yaml).
"""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import os
import socket

import dagster as dg

HOST_TAG, PID_TAG = "lana/host", "lana/pid"


def worker_tags() -> dict[str, str]:
    """Tags naming the process that executes a run in-process."""
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def fail_orphaned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark as failed every started run of this host whose process is gone; their ids."""
    failed = []
    started = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    for run in started:
        host, pid = run.tags.get(HOST_TAG), run.tags.get(PID_TAG)
        if host != socket.gethostname() or not pid or _alive(int(pid)):
            continue
        instance.report_run_failed(
            run,
            message=f"the process that ran it (pid {pid} on {host}) is gone: marked failed so that "
            "queued runs can start",
        )
        failed.append(run.run_id)
    return failed


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks as failed the in-process runs whose process died, so that queued runs start.",
)
def orphaned_runs(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    failed = fail_orphaned_runs(context.instance)
    return dg.SkipReason(f"marked failed: {', '.join(failed)}" if failed else "no orphaned runs")
