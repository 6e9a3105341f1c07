"""`target-bigquery` (z3z1ma, 0.7.2) as our extract/load needs it: no state for unloaded rows, no
fixed waits. Everything else is the target as published.

- **A failed load job fails the run.** In the published target a load job that fails at the end
  of the input (every job, in a small run) is lost without a word: the worker puts it back on
  the queue behind the stop sentinel, stops, and the target emits the state that covers its rows
  and exits 0, so Meltano saves a bookmark past rows that never reached BigQuery. Its workers'
  errors are also read only while records are still arriving. Here no state message is written
  until every load job enqueued has reported success: otherwise the target fails, and the next
  run starts again from the last bookmark.
- **No fixed waits.** After creating a table the target sleeps 5 s, and 2.5 s more after each
  temporary table it merges from, "for eventual consistency" of the Storage Write API's default
  stream. We load with load jobs (`method: batch_job`), which see a table as soon as
  `tables.insert` has returned, so the waits only cost time: about 7.5 s per stream and run
  (18 streams: over two minutes of every extract/load).
"""

from __future__ import annotations

import time
from typing import Any

from target_bigquery import core
from target_bigquery.target import TargetBigQuery

WAITING_METHODS = ("storage_write_api", "gcs_stage", "streaming_insert")


class _TimeWithoutWaits:
    """The `time` module as `target_bigquery.core` sees it, but `sleep` returns at once."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        return None


class LanaTargetBigQuery(TargetBigQuery):
    name = "target-bigquery"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        method = self.config.get("method", "storage_write_api")
        if method in WAITING_METHODS:
            raise ValueError(
                f"lana-target-bigquery skips the waits that method {method!r} needs: use batch_job"
            )
        core.time = _TimeWithoutWaits()  # type: ignore[assignment]

    def _write_state_message(self, state: dict) -> None:
        while self.job_notification.poll():  # one per load job that succeeded
            self.job_notification.recv()
            self._jobs_enqueued -= 1
        while self.log_notification.poll():  # the workers' reports, failed attempts included
            self.logger.info(self.log_notification.recv())
        if self.error_notification.poll():
            _, message = self.error_notification.recv()
            raise RuntimeError(f"a BigQuery load job failed; no state written for its rows:\n{message}")
        if self._jobs_enqueued > 0:
            raise RuntimeError(
                f"a BigQuery load job failed; no state written for its rows: {self._jobs_enqueued} "
                "load job(s) did not report success"
            )
        super()._write_state_message(state)


def main() -> None:
    LanaTargetBigQuery.cli()
