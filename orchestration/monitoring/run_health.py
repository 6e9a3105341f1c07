"""Runs whose process died are marked failed, so that the queue moves on.

`lana-flow run` executes a job in its own process. If that process dies (killed, the machine
restarted, its database stopped under it), the run stays STARTED in the instance for ever, and
the queued-run coordinator, which allows one run at a time, never starts the next. Each such run
is tagged with its host and process id; `fail_orphaned_runs` marks every STARTED run of this host
whose process is gone as failed. `lana-flow run` calls it first, and the `orphaned_runs` sensor
every minute. Runs launched by the daemon are watched by Dagster's own run monitoring
(`run_monitoring` in dagster.yaml).

A killed process's children (Meltano and its plugins, dbt) outlive it and would go on writing
beside the next run: each run's process also carries a token of its own in its environment,
which every child inherits, and the processes still carrying an orphaned run's token are ended
with it.
"""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import contextlib
import os
import signal
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

HOST_TAG, PID_TAG, WORKER_TAG = "lana/host", "lana/pid", "lana/worker"
WORKER_ENV = "LANA_FLOW_WORKER"  # the token, in the environment of the run's process and its children


def become_worker() -> dict[str, str]:
    """For a process about to execute a run in-process: from now on its children carry a token of
    its own (never one inherited from whoever started it); the tags that name it for the run."""
    os.environ[WORKER_ENV] = uuid.uuid4().hex
    return worker_tags(os.environ[WORKER_ENV])


def worker_tags(token: str) -> dict[str, str]:
    """Tags naming this process, executing a run whose children carry `token`."""
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid()), WORKER_TAG: token}


def end_leftover_processes(token: str, grace_seconds: float = 5.0) -> list[int]:
    """End the processes of this host whose environment carries `token` (SIGTERM, then SIGKILL
    after `grace_seconds`); their pids. Linux only (reads /proc); elsewhere nothing is found."""
    found = [pid for pid in _pids_with(f"{WORKER_ENV}={token}".encode()) if pid != os.getpid()]
    for pid in found:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and any(_alive(pid) for pid in found):
        time.sleep(0.1)
    for pid in found:
        _signal(pid, signal.SIGKILL)
    return found


def _pids_with(variable: bytes) -> list[int]:
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if variable in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except (OSError, ValueError):  # gone meanwhile, or another user's
            continue
    return pids


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # gone, or not ours
        os.kill(pid, number)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    try:  # a child of ours that ended, not yet reaped, is not alive
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return True


@dataclass(frozen=True)
class OrphanedRun:
    run_id: str
    ended: list[int]  # the processes it had started and left running, ended now

    def __str__(self) -> str:
        left = f" (ended the {len(self.ended)} process(es) it left running)" if self.ended else ""
        return f"{self.run_id}{left}"


def fail_orphaned_runs(instance: dg.DagsterInstance) -> list[OrphanedRun]:
    """Mark as failed every started run of this host whose process is gone, ending what it left
    running."""
    failed = []
    started = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    for run in started:
        host, pid = run.tags.get(HOST_TAG), run.tags.get(PID_TAG)
        if host != socket.gethostname() or not pid or _alive(int(pid)):
            continue
        token = run.tags.get(WORKER_TAG)
        ended = end_leftover_processes(token) if token else []
        left = f"; ended the {len(ended)} process(es) it had started (pids {ended})" if ended else ""
        instance.report_run_failed(
            run,
            message=f"the process that ran it (pid {pid} on {host}) is gone: marked failed so that "
            f"queued runs can start{left}",
        )
        failed.append(OrphanedRun(run.run_id, ended))
    return failed


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks as failed the in-process runs whose process died, so that queued runs start.",
)
def orphaned_runs(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    failed = fail_orphaned_runs(context.instance)
    return dg.SkipReason(f"marked failed: {', '.join(map(str, failed))}" if failed else "no orphaned runs")
