"""Running dbt (the project in dbt_project/) against a test warehouse."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from core_app.config import warehouse_environment
from orchestration.ingest.extract_load import BIN, REPO
from orchestration.transform.pseudonymisation import install_key_postgres

DBT_PROJECT = REPO / "dbt_project"
TEST_PII_KEY = bytes(range(32))  # the tests' pseudonymisation key (never the embedded default's)


def dbt_environment(warehouse_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DBT_PROFILES_DIR": str(DBT_PROJECT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **warehouse_environment(warehouse_url),
        **extra,
    }


def run_dbt(
    warehouse_url: str,
    *args: str,
    vars: dict | None = None,
    target_path: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    if warehouse_url and args[0] in ("build", "run", "seed", "test"):
        install_key_postgres(warehouse_url, TEST_PII_KEY)
    command = [str(BIN / "dbt"), *args]
    if vars:
        command += ["--vars", json.dumps(vars)]
    if target_path is not None:
        command += ["--target-path", str(target_path)]
    result = subprocess.run(
        command,
        cwd=DBT_PROJECT,
        env=env or dbt_environment(warehouse_url),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
        )
    return result


def compile_for_bigquery(
    target_path: Path, project: str = "acme-bank", raw_dataset: str = "lana_raw", *, incremental: bool = False
) -> Path:
    """`dbt compile --target bigquery` with no BigQuery at hand (a fake service-account key: nothing
    is sent until a query runs; `compile_offline` skips the one question that needs a connection:
    the incremental models compile as first builds, or with `incremental` as incremental ones).
    Returns the manifest, which holds every node's compiled SQL."""
    from tests.bigquery.emulator import service_account_key

    target_path.mkdir(parents=True, exist_ok=True)
    keyfile = target_path / "offline-service-account.json"
    keyfile.write_text(json.dumps(service_account_key("https://oauth2.googleapis.com/token")))
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DBT_PROFILES_DIR": str(DBT_PROJECT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GOOGLE_APPLICATION_CREDENTIALS": str(keyfile),
        "LANA_BQ_PROJECT": project,
        "LANA_RAW_SCHEMA": raw_dataset,
    }
    run_dbt(
        "",
        "compile",
        "--target",
        "bigquery",
        "--no-populate-cache",
        "--no-introspect",
        vars={"compile_offline": "incremental" if incremental else True},
        target_path=target_path,
        env=env,
    )
    return target_path / "manifest.json"
