"""tap-lana-events: the Lana core's events, outbox and ledger, extracted incrementally."""

from __future__ import annotations

import copy
from typing import Any

import psycopg
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.helpers.capabilities import BATCH_CONFIG

from tap_lana_events.batch_files import FILE_SUFFIXES
from tap_lana_events.snapshot import SourceSnapshot
from tap_lana_events.streams import TableStream
from tap_lana_events.tables import TABLES


def batch_config_schema() -> dict[str, Any]:
    """The SDK's `batch_config` setting, with the file formats this tap writes (batch_files.py):
    the SDK's own lists Singer's only, and would refuse the tap's COPY text format."""
    schema = copy.deepcopy(BATCH_CONFIG["properties"]["batch_config"])
    schema["properties"]["encoding"]["properties"]["format"]["enum"] = list(FILE_SUFFIXES)
    return schema


class TapLanaEvents(Tap):
    name = "tap-lana-events"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "database_url",
            th.StringType,
            required=True,
            secret=True,
            description="libpq URL of the core database, e.g. postgresql://user@host:5432/lana",
        ),
        th.Property(
            "batch_size",
            th.IntegerType,
            default=10_000,
            description="Rows fetched from the server per round trip.",
        ),
    ).to_dict()
    config_jsonschema["properties"]["batch_config"] = batch_config_schema()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._snapshot: SourceSnapshot | None = None
        super().__init__(*args, **kwargs)

    @property
    def snapshot(self) -> SourceSnapshot:
        if self._snapshot is None:
            self._snapshot = SourceSnapshot(self.config["database_url"])
        return self._snapshot

    def discover_streams(self) -> list[TableStream]:
        return [TableStream(self, table, self.snapshot) for table in TABLES]

    def sync_all(self) -> None:
        self._check_source()
        try:
            super().sync_all()
        finally:
            self.snapshot.close()

    def _check_source(self) -> None:
        """Fail early, naming what is missing, when the source is not a migrated core database."""
        try:
            conn = self.snapshot.connection
        except psycopg.OperationalError as exc:
            raise RuntimeError(f"cannot connect to the core database: {exc}") from None
        present = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchall()
        }
        missing = [t.name for t in TABLES if t.name not in present]
        missing += [] if "extraction_marks" in present else ["extraction_marks"]
        if missing:
            raise RuntimeError(
                f"the core database lacks table(s) {', '.join(missing)}: run `lana-core migrate` first"
            )


if __name__ == "__main__":
    TapLanaEvents.cli()
