"""The delivered reports are declared once, in dbt's YAML: everything else is derived from it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.delivery.catalog import (
    FINANCE_PAGE,
    ReportDeclarationError,
    delivered_reports,
    page_with_table,
    reports_from_manifest,
)
from orchestration.transform.dbt_manifest import PROJECT_DIR


def _manifest(**models: dict) -> dict:
    return {
        "nodes": {
            f"model.lana.{name}": {
                "resource_type": "model",
                "name": name,
                "fqn": ["lana", "reports", name],
                "config": {"meta": {"delivery": delivery}},
                "columns": {"amount_cents": {}, "rate_bps": {}},
            }
            for name, delivery in models.items()
        }
    }


def test_the_finance_page_lists_exactly_the_delivered_reports(dbt_manifest: Path) -> None:
    page = FINANCE_PAGE.read_text()
    assert page == page_with_table(page, delivered_reports(dbt_manifest)), (
        "docs/finance.md's table of reports is stale: run `python -m orchestration.delivery.catalog`"
    )


def test_every_report_and_mart_is_described_column_by_column(dbt_manifest: Path) -> None:
    """Declared columns: their descriptions. That they are all the model's columns is checked
    against the warehouse (tests/integration/test_reports.py)."""
    manifest = json.loads(dbt_manifest.read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    analysts_read = [n for n in models if n["fqn"][1] in ("reports", "marts")]
    assert len(analysts_read) >= 13
    for node in analysts_read:
        undescribed = [c for c, column in node["columns"].items() if not column["description"].strip()]
        assert node["description"] and node["columns"] and not undescribed, f"{node['name']}: {undescribed}"


def test_a_declaration_naming_an_unknown_column_is_refused() -> None:
    bad = {"title": "T", "grain": "g", "order": 1, "money_columns": ["amount_cents", "amount"]}
    with pytest.raises(ReportDeclarationError, match=r"r1: meta.delivery names columns .*: amount$"):
        reports_from_manifest(_manifest(r1=bad))
    with pytest.raises(ReportDeclarationError, match=r"r1: meta.delivery lacks grain, title"):
        reports_from_manifest(_manifest(r1={"order": 1}))
    chart = {"title": "T", "label": "rate_bps", "value": "rate_bps"}
    with pytest.raises(
        ReportDeclarationError, match="chart's value rate_bps is not one of its money_columns"
    ):
        reports_from_manifest(_manifest(r1={"title": "T", "grain": "g", "order": 1, "chart": chart}))
    twice = {"title": "T", "grain": "g", "order": 1}
    with pytest.raises(ReportDeclarationError, match="share an order"):
        reports_from_manifest(_manifest(r1=twice, r2=twice))


def test_declarations_are_read_in_delivery_order_with_their_checks() -> None:
    first = {"title": "A", "grain": "g", "order": 2, "expected_rows": {"min": 1}}
    second = {"title": "B", "grain": "g", "order": 1, "value_ranges": {"rate_bps": {"max": 10_000}}}
    a, b = reports_from_manifest(_manifest(a=first, b=second))[::-1]
    assert (b.table, a.table) == ("b", "a") and a.never_empty and not b.never_empty
    assert b.value_ranges["rate_bps"].max == 10_000 and b.has_distribution_checks


def test_every_report_says_what_one_of_its_rows_is() -> None:
    # The pack prints the grain under each title as its opening sentence.
    wrong = [r.table for r in delivered_reports() if not r.grain.startswith("one row per ")]
    assert wrong == []


@pytest.mark.slow
def test_adding_a_report_takes_its_sql_and_yaml_only(tmp_path: Path, dbt_manifest: Path) -> None:
    """A copy of the dbt project with one more report: the definitions deliver and check it."""
    last = max(spec.order for spec in delivered_reports(dbt_manifest))
    project = tmp_path / "dbt_project"
    shutil.copytree(PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "models/reports/fx_exposure.sql").write_text(
        "select r.as_of_date, 'USD' as currency, cast(0 as {{ dbt.type_bigint() }}) as exposure_cents\n"
        "from {{ ref('int_report_date') }} r\n"
    )
    (project / "models/reports/_fx_exposure.yml").write_text(
        "version: 2\nmodels:\n  - name: fx_exposure\n    description: FX exposure.\n"
        "    config:\n      meta:\n        delivery: {title: FX exposure, grain: one row per currency,"
        f" order: {last + 1}, money_columns: [exposure_cents], expected_rows: {{min: 1}}}}\n"
        "    columns:\n      - {name: as_of_date, description: the date}\n"
        "      - {name: currency, description: the currency}\n"
        "      - {name: exposure_cents, description: the exposure}\n"
    )
    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run(
        [str(dbt), "parse", "--quiet", "--profiles-dir", str(PROJECT_DIR)],
        cwd=project,
        check=True,
        env={"PATH": str(dbt.parent), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "HOME": str(tmp_path)},
    )
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.resources import resources_from_environment

    defs = build_definitions(resources_from_environment(), manifest=project / "target/manifest.json")
    graph = defs.resolve_asset_graph()
    new = dg.AssetKey(["reports", "fx_exposure"])
    assert new in graph.get(dg.AssetKey("finance_report_files")).parent_keys
    assert dg.AssetCheckKey(new, "great_expectations") in graph.asset_check_keys
    spec = delivered_reports(project / "target/manifest.json")[-1]
    assert (spec.table, spec.money_columns) == ("fx_exposure", frozenset({"exposure_cents"}))


def test_reports_read_intermediate_models_marts_and_seeds_not_staging(dbt_manifest: Path) -> None:
    """The dbt layers: a report reads entities already rebuilt (intermediate) or published (marts);
    marts, like intermediate models, may join staging."""
    nodes = json.loads(dbt_manifest.read_text())["nodes"]
    reading_staging = [
        f"{node['name']} <- {nodes[parent]['name']}"
        for node in nodes.values()
        if node["resource_type"] == "model" and node["fqn"][1] == "reports"
        for parent in node["depends_on"]["nodes"]
        if parent in nodes and nodes[parent]["fqn"][1:2] == ["staging"]
    ]
    assert reading_staging == []
