"""Running the real extract/load (Meltano, our tap, the PostgreSQL loader) from tests."""

from __future__ import annotations

import subprocess
import uuid

from tap_lana_events.report import differences, fingerprints

from orchestration.ingest.extract_load import BIN, PRIVATE_FILES, REPO, ExtractLoad


def extract_load(core_url: str, warehouse_url: str, **extra_env: str) -> ExtractLoad:
    """The project's extract/load between two test databases, with a Meltano state of its own."""
    return ExtractLoad(
        core_url, warehouse_url, state_suffix=f"test{uuid.uuid4().hex[:10]}", extra_env=extra_env
    )


def assert_raw_equals_source(core_url: str, warehouse_url: str) -> dict[str, tuple[int, str]]:
    different = differences(core_url, warehouse_url)
    assert not different, f"raw layer differs from the source (source, raw): {different}"
    return fingerprints(core_url, None)


def meltano(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """A `meltano` command in the project, output captured; raises with its stderr if it fails."""
    result = subprocess.run(
        [str(BIN / "meltano"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        umask=PRIVATE_FILES,
    )
    if result.returncode != 0:
        raise AssertionError(f"meltano {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result
