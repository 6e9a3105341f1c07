"""`lana-core` against a configured server (LANA_DATABASE_URL)."""

from __future__ import annotations

from datetime import date

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


def test_lana_flow_refuses_a_date_the_core_has_not_closed(core_url: str, monkeypatch, capsys) -> None:
    from core_app.application.bank import Bank
    from core_app.application.clock import BusinessClock, RandomIds
    from core_app.simulator import SimulationConfig, simulate
    from orchestration.cli import main as lana_flow

    monkeypatch.setenv("LANA_DATABASE_URL", core_url)
    assert lana_flow(["run"]) == 2
    assert capsys.readouterr().err == (
        "lana-flow: error: the core has not closed any business day yet: nothing to report\n"
    )
    simulate(core_url, SimulationConfig(customers=2, days=5, seed=1), progress=lambda _: None)
    assert lana_flow(["run", "--date", "2020-01-01"]) == 2
    assert capsys.readouterr().err == (
        "lana-flow: error: no business date 2020-01-01 in the core: its business dates run from "
        "2025-01-01 to 2025-01-05\n"
    )
    # Activity on 6 January, but its end-of-day batch has not run: the day is not closed.
    bank = Bank.connect(core_url, BusinessClock.at_start_of(date(2025, 1, 6)), RandomIds())
    bank.treasury.record_price(100_000_00, "test")
    for wanted in ("2025-01-06", "2026-01-15"):
        assert lana_flow(["run", "--date", wanted]) == 2
        assert capsys.readouterr().err == (
            f"lana-flow: error: the core has not closed business day {wanted}: "
            "the last closed business day is 2025-01-05\n"
        )
    bank.end_of_day.run(date(2025, 1, 6))
    bank.close()
    from orchestration.cli import _checked_date

    assert _checked_date(core_url, None) == date(2025, 1, 6)  # the default: the last closed day
    with pytest.raises(SystemExit) as exit_:
        lana_flow(["run", "--date", "2025-02-30"])
    assert exit_.value.code == 2 and "not a date (YYYY-MM-DD): '2025-02-30'" in capsys.readouterr().err


def test_lana_flow_names_an_unreachable_database(monkeypatch, capsys) -> None:
    from orchestration.cli import main as lana_flow

    monkeypatch.setenv("LANA_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/lana?connect_timeout=2")
    assert lana_flow(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lana-flow: error: cannot reach the database (") and err.count("\n") == 1
    assert "lana-core db start" in err and "Traceback" not in err
    with pytest.raises(psycopg.OperationalError):
        lana_flow(["--debug", "run"])


def test_db_url_names_the_role_asked_for_after_db_env(monkeypatch, capsys) -> None:
    """After `eval "$(lana-core db env)"` LANA_DATABASE_URL is the core's role on the embedded
    server: `db url --role admin` still names the administrator, not that role."""
    from psycopg.conninfo import conninfo_to_dict

    monkeypatch.delenv("LANA_DATABASE_URL", raising=False)
    assert main(["db", "env"]) == 0
    exported = dict(
        line.removeprefix("export ").split("=", 1) for line in capsys.readouterr().out.splitlines()
    )
    monkeypatch.setenv("LANA_DATABASE_URL", exported["LANA_DATABASE_URL"].strip("'"))
    users = {}
    for role in ("admin", "core_app", "extractor", "analyst", "orchestrator"):
        assert main(["db", "url", "--role", role]) == 0
        users[role] = conninfo_to_dict(capsys.readouterr().out.strip())["user"]
    assert users == {
        "admin": "postgres",
        "core_app": "lana_core_app",
        "extractor": "lana_extractor",
        "analyst": "lana_analyst",
        "orchestrator": "lana_orchestrator",
    }


def test_db_url_refuses_a_role_whose_url_a_configured_server_does_not_give(monkeypatch, capsys) -> None:
    monkeypatch.setenv("LANA_DATABASE_URL", "postgresql://lana_core_app@db.example:5432/lana")
    monkeypatch.delenv("LANA_ADMIN_URL", raising=False)
    assert main(["db", "url", "--role", "admin"]) == 1
    assert capsys.readouterr().err == (
        "lana-core: error: LANA_ADMIN_URL is not set: the admin role's URL on the server of "
        "LANA_DATABASE_URL is not known (set it; docs/security.md#roles)\n"
    )
    monkeypatch.setenv("LANA_ADMIN_URL", "postgresql://dba@db.example:5432/lana")
    assert main(["db", "url", "--role", "admin"]) == 0
    assert capsys.readouterr().out == "postgresql://dba@db.example:5432/lana\n"
