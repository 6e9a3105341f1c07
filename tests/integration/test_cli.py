"""`lana-core` against a configured server (LANA_DATABASE_URL)."""

from __future__ import annotations

import psycopg
import pytest

from core_app.cli import main


def test_migrate_simulate_and_summary(core_url: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("LANA_DATABASE_URL", core_url)
    assert main(["migrate"]) == 0
    assert "the schema is up to date" in capsys.readouterr().out

    assert main(["simulate", "--customers", "6", "--days", "40", "--seed", "3", "--if-empty"]) == 0
    out = capsys.readouterr().out
    assert "simulated 6 customers over 40 days (2025-01-01 to 2025-02-09, seed 3)" in out
    assert "debits - credits: BTC 0, USD 0 (balanced)" in out
    with psycopg.connect(core_url) as conn:
        events = conn.execute("SELECT count(*) FROM customer_events").fetchone()[0]
    assert events >= 6 * 2

    # Re-running the main job does not simulate on top of existing activity.
    assert main(["simulate", "--customers", "6", "--days", "40", "--seed", "3", "--if-empty"]) == 0
    assert "not simulating again" in capsys.readouterr().out
    with psycopg.connect(core_url) as conn:
        assert conn.execute("SELECT count(*) FROM customer_events").fetchone()[0] == events


def test_bad_arguments_give_a_clear_error(core_url: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("LANA_DATABASE_URL", core_url)
    assert main(["simulate", "--customers", "0"]) == 1
    assert "--customers and --days must be at least 1" in capsys.readouterr().err


def test_unreachable_database_is_reported(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("LANA_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/lana?connect_timeout=2")
    assert main(["migrate"]) == 1
    assert "lana-core: error:" in capsys.readouterr().err
