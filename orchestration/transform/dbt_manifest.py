"""The dbt project as Dagster sees it: where it is, its manifest, how its nodes become assets."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

# No target here: which warehouse dbt builds in is the Warehouse resource's choice, made per run
# (`--target` on each dbt call), not fixed when this module is imported.
# dbt's own DBT_TARGET_PATH, if set, moves where it writes (a test worker of its own, say).
DBT_PROJECT = DbtProject(
    project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR, target_path=os.environ.get("DBT_TARGET_PATH", "target")
)


def prepare_manifest(force: bool = False) -> Path:
    """Parse the project (no warehouse needed) so that its manifest describes the current models.

    `dagster dev` re-parses on start (prepare_if_dev); other entry points call this first.
    """
    manifest = DBT_PROJECT.manifest_path
    if force or not manifest.exists() or _changed_since(manifest):
        env = {
            **os.environ,
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        dbt = Path(sys.executable).parent / "dbt"
        result = subprocess.run(
            [str(dbt), "parse", "--quiet"],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    return manifest


def rebuild_from_sources(sources: list[str], environment: dict[str, str], target: str) -> str:
    """Rebuild in full the models downstream of raw tables that were loaded again (a repair):
    their incremental builds add only rows above what they built, so they would keep rows the
    core lost and miss rows loaded below that. Reports are left out: they keep every date they
    were built for, each rebuilt with its date's run. Returns dbt's last lines; raises if it fails."""
    command = [str(Path(sys.executable).parent / "dbt"), "run", "--full-refresh", "--target", target]
    command += ["--select", *(f"source:raw.{name}+" for name in sorted(sources))]
    command += ["--exclude", "path:models/reports"]
    result = subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env={
            **os.environ,
            **environment,
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        },
        capture_output=True,
        text=True,
        timeout=3600,
    )
    tail = "\n".join(result.stdout.strip().splitlines()[-3:])
    if result.returncode != 0:
        raise RuntimeError(
            f"dbt could not rebuild the models downstream of {', '.join(sources)}:\n{result.stdout[-4000:]}"
        )
    return tail


def keep_parse_state(target_path: Path) -> None:
    """A finished build's parse state becomes the project's, for the next build to start from.

    dagster-dbt gives each invocation a target folder of its own, seeded with the project's
    `partial_parse.msgpack`; dbt re-parses the whole project when that state was made under another
    profile (the code location parses without the warehouse's environment), so without this every
    daily build parsed everything. dbt checks the state itself (files, profile, variables) and
    falls back to a full parse when it does not match: a stale one costs time, never correctness.
    """
    source = _in_project(target_path) / "partial_parse.msgpack"
    if not source.is_file():
        return
    # Where dagster-dbt looks for the state it seeds each invocation with.
    destination = _in_project(Path(os.getenv("DBT_TARGET_PATH", "target"))) / source.name
    staged = destination.with_name(f"{source.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, staged)
    os.replace(staged, destination)  # whole or not at all, if two builds finish at once


def _in_project(path: Path) -> Path:
    """dbt runs in the project folder: a relative target path is relative to it."""
    return path if path.is_absolute() else PROJECT_DIR / path


def _changed_since(manifest: Path) -> bool:
    """A model, macro, seed, test or the project file edited after the manifest was written (a
    stale manifest would deliver yesterday's declarations with today's SQL)."""
    parsed = manifest.stat().st_mtime
    sources = [PROJECT_DIR / "dbt_project.yml"] + [
        path
        for folder in ("models", "macros", "seeds", "tests")
        for path in (PROJECT_DIR / folder).rglob("*")
        if path.is_file()
    ]
    return any(path.stat().st_mtime > parsed for path in sources)


class LanaDbtTranslator(DagsterDbtTranslator):
    """Models grouped by layer (staging, intermediate, marts, reports); sources keep `raw/<table>`."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)
