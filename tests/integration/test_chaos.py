"""A bounded chaos run: writers in two processes, the extract/load killed (-9) at random moments,
the core's database crashed (immediate stop) under load, then the raw layer must equal the core
row for row: nothing lost, nothing doubled."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from datetime import date
from pathlib import Path

import psycopg
import pytest

from core_app.adapters.embedded_server import EmbeddedPostgres
from core_app.adapters.schema import prepare_database
from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock, RandomIds
from tests.el_helpers import assert_raw_equals_source, extract_load
from tests.helpers import customer_with_account

pytestmark = pytest.mark.slow


def _write_until(core_url: str, account_id, stop: Path) -> None:
    """Deposits in a loop (its own process), riding out the database's crash by reconnecting."""
    bank = None
    while not stop.exists():
        try:
            bank = bank or Bank.connect(core_url, BusinessClock.at_start_of(date(2025, 1, 1)), RandomIds())
            bank.deposits.deposit(account_id, random.randint(1_00, 500_00), "chaos")
            time.sleep(0.02)  # a busy bank, not a benchmark: keeps the test bounded
        except psycopg.OperationalError:
            bank = None  # the server is down or restarting: connect again
            time.sleep(0.2)


def test_writers_kills_and_a_crash_leave_raw_equal_to_the_core(warehouse_url: str, tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "chaos")
    stop = tmp_path / "stop-writers"
    writers: list[multiprocessing.Process] = []
    try:
        server.start()
        core = server.url("lana")
        prepare_database(core)
        bank = Bank.connect(core, BusinessClock.at_start_of(date(2025, 1, 1)), RandomIds())
        accounts = [customer_with_account(bank, f"w{i}@example.com")[1] for i in range(2)]
        bank.close()
        context = multiprocessing.get_context("fork")
        writers = [context.Process(target=_write_until, args=(core, a, stop)) for a in accounts]
        for writer in writers:
            writer.start()

        el = extract_load(core, warehouse_url, TARGET_POSTGRES_BATCH_SIZE_ROWS="200")
        chance = random.Random(7)
        for round_ in range(4):
            running = el.start("--force")  # a killed run leaves Meltano's mark: take it over
            time.sleep(chance.uniform(2.0, 6.0))
            if round_ == 2:  # the core's server crashes under the extract/load and the writers
                server._pg_ctl("stop", "-m", "immediate", "-w")
                running.wait(timeout=120)
                server.start()
            else:
                os.killpg(running.pid, signal.SIGKILL)
                running.wait()
        el.run("--force")  # while the writers go on
        stop.touch()
        for writer in writers:
            writer.join(timeout=60)
        el.run("--force")  # Meltano keeps refusing plain runs for minutes after a kill, forced run or not
        counts = assert_raw_equals_source(core, warehouse_url)  # every row, every column
        assert counts["deposit_events"][0] > 50
    finally:
        stop.touch()
        for writer in writers:
            if writer.is_alive():
                writer.kill()
        server.stop()
