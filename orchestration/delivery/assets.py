"""The files finance teams and the supervisor receive for each business date (XLSX, CSV, the
regulatory XML files, HTML summary, manifest)."""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
import time
import warnings
from collections.abc import Generator, Iterator
from datetime import date
from pathlib import Path

import dagster as dg

from orchestration.delivery.bucket import BucketDeliveryError, bucket_filesystem, upload_delivery
from orchestration.delivery.catalog import ReportSpec
from orchestration.delivery.publication import write_report_files
from orchestration.delivery.table import StaleReportError
from orchestration.delivery.validation import DeliveryRefused
from orchestration.partitions import business_dates
from orchestration.resources import ReportOutput, Warehouse
from orchestration.retries import TRANSIENT

FINANCE_REPORT_FILES = dg.AssetKey("finance_report_files")
FILES_PASS_THEIR_SCHEMAS = "files_pass_their_schemas"


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
            kinds={"xlsx", "csv", "xml", "html", "pdf"},
            check_specs=[
                dg.AssetCheckSpec(
                    FILES_PASS_THEIR_SCHEMAS,
                    asset=FINANCE_REPORT_FILES,
                    blocking=True,
                    description="Every file with a schema (XSD, Table Schema) passes it, and every "
                    "cross-file reference resolves, before anything of the date is published.",
                )
            ],
            retry_policy=TRANSIENT,
            backfill_policy=dg.BackfillPolicy.multi_run(1),
        )
        def finance_report_files(
            context: dg.AssetExecutionContext, warehouse: Warehouse, report_output: ReportOutput
        ):
            """Per business date: an XLSX workbook (one sheet per report), a CSV per report, the
            regulatory XML files, an HTML summary with charts, the PDF pack and a manifest with
            checksums, under `<reports folder>/<date>/`; nothing at all when a file fails its schema."""
            yield from _deliver(context, warehouse, report_output, reports)

    return finance_report_files


def _deliver(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    report_output: ReportOutput,
    reports: tuple[ReportSpec, ...],
) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult]:
    business_date = date.fromisoformat(context.partition_key)
    started = time.monotonic()
    manifest = yield from _written(warehouse, report_output, business_date, reports)
    folder = report_output.path / business_date.isoformat()
    context.log.info(f"report files for {business_date.isoformat()} written to {folder}")
    where = _copied_to_bucket(context, report_output, folder)
    checked = [s.table for s in reports if s.table_schema or s.xml]
    yield dg.MaterializeResult(
        metadata={
            "folder": dg.MetadataValue.path(str(folder)),
            **where,
            "files": len(manifest["files"]),
            "seconds": round(time.monotonic() - started, 2),
            # Numbers, so that the UI plots them across business dates.
            **{f"rows_{table}": rows for table, rows in manifest["rows"].items()},
            "manifest": dg.MetadataValue.json(manifest),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=FILES_PASS_THEIR_SCHEMAS,
                passed=True,
                metadata={"reports checked": dg.MetadataValue.text(", ".join(checked))},
            )
        ],
    )


def _written(
    warehouse: Warehouse, report_output: ReportOutput, business_date: date, reports: tuple[ReportSpec, ...]
) -> Generator[dg.AssetCheckResult, None, dict]:
    """The delivery written (its manifest); a refused one fails its check and the step, unretried:
    the same rows fail the same way."""
    try:
        return write_report_files(warehouse, report_output.path, business_date, reports)
    except DeliveryRefused as refused:
        yield dg.AssetCheckResult(
            check_name=FILES_PASS_THEIR_SCHEMAS,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "errors": dg.MetadataValue.md("\n".join(f"- {e}" for e in refused.errors)),
                "published": False,
            },
        )
        raise dg.Failure(str(refused), allow_retries=False) from None  # the reason, not a traceback
    except StaleReportError as stale:
        raise dg.Failure(str(stale), allow_retries=False) from None


def _copied_to_bucket(
    context: dg.AssetExecutionContext, report_output: ReportOutput, folder: Path
) -> dict[str, object]:
    """The delivery copied to finance's bucket, if there is one: the metadata saying where."""
    if not report_output.bucket_url:
        return {}
    try:
        filesystem = bucket_filesystem(report_output.bucket_url, report_output.bucket_endpoint)
        copied = upload_delivery(folder, report_output.bucket_url, filesystem)
    except BucketDeliveryError as failed:
        raise dg.Failure(f"{failed} (the files are in {folder})") from None
    context.log.info(f"{len(copied)} files copied to {report_output.bucket_url}, manifest last")
    return {"bucket": dg.MetadataValue.url(copied[-1].rsplit("/", 1)[0])}
