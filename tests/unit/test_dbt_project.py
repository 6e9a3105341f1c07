"""The dbt project's own machinery stays small and says why it exists; each model declared
append-only is built with the strategy made for it."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MACROS = REPO / "dbt_project" / "macros"


def test_every_macro_is_at_most_sixty_lines_and_says_why_it_exists() -> None:
    """A comment before each macro, or before the family it belongs to (macros one blank line
    apart under one comment: an adapter's implementations after the macro dispatching to them)."""
    too_long, unexplained = [], []
    for path in sorted(MACROS.glob("*.sql")):
        text = path.read_text()
        explained_until = -1  # where the last explained macro (or family) ended
        for match in re.finditer(r"\{%-?\s*macro (\w+)\(.*?\{%-?\s*endmacro\s*-?%\}", text, re.DOTALL):
            if match.group(0).count("\n") + 1 > 60:
                too_long.append(f"{path.name}:{match.group(1)}")
            before = text[: match.start()]
            in_family = (
                explained_until >= 0
                and before[explained_until:].strip() == ""
                and (before[explained_until:].count("\n") <= 2)
            )
            if before.rstrip().endswith("#}") or in_family:
                explained_until = match.end()
            else:
                unexplained.append(f"{path.name}:{match.group(1)}")
    assert too_long == [] and unexplained == []


def test_append_only_models_are_built_by_the_append_only_strategy(dbt_manifest: Path) -> None:
    """Declared once (`meta.append_only_by` in their YAML: what their tests' marks rely on), and
    merged by the strategy that relies on it (macros/incremental.sql) on PostgreSQL."""
    models = [
        n for n in json.loads(dbt_manifest.read_text())["nodes"].values() if n["resource_type"] == "model"
    ]
    declared = {n["name"] for n in models if n["config"].get("meta", {}).get("append_only_by")}
    built = {n["name"] for n in models if n["config"].get("incremental_strategy") == "append_only"}
    assert len(declared) >= 10 and declared == built


def test_every_test_of_a_report_reads_the_build_s_date(dbt_manifest: Path) -> None:
    tests = [
        n for n in json.loads(dbt_manifest.read_text())["nodes"].values() if n["resource_type"] == "test"
    ]
    of_reports = [t for t in tests if t["fqn"][1:2] == ["reports"]]
    assert len(of_reports) > 50
    assert {t["config"].get("where") for t in of_reports} == {"as_of_date = __report_date__"}


def test_every_dbt_data_test_is_an_asset_check_of_dagster(dbt_manifest: Path) -> None:
    """A singular test reading several models (the reconciliations) names the asset it checks
    (`meta.dagster.ref`): else Dagster logs it as an observation, and the UI and the night's
    summary do not list it."""
    from orchestration.definitions import build_definitions
    from orchestration.resources import resources_from_environment

    nodes = json.loads(dbt_manifest.read_text())["nodes"].values()
    # Tests of the raw sources belong to the extract/load's assets, which dagster-dbt does not own.
    tests = {
        n["name"]
        for n in nodes
        if n["resource_type"] == "test" and not any(p.startswith("source.") for p in n["depends_on"]["nodes"])
    }
    graph = build_definitions(resources_from_environment(), manifest=dbt_manifest).resolve_asset_graph()
    checks = {key.name for key in graph.asset_check_keys}
    assert "loans_reconcile_with_ledger" in tests and sorted(tests - checks) == []


def test_every_sql_line_fits_the_linter_s_width() -> None:
    """The linter (the slow tier) reads the compiled models and tests; the width it enforces is checked
    here too, before every commit, from the one place it is set (.sqlfluff)."""
    config = (REPO / "dbt_project" / ".sqlfluff").read_text()
    width = int(re.search(r"^max_line_length\s*=\s*(\d+)", config, re.MULTILINE).group(1))
    too_wide = [
        f"{path.relative_to(REPO)}:{number}"
        for folder in ("models", "tests")  # what the linter reads
        for path in sorted((REPO / "dbt_project" / folder).rglob("*.sql"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if len(line) > width
    ]
    assert too_wide == []
