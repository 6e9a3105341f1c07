"""Running dbt (the project in dbt_project/) against a test warehouse."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from tests.el_helpers import BIN, REPO

DBT_PROJECT = REPO / "dbt_project"


def dbt_environment(warehouse_url: str, **extra: str) -> dict[str, str]:
    params = conninfo_to_dict(warehouse_url)
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DBT_PROFILES_DIR": str(DBT_PROJECT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "LANA_DW_HOST": str(params.get("host", "127.0.0.1")),
        "LANA_DW_PORT": str(params.get("port", "5432")),
        "LANA_DW_USER": str(params.get("user", "postgres")),
        "LANA_DW_PASSWORD": str(params.get("password", "")),
        "LANA_DW_DBNAME": str(params["dbname"]),
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
