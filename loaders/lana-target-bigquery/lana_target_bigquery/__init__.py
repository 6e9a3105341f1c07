"""`target-bigquery` (z3z1ma, 0.7.2) without its fixed waits, for the `batch_job` load method.

After creating a table the target sleeps 5 s, and 2.5 s more after each temporary table it merges
from, "for eventual consistency" of the Storage Write API's default stream. We load with load
jobs (`method: batch_job`), which name their destination through the jobs API and see a table as
soon as `tables.insert` has returned, so the waits only cost time: about 7.5 s per stream and run
(18 streams: over two minutes of every extract/load). Everything else is the target as published.
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


def main() -> None:
    LanaTargetBigQuery.cli()
