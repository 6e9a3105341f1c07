"""Meltano extract/load on real PostgreSQL: exact, incremental, gap-safe, crash-safe, faithful."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg.conninfo import make_conninfo

from core_app.adapters.unit_of_work import PostgresDatabase as Database
from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock, RandomIds
from core_app.domain.customer import Customer
from core_app.domain.deposit import DepositAccount
from core_app.domain.money import MAX_AMOUNT
from core_app.simulator import SimulationConfig, simulate
from orchestration.ingest.extract_load import REPO
from tests.el_helpers import assert_raw_equals_source, extract_load
from tests.helpers import active_facility, customer_with_account


def _simulate(core_url: str, customers: int, days: int, seed: int = 5) -> None:
    config = SimulationConfig(customers=customers, days=days, seed=seed, onboarding_days=10)
    simulate(core_url, config, progress=lambda _: None)


def _a_customer_written_not_committed(core_url: str, clock: BusinessClock):
    """A long transaction that has written a customer's events and not committed yet: its
    transaction id and global positions are taken now; leave it with `__exit__` to commit."""
    slow = Database(core_url, clock)
    long_txn = slow.unit_of_work().__enter__()
    late = Customer.onboard(
        RandomIds().new_id(), name="Late Lee", email="late@example.com", phone="1", country="US", tax_id="7"
    )
    long_txn.add(late)
    long_txn.commit()  # written, not yet committed
    return slow, long_txn, late


def _raw_count(warehouse_url: str, table: str) -> int:
    with psycopg.connect(warehouse_url) as conn:
        return conn.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]


def test_full_then_incremental_runs_copy_the_source_exactly(
    core_url: str, warehouse_url: str, clock: BusinessClock
) -> None:
    _simulate(core_url, customers=8, days=45)
    el = extract_load(core_url, warehouse_url)
    loaded = el.run()
    first = assert_raw_equals_source(core_url, warehouse_url)
    assert first["customer_events"][0] == 16 and first["ledger_entries"][0] > 100
    # What the run reports (Dagster's metadata) is what it loaded, stream by stream.
    assert loaded.records_per_stream == {name: count for name, (count, _) in sorted(first.items())}

    # More activity, then an incremental run.
    bank = Bank.connect(core_url, BusinessClock.at_start_of(date(2025, 3, 1)), RandomIds())
    _, account = customer_with_account(bank, "new@example.com")
    for amount in (1_00, 2_00, 3_00):
        bank.deposits.deposit(account, amount)
    bank.end_of_day.run(date(2025, 3, 1))
    bank.close()
    loaded = el.run()
    second = assert_raw_equals_source(core_url, warehouse_url)
    assert second["deposit_events"][0] == first["deposit_events"][0] + 3
    assert loaded.records_per_stream["deposit_events"] == 3

    # Nothing new: a third run changes nothing and duplicates nothing.
    el.run()
    assert assert_raw_equals_source(core_url, warehouse_url) == second


def test_a_transaction_that_commits_late_is_not_skipped(
    core_url: str, warehouse_url: str, clock: BusinessClock
) -> None:
    bank = Bank.connect(core_url, clock)
    customer_with_account(bank)
    el = extract_load(core_url, warehouse_url)
    el.run()

    # A long transaction takes its transaction id and global positions first...
    slow, long_txn, late = _a_customer_written_not_committed(core_url, clock)
    # ...then a quick one commits rows with later positions.
    quick = bank.customers.onboard(name="Quick Q", email="q@example.com", phone="1", country="US", tax_id="8")
    el.run()
    with psycopg.connect(core_url) as conn:
        positions = dict(
            conn.execute(
                "SELECT id, global_position FROM customer_events WHERE id = ANY(%s)", ([late.id, quick],)
            ).fetchall()
        )
    with psycopg.connect(warehouse_url) as conn:
        loaded = {r[0] for r in conn.execute("SELECT id FROM raw.customer_events")}
    assert positions == {quick: positions[quick]}  # the late rows are invisible until committed
    # Nothing at or above the oldest running transaction is read: the quick one waits too.
    assert quick not in loaded

    long_txn.__exit__(None, None, None)  # commits, after the quick one
    slow.close()
    el.run()
    assert_raw_equals_source(core_url, warehouse_url)
    with psycopg.connect(core_url) as conn:
        late_position = conn.execute(
            "SELECT global_position FROM customer_events WHERE id = %s", (late.id,)
        ).fetchone()[0]
    with psycopg.connect(warehouse_url) as conn:
        loaded = {r[0] for r in conn.execute("SELECT id FROM raw.customer_events")}
    # A bookmark on global_position would have skipped the late rows: their positions are lower.
    assert late_position < positions[quick]
    assert {late.id, quick} <= loaded
    bank.close()


@pytest.mark.slow
def test_extraction_during_concurrent_writes_ends_exact(
    core_url: str, warehouse_url: str, clock: BusinessClock
) -> None:
    setup = Bank.connect(core_url, clock)
    accounts = [customer_with_account(setup, f"c{i}@example.com")[1] for i in range(4)]
    setup.close()
    stop = threading.Event()
    errors: list[BaseException] = []

    def quick_writer(account_id) -> None:
        bank = Bank.connect(core_url, BusinessClock(clock.now()), RandomIds())
        try:
            while not stop.is_set():
                bank.deposits.deposit(account_id, 1_00)
        except BaseException as exc:
            errors.append(exc)
        finally:
            bank.close()

    def slow_writer(account_id) -> None:
        db = Database(core_url, BusinessClock(clock.now()))
        try:
            while not stop.is_set():
                with db.unit_of_work() as uow:
                    uow.load(DepositAccount, account_id).freeze("review")
                    uow.commit()
                    time.sleep(1.5)  # holds the transaction open across extraction runs
                with db.unit_of_work() as uow:
                    uow.load(DepositAccount, account_id).unfreeze()
                    uow.commit()
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=quick_writer, args=(a,)) for a in accounts[:3]]
    threads.append(threading.Thread(target=slow_writer, args=(accounts[3],)))
    for thread in threads:
        thread.start()
    el = extract_load(core_url, warehouse_url)
    try:
        for _ in range(3):
            el.run()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not errors, errors
    assert _raw_count(warehouse_url, "deposit_events") > 0
    el.run()
    counts = assert_raw_equals_source(core_url, warehouse_url)
    assert counts["deposit_events"][0] > 20


def test_killed_mid_load_then_rerun_is_exact(core_url: str, warehouse_url: str) -> None:
    _simulate(core_url, customers=15, days=60)
    # Small loader batches so that some rows are committed before the kill.
    el = extract_load(core_url, warehouse_url, TARGET_POSTGRES_BATCH_SIZE_ROWS="300")
    process = el.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if (
            _raw_count(warehouse_url, "btc_price_events")
            + _raw_count(warehouse_url, "credit_facility_events")
            > 0
        ):
            break
        time.sleep(0.2)
    assert process.poll() is None, "the run finished before it could be killed; make the data larger"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    # The killed run left a job marked running: --force takes over, as after a real crash.
    el.run("--force")
    assert_raw_equals_source(core_url, warehouse_url)


def test_large_amounts_nested_unicode_json_and_timestamps_survive(core_url: str, warehouse_url: str) -> None:
    moment = datetime(2025, 3, 9, 23, 59, 59, 123456, tzinfo=UTC)
    clock = BusinessClock(moment)
    bank = Bank.connect(core_url, clock, RandomIds())
    borrower = active_facility(bank)
    largest = 15_000_000 + MAX_AMOUNT  # the largest change one command may make
    bank.credit.update_collateral(borrower.facility_id, largest)
    bank.customers.onboard(
        name="Zoë Ñúñez-Øster 山田 🚀", email="zoe@example.com", phone="+34 600", country="ES", tax_id="X1"
    )
    bank.close()
    el = extract_load(core_url, warehouse_url)
    el.run()
    assert_raw_equals_source(core_url, warehouse_url)
    with psycopg.connect(warehouse_url) as conn:
        collateral = conn.execute(
            "SELECT (event ->> 'collateral_sats')::bigint, recorded_at FROM raw.credit_facility_events "
            "WHERE event_type = 'collateral_updated' ORDER BY sequence DESC LIMIT 1"
        ).fetchone()
        entry = conn.execute("SELECT max(amount) FROM raw.ledger_entries WHERE currency = 'BTC'").fetchone()
        name = conn.execute(
            "SELECT event ->> 'name' FROM raw.customer_events WHERE event ->> 'country' = 'ES'"
        ).fetchone()
        terms = conn.execute(
            "SELECT event -> 'terms' FROM raw.credit_facility_events WHERE event_type = 'initialized'"
        ).fetchone()
        types = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'raw' AND table_name = 'ledger_entries'"
            ).fetchall()
        )
    assert collateral == (largest, moment)
    assert entry == (MAX_AMOUNT,)
    assert name == ("Zoë Ñúñez-Øster 山田 🚀",)
    assert terms[0]["annual_rate_bps"] == 1200 and terms[0]["initial_cvl_bps"] == 14_000
    assert types["amount"] == "bigint" and types["recorded_at"] == "timestamp with time zone"


def test_prod_environment_takes_bigquery_settings_from_the_environment(core_url: str) -> None:
    """The BigQuery path cannot run here; its configuration is checked offline."""
    import json

    from orchestration.ingest.extract_load import el_environment
    from tests.el_helpers import meltano

    env = el_environment(
        core_url,
        core_url,
        LANA_BQ_PROJECT="acme-bank-prod",
        LANA_BQ_RAW_DATASET="lana_raw_test",
        LANA_BQ_LOCATION="EU",
        GOOGLE_APPLICATION_CREDENTIALS="/secrets/key.json",
    )
    result = meltano("--environment", "prod", "config", "print", "target-bigquery", env=env, timeout=120)
    config = json.loads(result.stdout)
    assert config["project"] == "acme-bank-prod"
    assert config["dataset"] == "lana_raw_test"
    assert config["location"] == "EU"
    assert config["credentials_path"] == "/secrets/key.json"
    assert config["upsert"] is True and config["denormalized"] is True
    assert config["partition_granularity"] == "day"


def test_a_bookmark_from_another_database_is_not_trusted(new_database, warehouse_url: str) -> None:
    """After a reset or a switch of server, transaction ids start over: re-extract, skip nothing."""
    other, first = new_database(), new_database()
    clock = BusinessClock.at_start_of(date(2025, 1, 1))
    for url, email in ((other, "other@example.com"), (first, "first@example.com")):
        bank = Bank.connect(url, clock, RandomIds())
        customer_with_account(bank, email)
        bank.close()
    el = extract_load(first, warehouse_url)
    el.run()
    # Same Meltano state, another database whose rows have older transaction ids than the bookmark.
    el.env = extract_load(other, warehouse_url).env
    el.run()
    with psycopg.connect(other) as conn:
        wanted = {r[0] for r in conn.execute("SELECT id FROM customer_events")}
    with psycopg.connect(warehouse_url) as conn:
        loaded = {r[0] for r in conn.execute("SELECT id FROM raw.customer_events")}
    assert wanted and wanted <= loaded


def _deposits(core_url: str, account, count: int) -> None:
    bank = Bank.connect(core_url, BusinessClock.at_start_of(date(2025, 1, 1)), RandomIds())
    for i in range(count):
        bank.deposits.deposit(account, 10_00 + i, f"deposit {i}")
    bank.close()


def _raw_ids(warehouse_url: str, table: str) -> set[str]:
    with psycopg.connect(warehouse_url) as conn:
        return {str(r[0]) for r in conn.execute(f"SELECT id FROM raw.{table}")}


def _core_ids(core_url: str, table: str) -> set[str]:
    with psycopg.connect(core_url) as conn:
        return {str(r[0]) for r in conn.execute(f"SELECT id FROM {table}")}


def test_a_bookmark_ahead_of_the_database_is_not_trusted(core_url: str, warehouse_url: str) -> None:
    """A valid but too-high bookmark (an edited state) would skip every row below it for good."""
    import json

    from tests.el_helpers import meltano

    bank = Bank.connect(core_url, BusinessClock.at_start_of(date(2025, 1, 1)), RandomIds())
    _, account = customer_with_account(bank)
    bank.close()
    _deposits(core_url, account, 3)
    el = extract_load(core_url, warehouse_url)
    el.run()
    state_id = f"dev:tap-lana-events-to-target-postgres:{el.state_suffix}"
    state = json.loads(meltano("state", "get", state_id, env=el.env).stdout)
    bookmarks = state["singer_state"]["bookmarks"]
    for stream in bookmarks.values():
        if "replication_key_value" in stream:
            stream["replication_key_value"] += 1_000_000
            stream.pop("last_row", None)  # only the bookmark is forged
    # A stream with no rows at all: its re-read leaves nothing to vouch for the new bookmark.
    bookmarks["withdrawal_events"]["last_row"] = {"id": str(uuid.uuid4()), "sequence": 1, "tx_id": 1}
    meltano("state", "set", "--force", state_id, json.dumps(state), env=el.env)
    _deposits(core_url, account, 4)
    el.run()
    assert _raw_ids(warehouse_url, "deposit_events") == _core_ids(core_url, "deposit_events")
    assert_raw_equals_source(core_url, warehouse_url)
    after = json.loads(meltano("state", "get", state_id, env=el.env).stdout)["singer_state"]["bookmarks"]
    assert "last_row" not in after["withdrawal_events"]  # or every later run would distrust it again


def test_after_a_physical_restore_nothing_is_skipped(warehouse_url: str, tmp_path) -> None:
    """Restore the core's whole server from a copy: transaction ids start again from the copy's, and
    new transactions soon pass the old bookmark. The rows read since the copy are gone: the tap sees
    that the last row it read is missing, and reads from the start instead of skipping."""
    import subprocess

    from core_app.adapters.embedded_server import EmbeddedPostgres
    from core_app.adapters.schema import prepare_database

    server = EmbeddedPostgres(tmp_path / "restored")
    try:
        server.start()
        core = server.url("lana")
        prepare_database(core)
        bank = Bank.connect(core, BusinessClock.at_start_of(date(2025, 1, 1)), RandomIds())
        _, account = customer_with_account(bank)
        bank.close()
        server.stop()
        backup = server.data_dir.with_name("backup")
        subprocess.run(["cp", "-a", str(server.data_dir), str(backup)], check=True)
        server.start()
        _deposits(core, account, 5)  # read by the next run, then lost in the restore
        el = extract_load(core, warehouse_url)
        el.run()
        server.stop()
        subprocess.run(["rm", "-rf", str(server.data_dir)], check=True)
        subprocess.run(["cp", "-a", str(backup), str(server.data_dir)], check=True)
        server.start()
        _deposits(core, account, 40)  # more transactions than were lost: past the old bookmark
        el.run()
        assert _core_ids(core, "deposit_events") <= _raw_ids(warehouse_url, "deposit_events")
        with psycopg.connect(core) as conn:
            entries = {
                r for r in conn.execute("SELECT transaction_id::text, entry_index FROM ledger_entries")
            }
        with psycopg.connect(warehouse_url) as conn:
            loaded = {
                r for r in conn.execute("SELECT transaction_id::text, entry_index FROM raw.ledger_entries")
            }
        assert entries <= loaded
    finally:
        server.stop()


def test_nothing_new_is_decided_from_the_bookmarks_and_never_hides_a_late_commit(
    core_url: str, warehouse_url: str, clock: BusinessClock
) -> None:
    """The refresh's no-op check reads Meltano's committed bookmarks and the core's tx_id
    indexes, without starting Meltano: it says "nothing new" exactly when a run would load
    nothing."""
    bank = Bank.connect(core_url, clock)
    customer_with_account(bank)
    el = extract_load(core_url, warehouse_url)
    assert not el.nothing_new()  # never loaded: no bookmark yet
    el.run()
    assert el.nothing_new()

    # A transaction running during a run, committed after it: its rows are new for the next one.
    slow, long_txn, _ = _a_customer_written_not_committed(core_url, clock)
    assert el.nothing_new()  # invisible until committed: a run would load nothing either
    el.run()
    long_txn.__exit__(None, None, None)
    slow.close()
    assert not el.nothing_new()
    el.run()
    assert_raw_equals_source(core_url, warehouse_url)
    assert el.nothing_new()

    bank.customers.onboard(name="New N", email="n@example.com", phone="1", country="US", tax_id="9")
    assert not el.nothing_new()
    bank.close()


def test_a_system_database_meltano_has_not_finished_creating_means_a_run_decides(
    core_url: str, warehouse_url: str, clock: BusinessClock, tmp_path: Path
) -> None:
    """A run killed while Meltano created its system database leaves the file without its
    tables: the no-op check must then say "load" (not fail), and the next run must load."""
    bank = Bank.connect(core_url, clock)
    customer_with_account(bank)
    bank.close()
    system_database = tmp_path / "meltano.db"
    system_database.touch(mode=0o600)
    el = extract_load(core_url, warehouse_url, MELTANO_DATABASE_URI=f"sqlite:///{system_database}")
    assert el.stored_bookmarks() is None
    assert not el.nothing_new()
    el.run()
    assert_raw_equals_source(core_url, warehouse_url)
    assert el.nothing_new()


@pytest.mark.parametrize("file_format", ["postgres_copy_text", "jsonl"])
def test_batch_files_carry_any_text_exactly_and_are_removed_once_loaded(
    core_url: str, warehouse_url: str, file_format: str
) -> None:
    """The tap's BATCH files are written by the core's database (in its COPY text format, as
    meltano.yml asks, or as Singer's JSON lines) and COPYed in by the loader: backslashes,
    quotes, tabs, newlines and the control characters either format uses must arrive as they
    were; the files hold personal data, so none may stay behind."""
    awkward = 'O\'Brien "the \\\\ back\\slash" \\N \t tab \n newline \r\x01\x02 end'
    bank = Bank.connect(core_url, BusinessClock(datetime(2025, 3, 9, tzinfo=UTC)), RandomIds())
    bank.customers.onboard(name=awkward, email="ob@example.com", phone="+1 555", country="IE", tax_id="IE-1")
    bank.close()
    folder = _batch_folder()
    left_by_killed_runs = set(folder.iterdir()) if folder.exists() else set()
    # Settings from the environment take precedence over meltano.yml's.
    batch_config = {
        **_batch_config(),
        "encoding": {"format": file_format, "compression": "none"},
        "storage": {"root": folder.as_uri()},
    }
    el = extract_load(core_url, warehouse_url, TAP_LANA_EVENTS_BATCH_CONFIG=json.dumps(batch_config))
    loaded = el.run()
    assert loaded.records_per_stream["customer_events"] > 0
    assert_raw_equals_source(core_url, warehouse_url)
    with psycopg.connect(warehouse_url) as conn:
        name = conn.execute(
            "SELECT event ->> 'name' FROM raw.customer_events WHERE event ->> 'country' = 'IE'"
        ).fetchone()
    assert name == (awkward,)
    assert folder.is_dir() and folder.stat().st_mode & 0o777 == 0o700
    assert set(folder.iterdir()) <= left_by_killed_runs


def _batch_config() -> dict:
    """The tap's BATCH settings in meltano.yml's dev environment."""
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    dev = next(e for e in project["environments"] if e["name"] == "dev")
    tap = next(p for p in dev["config"]["plugins"]["extractors"] if p["name"] == "tap-lana-events")
    return tap["config"]["batch_config"]


def _batch_folder() -> Path:
    """Where the tap writes its BATCH files."""
    root = _batch_config()["storage"]["root"]
    return Path(root.removeprefix("file://").replace("$MELTANO_PROJECT_ROOT", str(REPO)))


def test_dates_leave_the_core_in_iso_whatever_its_datestyle(core_url: str, warehouse_url: str) -> None:
    """The COPY text format writes dates and times as the session's DateStyle says: a core
    database set to day-first must not turn 9 March into 3 September in the raw layer."""
    bank = Bank.connect(core_url, BusinessClock(datetime(2025, 3, 9, 10, 30, tzinfo=UTC)), RandomIds())
    customer_with_account(bank)
    bank.close()
    with psycopg.connect(core_url, autocommit=True) as conn:
        name = conn.execute("SELECT current_database()").fetchone()[0]
        conn.execute(f"ALTER DATABASE \"{name}\" SET DateStyle = 'SQL, DMY'")
    extract_load(core_url, warehouse_url).run()
    with psycopg.connect(warehouse_url) as conn:
        days = conn.execute("SELECT DISTINCT recorded_at::date FROM raw.customer_events").fetchall()
    assert days == [(date(2025, 3, 9),)]
    # Compared in ISO (psycopg reads no other DateStyle).
    assert_raw_equals_source(make_conninfo(core_url, options="-c DateStyle=ISO,YMD"), warehouse_url)
