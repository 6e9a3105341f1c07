"""Running dbt (the project in dbt_project/) against a test warehouse."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from core_app.config import warehouse_environment
from orchestration.extract_load import BIN, REPO

DBT_PROJECT = REPO / "dbt_project"


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
