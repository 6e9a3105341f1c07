"""The Dagster code location: `dagster dev` (docs/operators.md) loads `defs` from here.

Importing this module does nothing: Dagster calls `defs` when it loads the code location, and only
then is the dbt project parsed (if it has no manifest yet) and the delivered reports read from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from orchestration.delivery import definitions as delivery
from orchestration.delivery.catalog import delivered_reports
from orchestration.ingest import definitions as ingest
from orchestration.jobs import daily_reports, refresh_raw_layer
from orchestration.monitoring import definitions as monitoring
from orchestration.quality import definitions as quality
from orchestration.resources import resources_from_environment
from orchestration.transform import definitions as transform
from orchestration.transform.dbt_manifest import DBT_PROJECT, prepare_manifest


def build_definitions(resources: Mapping[str, object], manifest: Path | None = None) -> dg.Definitions:
    """The whole code location with the given resources (the tests bring their own databases):
    each area's definitions, the jobs that cross them, and the resources they share."""
    manifest = manifest or prepare_manifest()
    reports = delivered_reports(manifest)
    return dg.Definitions.merge(
        ingest.definitions(),
        transform.definitions(manifest),
        quality.definitions(reports),
        delivery.definitions(reports),
        monitoring.definitions(),
        dg.Definitions(jobs=[daily_reports, refresh_raw_layer], resources=dict(resources)),
    )


@dg.definitions
def defs() -> dg.Definitions:
    DBT_PROJECT.prepare_if_dev()  # `dagster dev` re-parses the dbt project on every load
    return build_definitions(resources_from_environment())
