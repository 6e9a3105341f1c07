"""Running `lana-flow` as a user does (a separate process), in an environment of its own."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

from orchestration.ingest.extract_load import BIN, REPO
from orchestration.instance import postgres_url
from tests.dbt_helpers import TEST_PII_KEY

# Set by a developer's shell or by `lana-core db env`; a run must not inherit them.
INHERITED = ("LANA_WAREHOUSE_URL", "LANA_WAREHOUSE_KIND", "DBT_TARGET", "LANA_RAW_SCHEMA", "LANA_BQ_DATASET")


def flow_environment(core_url: str, dagster_url: str, work: Path) -> dict[str, str]:
    """The core, a Dagster instance, Meltano bookmarks and a personal-data key of the test's own
    (no developer's state)."""
    key_file = work / "pii.key"
    work.mkdir(parents=True, exist_ok=True)
    key_file.write_text(TEST_PII_KEY.hex())
    key_file.chmod(0o600)
    return {
        **{k: v for k, v in os.environ.items() if k not in INHERITED},
        "LANA_DATABASE_URL": core_url,
        "LANA_DAGSTER_STORAGE_URL": postgres_url(dagster_url),
        "DAGSTER_HOME": str(work / "dagster"),
        "MELTANO_DATABASE_URI": f"sqlite:///{work / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "LANA_PII_KEY_FILE": str(key_file),
    }


def lana_flow_command(business_date: date) -> list[str]:
    return [str(BIN / "lana-flow"), "run", "--date", business_date.isoformat()]


def lana_flow(environment: dict[str, str], business_date: date) -> str:
    """`lana-flow run --date ...` to success (every check passed); its output, Dagster's logs included."""
    result = subprocess.run(
        lana_flow_command(business_date),
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, f"lana-flow run failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    assert "asset checks: " in result.stdout and "FAILED" not in result.stdout, result.stdout[-3000:]
    return result.stdout + result.stderr  # Dagster logs to stderr
