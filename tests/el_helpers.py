"""Running the real extract/load (Meltano, our tap, the PostgreSQL loader) from tests."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from tap_lana_events.report import differences, fingerprints
from tap_lana_events.warehouse import prepare_raw_schema

from core_app.config import Databases

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def el_environment(core_url: str, warehouse_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        **Databases(core_url, warehouse_url, embedded=False).environment(),
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        **extra,
    }


class ExtractLoad:
    """`meltano run tap-lana-events target-postgres` between two databases, with its own state."""

    def __init__(self, core_url: str, warehouse_url: str, **extra_env: str) -> None:
        self.env = el_environment(core_url, warehouse_url, **extra_env)
        self.state_suffix = f"test{uuid.uuid4().hex[:10]}"
        prepare_raw_schema(warehouse_url)

    def command(self, *options: str) -> list[str]:
        return [
            str(BIN / "meltano"),
            "run",
            "--state-id-suffix",
            self.state_suffix,
            *options,
            "tap-lana-events",
            "target-postgres",
        ]

    def run(self, *options: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self.command(*options), cwd=REPO, env=self.env, capture_output=True, text=True, timeout=600
        )
        if result.returncode != 0:
            raise AssertionError(f"meltano run failed ({result.returncode}):\n{result.stderr[-4000:]}")
        return result

    def start(self, *options: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*options),
            cwd=REPO,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # so that a test can kill the whole process group
        )


def assert_raw_equals_source(core_url: str, warehouse_url: str) -> dict[str, tuple[int, str]]:
    different = differences(core_url, warehouse_url)
    assert not different, f"raw layer differs from the source (source, raw): {different}"
    return fingerprints(core_url, None)
