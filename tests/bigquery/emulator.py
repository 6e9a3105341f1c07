"""A local BigQuery for tests: the `bqemulator` package in a virtualenv of its own, fake credentials.

`BigQueryEmulator` installs the emulator on first use (pinned in `emulator-requirements.txt`,
from the package registry), starts it on free loopback ports with the workarounds of
`emulator_server.py`, and describes it as the environment every Google client of the project
reads: `BIGQUERY_EMULATOR_HOST` (google-cloud-bigquery, and so dbt-bigquery, target-bigquery and
sqlalchemy-bigquery) and `GOOGLE_APPLICATION_CREDENTIALS` (a locally generated service-account
key whose token endpoint the emulator serves). The project's own variables are those of docs/operators.md
(`LANA_BQ_*`): nothing in the code under test knows it is talking to an emulator.

    python -m tests.bigquery.emulator     # start one by hand; prints the variables to export
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "emulator-requirements.txt"
# The project's own `.lana`, shared by every test worker (each has a database server of its own).
SHARED_HOME = HERE.parents[1] / ".lana"
PROJECT = "lana-emulated"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def emulator_python(home: Path) -> Path:
    """The emulator's virtualenv (created once, reinstalled when its requirements change; test
    workers side by side wait for the one that installs it)."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "bqemulator-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _installed(home / "bqemulator-venv")


def _installed(venv: Path) -> Path:
    python = venv / "bin" / "python"
    stamp = venv / "requirements.txt"
    wanted = REQUIREMENTS.read_text()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(REQUIREMENTS),
        ],
        capture_output=True,
        text=True,
    )
    if install.returncode != 0:
        raise RuntimeError(f"installing the BigQuery emulator failed:\n{install.stderr[-3000:]}")
    stamp.write_text(wanted)
    return python


def service_account_key(token_uri: str) -> dict[str, str]:
    """A syntactically real service-account key (a fresh RSA key) for the emulator's token endpoint."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "emulator",
        "private_key": pem,
        "client_email": f"lana@{PROJECT}.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_uri,
    }


class BigQueryEmulator:
    """One running emulator (ephemeral storage: it starts empty and forgets everything on stop).

    Its credentials and log go to `home`; its virtualenv to `venv_home` (default: the project's
    `.lana/`, so that it is installed once per checkout).
    """

    def __init__(self, home: Path, venv_home: Path | None = None, *, reject_loads_into: str = "") -> None:
        self.home = home
        self.venv_home = venv_home
        self.reject_loads_into = reject_loads_into  # fault injection: see rejecting_loads()
        self.process: subprocess.Popen[bytes] | None = None
        self.rest_port = self.grpc_port = self.token_port = 0

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"

    @property
    def credentials_file(self) -> Path:
        return self.home / "bqemulator-key.json"

    def start(self, timeout: float = 120) -> BigQueryEmulator:
        self.home.mkdir(parents=True, exist_ok=True)
        python = emulator_python(self.venv_home or SHARED_HOME)
        self.rest_port, self.grpc_port, self.token_port = _free_port(), _free_port(), _free_port()
        key = service_account_key(f"http://127.0.0.1:{self.token_port}/token")
        self.credentials_file.touch(mode=0o600)
        self.credentials_file.write_text(json.dumps(key))
        log = (self.home / "bqemulator.log").open("wb")
        self.process = subprocess.Popen(
            [
                str(python),
                str(HERE / "emulator_server.py"),
                f"--rest-port={self.rest_port}",
                f"--grpc-port={self.grpc_port}",
                f"--token-port={self.token_port}",
                f"--project={PROJECT}",
                *(
                    [f"--reject-loads-into={self.reject_loads_into}", f"--while-file={self.rejection_file}"]
                    if self.reject_loads_into
                    else []
                ),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "OTEL_SDK_DISABLED": "true", "DO_NOT_TRACK": "1"},
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the BigQuery emulator exited ({self.process.returncode}): "
                    f"{(self.home / 'bqemulator.log').read_text()[-2000:]}"
                )
            try:
                urllib.request.urlopen(f"{self.host}/bigquery/v2/projects/{PROJECT}/datasets", timeout=2)
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the BigQuery emulator did not answer within {timeout:.0f} s")

    @property
    def rejection_file(self) -> Path:
        return self.home / "reject-loads"

    def rejecting_loads(self, on: bool) -> None:
        """While on, load jobs into tables named like `reject_loads_into` fail."""
        if on:
            self.rejection_file.touch()
        else:
            self.rejection_file.unlink(missing_ok=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def environment(self, raw_dataset: str = "lana_raw", dataset: str = "lana_analytics") -> dict[str, str]:
        """The BigQuery variables (docs/operators.md), plus where the emulator and its credentials are."""
        return {
            "BIGQUERY_EMULATOR_HOST": self.host,
            "GOOGLE_APPLICATION_CREDENTIALS": str(self.credentials_file),
            "LANA_WAREHOUSE_KIND": "bigquery",
            "LANA_BQ_PROJECT": PROJECT,
            "LANA_BQ_RAW_DATASET": raw_dataset,
            "LANA_BQ_DATASET": dataset,
            "LANA_BQ_LOCATION": "US",
        }

    def __enter__(self) -> BigQueryEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def install_bigquery_loader(environment: dict[str, str]) -> None:
    """`meltano install` of target-bigquery (its own virtualenv; idempotent)."""
    from tests.el_helpers import meltano

    meltano("--environment", "prod", "install", "loader", "target-bigquery", env=environment)


def main() -> int:
    from core_app.adapters.embedded_server import default_home

    emulator = BigQueryEmulator(default_home() / "bqemulator").start()
    for name, value in emulator.environment().items():
        print(f"export {name}={value}")
    print(f"# emulator pid {emulator.process.pid if emulator.process else '?'}; Ctrl-C stops it", flush=True)
    try:
        assert emulator.process is not None
        emulator.process.wait()
    except KeyboardInterrupt:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
