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
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(EmbeddedServerError, match=f"port {port}, .* is taken by another program"):
            server.start()
