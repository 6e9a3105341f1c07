"""`scripts/el.sh` alone never loses rows silently: after a physical restore of the core it reads
what the restore rewound again, checks the raw layer against the core as the flow does, and when
they differ exits non-zero naming the streams and the one command that repairs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from core_app.adapters.embedded_server import SUPERUSER, EmbeddedPostgres
from core_app.adapters.schema import prepare_database
from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock, RandomIds
from core_app.simulator import SimulationConfig, simulate
from orchestration.ingest.extract_load import REPO
from tests.dbt_helpers import TEST_PII_KEY
from tests.el_helpers import assert_raw_equals_source, meltano
from tests.flow_helpers import INHERITED
from tests.helpers import customer_with_account

STATE_ID = "dev:tap-lana-events-to-target-postgres"  # the state scripts/el.sh shares with the flow


def _el_sh(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    """`bash scripts/el.sh ...` exactly as the docs give it (docs/operators.md)."""
    return subprocess.run(
        ["bash", "scripts/el.sh", *arguments],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _environment(core_url: str, warehouse_url: str, work: Path) -> dict[str, str]:
    """The core and warehouse of the test, and Meltano bookmarks and a personal-data key of its own."""
    key_file = work / "pii.key"
    key_file.write_text(TEST_PII_KEY.hex())
    key_file.chmod(0o600)
    return {
        **{k: v for k, v in os.environ.items() if k not in INHERITED},
        "LANA_DATABASE_URL": core_url,
        "LANA_WAREHOUSE_URL": warehouse_url,
        "MELTANO_DATABASE_URI": f"sqlite:///{work / 'meltano.db'}",
        "LANA_PII_KEY_FILE": str(key_file),
    }


def _activity(core_url: str, deposits: int, email: str) -> UUID:
    bank = Bank.connect(core_url, BusinessClock.at_start_of(date(2025, 1, 1)), RandomIds())
    _, account = customer_with_account(bank, email)
    for i in range(deposits):
        bank.deposits.deposit(account, 10_00 + i, f"deposit {i}")
    bank.close()
    return account


def _deposits(core_url: str, account: UUID, count: int) -> None:
    bank = Bank.connect(core_url, BusinessClock.at_start_of(date(2025, 1, 1)), RandomIds())
    for i in range(count):
        bank.deposits.deposit(account, 20_00 + i)
    bank.close()


def _pg_basebackup(server: EmbeddedPostgres, into: Path) -> None:
    """A physical copy of the running server, as an operator's backup takes it."""
    port = server.running_port()
    binaries = server._bin_dir()
    subprocess.run(
        [
            *(str(binaries / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER),
            *("-D", str(into), "-X", "stream", "--checkpoint=fast", "--no-password"),
        ],
        env={
            "PGPASSWORD": server.passwords.password(SUPERUSER),
            "LD_LIBRARY_PATH": str(binaries.parent / "lib"),
            "PATH": "/usr/bin:/bin",
        },
        check=True,
        capture_output=True,
    )


def _restore(server: EmbeddedPostgres, backup: Path) -> None:
    server.stop()
    shutil.rmtree(server.data_dir)
    shutil.copytree(backup, server.data_dir, symlinks=True)
    server.start()


def _ids(url: str, relation: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {str(row[0]) for row in conn.execute(f"SELECT id FROM {relation}")}


@pytest.mark.slow
def test_after_a_pg_basebackup_restore_el_sh_reads_again_and_names_what_the_restore_left_in_raw(
    warehouse_url: str, tmp_path: Path
) -> None:
    """The issue's case: a backup, then writes, an extract/load, a restore, then new writes with
    transaction ids below the bookmark. The customer, deposit-account and ledger-account streams'
    last rows predate the backup, so only the mark the last run wrote tells that the core was
    restored; every stream is read again and nothing is skipped. The deposits the restore lost
    are still in the raw layer: el.sh exits 1 naming those streams and the repair, which makes
    the raw layer equal the core."""
    server = EmbeddedPostgres(tmp_path / "core")
    try:
        server.start()
        core = server.url("lana")
        prepare_database(core)
        environment = _environment(core, warehouse_url, tmp_path)
        account = _activity(core, 2, "before@example.com")
        _pg_basebackup(server, tmp_path / "backup")
        _deposits(core, account, 30)  # read by the next run, then lost in the restore
        assert _el_sh(environment).returncode == 0
        _restore(server, tmp_path / "backup")
        # A new customer: transaction ids below the bookmark of streams whose last row predates
        # the backup (the customer's, the deposit account's, the ledger accounts').
        _activity(core, 40, "after@example.com")

        second = _el_sh(environment)
        assert second.returncode == 1, second.stdout + second.stderr
        assert "the core no longer holds the mark its last run wrote" in second.stderr  # default level
        for table in ("customer_events", "deposit_account_events", "deposit_events", "ledger_accounts"):
            assert _ids(core, table) <= _ids(warehouse_url, f"raw.{table}"), table  # nothing skipped
        assert "the raw layer does not equal the core" in second.stderr
        repair = next(line for line in second.stderr.splitlines() if line.startswith("Repair"))
        assert "deposit_events" in repair and "customer_events" not in repair
        command = repair.split(": ", 1)[1].split()
        assert command[:3] == ["bash", "scripts/el.sh", "--reread"]

        repaired = _el_sh(environment, *command[2:])
        assert repaired.returncode == 0, repaired.stdout + repaired.stderr
        assert "complete: every raw table equals the core" in repaired.stdout
        assert_raw_equals_source(core, warehouse_url)
        assert _el_sh(environment).returncode == 0  # and the next plain run is clean
    finally:
        server.stop()


@pytest.mark.slow
def test_a_forged_plausible_bookmark_is_named_by_el_sh_and_repaired_by_the_command_it_gives(
    core_url: str, warehouse_url: str, tmp_path: Path
) -> None:
    """A bookmark moved forward by hand, below the database's watermark and with the run's own
    mark: the tap cannot tell, so rows are skipped; el.sh's completeness check names the stream and
    its repair re-reads only that stream. A warehouse dbt has built is rebuilt from it."""
    environment = _environment(core_url, warehouse_url, tmp_path)
    simulate(core_url, SimulationConfig(customers=3, days=5, seed=4), progress=lambda _: None)
    account = _activity(core_url, 3, "ann@example.com")
    assert _el_sh(environment).returncode == 0
    built = subprocess.run(
        ["bash", "scripts/dbt.sh", "build"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-3000:]
    bank = Bank.connect(core_url, BusinessClock.at_start_of(date(2025, 1, 1)), RandomIds())
    for i in range(4):
        bank.deposits.deposit(account, 1_00 + i)
    bank.close()
    state = json.loads(meltano("state", "get", STATE_ID, env=environment).stdout)
    with psycopg.connect(core_url) as conn:
        (newest,) = conn.execute("SELECT max(tx_id)::text::bigint FROM deposit_events").fetchone()
    forged = state["singer_state"]["bookmarks"]["deposit_events"]
    forged["replication_key_value"] = newest + 1  # past the new deposits, below the watermark
    forged.pop("last_row")
    meltano("state", "set", "--force", STATE_ID, json.dumps(state), env=environment)

    run = _el_sh(environment)
    assert run.returncode == 1
    assert "deposit_events: below the watermark" in run.stderr and "ledger_entries" not in run.stderr
    assert "Repair (reads only these streams again): bash scripts/el.sh --reread deposit_events" in run.stderr

    repaired = _el_sh(environment, "--reread", "deposit_events")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    with psycopg.connect(core_url) as conn:
        (deposits,) = conn.execute("SELECT count(*) FROM deposit_events").fetchone()
    assert f"(deposit_events {deposits})" in repaired.stdout
    assert_raw_equals_source(core_url, warehouse_url)
    with psycopg.connect(warehouse_url) as conn:
        staged = {str(r[0]) for r in conn.execute("SELECT deposit_id FROM staging.stg_deposit_events")}
    assert staged == _ids(core_url, "deposit_events")  # the new deposits staged too


def test_el_sh_refuses_an_unknown_stream_to_reread(core_url: str, warehouse_url: str, tmp_path: Path) -> None:
    run = _el_sh(_environment(core_url, warehouse_url, tmp_path), "--reread", "deposits")
    assert run.returncode == 1
    assert "no such stream: deposits; the streams: btc_price_events, business_day_events" in run.stderr
