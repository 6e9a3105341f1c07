"""The ingest area's Dagster definitions."""

import dagster as dg

from orchestration.ingest.assets import extract_load
from orchestration.ingest.sensors import new_outbox_events


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[extract_load], sensors=[new_outbox_events])
