"""Every dbt model and seed as an asset; dbt's tests become asset checks on them."""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.partitions import business_dates
from orchestration.resources import BusinessDayNotClosed, CoreDatabase, Warehouse
from orchestration.transform.dbt_manifest import DBT_PROJECT, LanaDbtTranslator, keep_parse_state


def build_dbt_models(manifest: Path) -> dg.AssetsDefinition:
    """The dbt assets of `manifest` (built when the definitions load, not when this is imported)."""

    @dbt_assets(
        manifest=manifest,
        project=DBT_PROJECT,
        dagster_dbt_translator=LanaDbtTranslator(),
        partitions_def=business_dates,
        backfill_policy=dg.BackfillPolicy.multi_run(1),  # reports are as of one business date per run
        # No op retries: a failed dbt test would fail again. dbt retries lost connections itself
        # (`retries` in profiles.yml, `job_retries` on BigQuery).
    )
    def dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse, core: CoreDatabase
    ) -> Iterator[Any]:
        """`dbt build` (models, seeds and tests) with every report as of the partition's business date,
        once the core has closed that date (before, the reports would look final but not be)."""
        try:
            core.require_closed(date.fromisoformat(context.partition_key))
        except BusinessDayNotClosed as refused:
            raise dg.Failure(str(refused)) from None
        command = ["build", "--target", warehouse.dbt_target]
        warehouse.install_pseudonymisation_key()
        # The date by environment (read by the `lana.date_var` macro), not --vars: a change of
        # --vars makes dbt re-parse the whole project, a changed variable only what reads it.
        with warehouse.dbt_environment_applied(DBT_LANA_AS_OF_DATE=context.partition_key):
            invocation = dbt.cli(command, context=context)
            yield from invocation.stream()
        keep_parse_state(invocation.target_path)

    return dbt_models
