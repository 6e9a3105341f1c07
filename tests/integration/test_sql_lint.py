"""The dbt project's SQL passes sqlfluff (rules in dbt_project/.sqlfluff).

The dbt templater compiles each model as dbt does, and dbt introspects the warehouse for
incremental models: so this runs here, with a test warehouse, rather than before the tests start.
"""

from __future__ import annotations

import subprocess

import pytest

from orchestration.ingest.extract_load import BIN
from tests.dbt_helpers import DBT_PROJECT, dbt_environment

# Heavy (a whole compile checked by Google's analyzer; the SQL linter over the project): not in
# the quick tier (-m "not slow").
pytestmark = pytest.mark.slow


def test_the_dbt_project_sql_passes_the_linter(warehouse_url: str) -> None:
    result = subprocess.run(
        [str(BIN / "sqlfluff"), "lint", "models", "tests", "--disable-progress-bar"],
        cwd=DBT_PROJECT,
        env=dbt_environment(warehouse_url),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
