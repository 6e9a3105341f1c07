"""The files finance teams receive for each business date (XLSX, CSV, HTML summary, manifest)."""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import time
import warnings
from datetime import date

import dagster as dg

from orchestration.assets.raw_layer import TRANSIENT
from orchestration.partitions import business_dates
from orchestration.report_catalog import ReportSpec
from orchestration.report_files import StaleReportError, write_report_files
from orchestration.resources import ReportOutput, Warehouse
from orchestration.table_schemas import DeliveryRefused

FINANCE_REPORT_FILES = dg.AssetKey("finance_report_files")


def report_key(table: str) -> dg.AssetKey:
    """A dbt report model's asset key (dagster-dbt prefixes models with their schema)."""
    return dg.AssetKey(["reports", table])


def build_finance_report_files(reports: tuple[ReportSpec, ...]) -> dg.AssetsDefinition:
    """The delivery asset, downstream of each delivered report."""
    # One business date per run, like the dbt models (a multi-date run would have no single as-of
    # date). `backfill_policy` on @asset is marked beta; it has been stable for multi_run(1).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

        @dg.asset(
            key=FINANCE_REPORT_FILES,
            deps=[report_key(spec.table) for spec in reports],
            partitions_def=business_dates,
            group_name="deliveries",
            kinds={"xlsx", "csv", "html"},
            retry_policy=TRANSIENT,
            backfill_policy=dg.BackfillPolicy.multi_run(1),
        )
        def finance_report_files(
            context: dg.AssetExecutionContext, warehouse: Warehouse, report_output: ReportOutput
        ) -> dg.MaterializeResult:
            """Per business date: an XLSX workbook (one sheet per report), a CSV per report, an HTML
            summary with charts and a manifest with checksums, under `<reports folder>/<date>/`."""
            business_date = date.fromisoformat(context.partition_key)
            started = time.monotonic()
            try:
                manifest = write_report_files(warehouse, report_output.path, business_date, reports)
            except (DeliveryRefused, StaleReportError) as refused:
                raise dg.Failure(str(refused)) from None  # the reason, not a traceback
            folder = report_output.path / business_date.isoformat()
            context.log.info(f"report files for {business_date.isoformat()} written to {folder}")
            return dg.MaterializeResult(
                metadata={
                    "folder": dg.MetadataValue.path(str(folder)),
                    "files": len(manifest["files"]),
                    "seconds": round(time.monotonic() - started, 2),
                    # Numbers, so that the UI plots them across business dates.
                    **{f"rows_{table}": rows for table, rows in manifest["rows"].items()},
                    "manifest": dg.MetadataValue.json(manifest),
                }
            )

    return finance_report_files
