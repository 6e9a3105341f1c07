"""Great Expectations suites as blocking Dagster asset checks.

A failed check on the raw layer stops the dbt build and everything after it; a failed check on a
report stops the report files. The check's description names each failed expectation.
"""

# No `from __future__ import annotations`: Dagster reads these annotations at definition time.
from collections.abc import Iterator
from datetime import date

import dagster as dg

from orchestration.delivery.assets import report_key
from orchestration.delivery.catalog import ReportSpec
from orchestration.ingest.assets import RAW_KEYS, extract_load_of
from orchestration.ingest.completeness import incomplete_streams, repair_command
from orchestration.quality import checked_rows, suites
from orchestration.resources import CoreDatabase, MeltanoState, Warehouse

GX_CHECK = "great_expectations"
COMPLETE_CHECK = "complete"


def _gx_result(key: dg.AssetKey, description: str, evaluated: int, failed: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=GX_CHECK,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata={"expectations": evaluated, "failed": failed},
    )


def _results(outcomes, key_for, rows_read=None) -> Iterator[dg.AssetCheckResult]:
    for outcome in outcomes:
        if outcome.failures:
            said = f"{len(outcome.failures)} of {outcome.evaluated} expectations failed: " + "; ".join(
                outcome.failures
            )
        else:
            said = f"all {outcome.evaluated} expectations met"
        read = f" ({rows_read(outcome.table)})" if rows_read else ""
        yield _gx_result(
            key_for(outcome.table), f"{outcome.suite}: {said}{read}", outcome.evaluated, len(outcome.failures)
        )


@dg.multi_asset_check(
    specs=[
        *(
            dg.AssetCheckSpec(
                COMPLETE_CHECK,
                asset=key,
                blocking=True,
                description="Every core row below the extract/load's watermark is in the raw table, and no "
                "other (row count and a checksum over the keys)",
            )
            for key in RAW_KEYS.values()
        ),
        *(
            dg.AssetCheckSpec(
                GX_CHECK, asset=RAW_KEYS[name], blocking=True, description="GX suite on the raw table"
            )
            for name in suites.RAW_SUITE_TABLES
        ),
    ],
)
def raw_layer_checks(
    core: CoreDatabase, warehouse: Warehouse, meltano_state: MeltanoState
) -> Iterator[dg.AssetCheckResult]:
    """Completeness, then each GX suite on the rows loaded since it last passed
    (orchestration/checked_rows.py). One step: when a table is not complete, rows behind the
    marks have changed, and every suite reads its whole table (their expectations cross tables:
    a lost event leaves its ledger transaction without it)."""
    watermarks = extract_load_of(core, warehouse, meltano_state).watermarks()
    store = checked_rows.mark_store(warehouse)
    version = suites.raw_suites_version(warehouse.kind)
    marks = checked_rows.Marks.read(store, warehouse, suites.RAW_SUITE_TABLES, version, watermarks)
    # Great Expectations takes seconds to import: when the suites have rows to read, it is
    # imported while the completeness check waits on the databases.
    importing = None if marks.nothing_new() else suites.import_in_background()
    different = incomplete_streams(core.url, warehouse, watermarks)
    for name, key in RAW_KEYS.items():
        watermark = watermarks.get(name)
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=COMPLETE_CHECK,
            passed=watermark is not None and name not in different,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(
                f"raw.{name}: never extracted (no bookmark)"
                if watermark is None
                else f"raw.{name}: {different[name]}. Repair: {repair_command(different)}"
                if name in different
                else f"raw.{name}: equals the core below transaction {watermark}"
            ),
            metadata={"watermark": watermark or 0},
        )

    if different:
        marks = marks.forgotten()
    if marks.nothing_new():
        for table in suites.RAW_SUITE_TABLES:
            description = f"{warehouse.raw_schema}.{table}: nothing to check ({marks.describe(table)})"
            yield _gx_result(RAW_KEYS[table], description, evaluated=0, failed=0)
        return
    if importing is not None:
        importing.join()
    checking = checked_rows.plan(suites.raw_suites(warehouse.raw_schema, warehouse.kind), marks)
    outcomes = suites.validate(
        warehouse.sqlalchemy_url(warehouse.raw_schema), checking.suites, warehouse.kind
    )
    checked_rows.record_passed(store, checking, outcomes)
    yield from _results(outcomes, lambda table: RAW_KEYS[table], checking.rows_read)


def build_report_expectations(reports: tuple[ReportSpec, ...]) -> dg.AssetChecksDefinition:
    """The GX check of every delivered report that declares distribution checks."""
    checked = tuple(spec for spec in reports if spec.has_distribution_checks)

    @dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec(
                GX_CHECK,
                asset=report_key(spec.table),
                blocking=True,
                description="GX: the report's declared row count and value ranges",
            )
            for spec in checked
        ],
    )
    def report_expectations(
        context: dg.AssetCheckExecutionContext, warehouse: Warehouse
    ) -> Iterator[dg.AssetCheckResult]:
        partition = context.run.tags.get("dagster/partition")
        if partition is None:
            raise dg.Failure("the report checks need a business date: run them for a partition")
        report_suites = suites.report_suites(warehouse.reports_schema, date.fromisoformat(partition), checked)
        url = warehouse.sqlalchemy_url(warehouse.reports_schema)
        yield from _results(suites.validate(url, report_suites, warehouse.kind), report_key)

    return report_expectations
