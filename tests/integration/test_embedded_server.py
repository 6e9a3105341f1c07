"""The embedded server: starts from the pip package, as root too, and is reused, stopped, reset."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from core_app.adapters.embedded_server import EmbeddedPostgres


@pytest.fixture
def server(tmp_path: Path):
    home = tmp_path / "home"
    server = EmbeddedPostgres(home)
    yield server
    server.stop()


def test_start_reuse_stop_and_reset(server: EmbeddedPostgres) -> None:
    port = server.start()
    with psycopg.connect(server.url("lana", port)) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        conn.execute("CREATE TABLE kept (x int)")
        conn.execute("INSERT INTO kept VALUES (42)")
        conn.commit()
        owner = conn.execute("SELECT current_setting('data_directory')").fetchone()[0]
    assert version.startswith("18.")
    data_dir = Path(owner)
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: the project runs it as an unprivileged user.
        assert data_dir.stat().st_uid != 0

    assert server.start() == port  # already running: re-attached, not restarted
    assert server.stop() is True
    assert server.running_port() is None
    assert server.stop() is False

    server.start()  # data survives a restart
    with psycopg.connect(server.url("lana")) as conn:
        assert conn.execute("SELECT x FROM kept").fetchone() == (42,)

    server.reset()
    assert not data_dir.exists()
    server.start()
    with psycopg.connect(server.url("lana")) as conn:
        assert conn.execute("SELECT to_regclass('kept')").fetchone() == (None,)
    with psycopg.connect(server.url("lana_dw")) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_text_is_utf8_in_code_point_order_compared_byte_by_byte(server: EmbeddedPostgres) -> None:
    """PostgreSQL's builtin C.UTF-8: text sorts by code point and upper() knows Unicode, as with
    glibc's C.UTF-8, but comparing text needs no strcoll (dbt sorts and indexes text keys)."""
    with psycopg.connect(server.url("lana_dw", server.start())) as conn:
        locale = conn.execute(
            "SELECT datlocprovider, datlocale, pg_encoding_to_char(encoding) FROM pg_database "
            "WHERE datname = current_database()"
        ).fetchone()
        assert locale == ("b", "C.UTF-8", "UTF8")
        ordered = conn.execute(
            "SELECT string_agg(w, ' ' ORDER BY w), upper('é') FROM unnest(ARRAY['b', 'é', 'B', 'a']) AS w"
        ).fetchone()
        assert ordered == ("B a b é", "É")


def test_a_server_that_outlived_its_parent_is_found_again(server: EmbeddedPostgres, tmp_path: Path) -> None:
    port = server.start()
    again = EmbeddedPostgres(tmp_path / "home")  # a new process's view of the same home
    assert again.running_port() == port


def test_the_port_survives_a_restart_with_clients_connected(server: EmbeddedPostgres) -> None:
    """Connections leave the port in TIME_WAIT; the server still comes back on it."""
    port = server.start()
    clients = [psycopg.connect(server.url("lana", port)) for _ in range(3)]
    for client in clients:
        client.execute("SELECT 1")
    server.stop()
    for client in clients:
        client.close()
    for _ in range(3):
        assert server.start() == port
        with psycopg.connect(server.url("lana", port)) as conn:
            conn.execute("SELECT 1")
        server.stop()


def test_a_port_taken_by_another_program_is_named(server: EmbeddedPostgres) -> None:
    import socket

    from core_app.adapters.embedded_server import EmbeddedServerError

    port = server.start()
    server.stop()
    with socket.socket() as squatter:
        # As servers do: the stopped server's closed connections may still hold the port in TIME_WAIT.
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(EmbeddedServerError, match=f"port {port}, .* is taken by another program"):
            server.start()


def test_every_connection_needs_a_password(server: EmbeddedPostgres) -> None:
    """No `trust` rule anywhere: without the password file, even the right user is refused."""
    port = server.start()
    with psycopg.connect(server.url("postgres", port)) as conn:
        methods = {row[0] for row in conn.execute("SELECT auth_method FROM pg_hba_file_rules")}
        kinds = {row[0] for row in conn.execute("SELECT DISTINCT type FROM pg_hba_file_rules")}
    assert methods == {"scram-sha-256"}
    assert kinds == {"local", "host"}  # replication rules included: same method
    no_password = f"host=127.0.0.1 port={port} user=postgres dbname=postgres passfile=/dev/null"
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(no_password, connect_timeout=5)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(no_password + " password=guess", connect_timeout=5)
    secrets = server.passwords.path
    assert secrets.stat().st_mode & 0o777 == 0o600 and secrets.parent.stat().st_mode & 0o777 == 0o700
    assert "password" not in server.url("lana", port)


def _as_another_user(uid: int, gid: int, probe) -> str:
    """What `probe()` returns (or the error it raises), run in a child process as another OS user."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            try:
                outcome = f"ok: {probe()}"
            except Exception as error:  # reported to the parent
                outcome = f"{type(error).__name__}: {error}"
            os.write(write, outcome.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        outcome = pipe.read()
    os.waitpid(pid, 0)
    return outcome


def _local_user(name: str) -> tuple[int, int]:
    import pwd
    import subprocess

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as other OS users")


@root_only
def test_another_local_user_cannot_connect_nor_read_the_secrets(server: EmbeddedPostgres) -> None:
    port = server.start()
    url = server.url("lana", port)
    uid, gid = _local_user("lana-test-other")
    connect = _as_another_user(uid, gid, lambda: psycopg.connect(url, connect_timeout=5).close())
    assert connect.startswith("OperationalError") and "password" in connect, connect
    for path in (server.passwords.path, server.data_dir / "PG_VERSION"):
        outcome = _as_another_user(uid, gid, lambda path=path: path.read_text())
        assert outcome.startswith("PermissionError"), (path, outcome)
    socket = _as_another_user(uid, gid, lambda: os.listdir(server.socket_dir))
    assert socket.startswith("PermissionError"), socket


@root_only
def test_each_project_server_runs_as_its_own_user(server: EmbeddedPostgres, tmp_path: Path) -> None:
    other = EmbeddedPostgres(tmp_path / "other-project")
    try:
        server.start()
        other.start()
        assert server.run_as is not None and other.run_as is not None
        assert server.run_as.uid != other.run_as.uid
        assert server.data_dir.stat().st_uid == server.run_as.uid
        peek = _as_another_user(server.run_as.uid, server.run_as.gid, lambda: os.listdir(other.data_dir))
        assert peek.startswith("PermissionError"), peek
    finally:
        other.stop()
