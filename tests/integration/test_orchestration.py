"""The Dagster code location, run in-process on the embedded PostgreSQL server: the whole graph
(EL, GX checks, dbt build and tests, report files), a corrupted raw layer, the outbox sensor."""

from __future__ import annotations

import csv
import hashlib
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import psycopg
import pytest
from openpyxl import load_workbook
from tap_lana_events.tables import TABLES

from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock, RandomIds
from core_app.simulator import SimulationConfig, simulate
from orchestration.cli import check_evaluations
from orchestration.delivery.catalog import delivered_reports
from orchestration.resources import CoreDatabase, MeltanoState, ReportOutput, Warehouse
from orchestration.transform.dbt_manifest import DBT_PROJECT, prepare_manifest
from tests.helpers import customer_with_account

BUSINESS_DATE = "2025-02-14"


def _definitions(core_url: str, warehouse_url: str, reports: Path, state: str = "") -> dg.Definitions:
    from dagster_dbt import DbtCliResource

    from orchestration.definitions import build_definitions

    return build_definitions(
        {
            "core": CoreDatabase(url=core_url),
            "warehouse": Warehouse(url=warehouse_url),
            "meltano_state": MeltanoState(suffix=state or f"test{uuid.uuid4().hex[:10]}"),
            "report_output": ReportOutput(directory=str(reports)),
            "dbt": DbtCliResource(project_dir=DBT_PROJECT),
        }
    )


def _run(
    defs: dg.Definitions, partition: str, instance: dg.DagsterInstance | None = None
) -> dg.ExecuteInProcessResult:
    with dg.DagsterInstance.ephemeral() as ephemeral:
        return defs.resolve_job_def("daily_reports").execute_in_process(
            partition_key=partition, instance=instance or ephemeral, raise_on_error=False
        )


def _sql(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


@pytest.fixture(scope="module")
def flow(module_database, tmp_path_factory):
    """A small simulated bank, then the daily job twice for the same business date."""
    prepare_manifest(force=True)
    core_url, warehouse_url = module_database(), module_database(migrated=False)
    simulate(core_url, SimulationConfig(customers=14, days=45, seed=11))
    reports = tmp_path_factory.mktemp("reports")
    defs = _definitions(core_url, warehouse_url, reports)
    instance = dg.DagsterInstance.ephemeral()  # kept: the monitoring tests read the runs back
    first = _run(defs, BUSINESS_DATE, instance)
    manifest_after_first = (reports / BUSINESS_DATE / "manifest.json").read_bytes() if first.success else b""
    files_after_first = _delivered(reports / BUSINESS_DATE)
    second = _run(defs, BUSINESS_DATE, instance)
    yield {
        "core": core_url,
        "warehouse": warehouse_url,
        "folder": reports / BUSINESS_DATE,
        "first": first,
        "second": second,
        "manifest_after_first": manifest_after_first,
        "files_after_first": files_after_first,
        "defs": defs,
        "instance": instance,
    }
    instance.dispose()


def test_the_definitions_load() -> None:
    from orchestration.definitions import build_definitions
    from orchestration.resources import resources_from_environment

    defs = build_definitions(resources_from_environment())
    dg.Definitions.validate_loadable(defs)
    reports = delivered_reports()
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw/deposit_events", "raw/ledger_entries", "staging/stg_deposit_events"} <= keys
    assert {f"reports/{spec.table}" for spec in reports} <= keys and "finance_report_files" in keys
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert ("raw/ledger_entries", "great_expectations") in checks
    assert ("reports/balance_sheet", "great_expectations") in checks
    assert sum(1 for _, name in checks if name.startswith(("unique", "not_null"))) > 20  # dbt tests
    files = graph.get(dg.AssetKey("finance_report_files"))
    assert {dg.AssetKey(["reports", spec.table]) for spec in reports} == set(files.parent_keys)
    assert ("finance_report_files", "delivered_on_time") in checks
    assert ("raw/outbox_events", "keeps_up_with_core") in checks
    assert {s.name for s in defs.sensors} >= {"alert_on_run_failure", "night_summary", "freshness_alerts"}
    schedule = defs.resolve_schedule_def("daily_reports_fallback")
    assert schedule.cron_schedule == "0 2 * * *" and schedule.execution_timezone == "UTC"
    assert defs.resolve_sensor_def("business_day_closed").job_name == "daily_reports"
    assert defs.resolve_sensor_def("new_outbox_events").job_name == "refresh_raw_layer"


def test_the_whole_graph_produces_report_files_that_equal_the_report_tables(flow) -> None:
    result: dg.ExecuteInProcessResult = flow["first"]
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    evaluations = check_evaluations(result)
    assert len(evaluations) > 100 and all(c.passed for c in evaluations)

    # The extract/load's metadata: what it loaded, stream by stream.
    loaded = result.asset_materializations_for_node("extract_load")
    by_stream = {m.asset_key.path[-1]: m.metadata["records_loaded"].value for m in loaded}
    (deposits,) = _sql(flow["core"], "SELECT count(*) FROM deposit_events")[0]
    assert by_stream["deposit_events"] == deposits > 0

    folder: Path = flow["folder"]
    manifest = (folder / "manifest.json").read_text()
    for spec in delivered_reports():
        with (folder / f"{spec.table}.csv").open() as handle:
            rows = list(csv.DictReader(handle))
        table = f"reports.{spec.table}"
        assert len(rows) == _sql(flow["warehouse"], f"SELECT count(*) FROM {table}")[0][0], table
        for column in spec.money_columns:
            in_file = sum(Decimal(r[column.removesuffix("_cents") + " (USD)"] or 0) for r in rows)
            (in_table,) = _sql(flow["warehouse"], f"SELECT coalesce(sum({column}), 0) FROM {table}")[0]
            assert in_file * 100 == in_table, f"{table}.{column}"
        assert hashlib.sha256((folder / f"{spec.table}.csv").read_bytes()).hexdigest() in manifest

    workbook = load_workbook(folder / f"finance-reports-{BUSINESS_DATE}.xlsx")
    sheet = workbook["Loan portfolio"]
    header = [c.value for c in sheet[1]]
    column = header.index("principal_outstanding (USD)")
    in_sheet = sum(Decimal(str(row[column].value)) for row in sheet.iter_rows(min_row=2))
    (in_table,) = _sql(flow["warehouse"], "SELECT sum(principal_outstanding) FROM reports.loan_portfolio")[0]
    assert in_table > 0 and in_sheet * 100 == in_table
    (as_of,) = _sql(flow["warehouse"], "SELECT DISTINCT as_of_date FROM reports.balance_sheet")[0]
    assert as_of == date.fromisoformat(BUSINESS_DATE)


def test_the_same_partition_twice_gives_identical_files(flow) -> None:
    assert flow["second"].success
    again = _delivered(flow["folder"])
    assert again.keys() == flow["files_after_first"].keys()
    assert [name for name in again if again[name] != flow["files_after_first"][name]] == []
    assert (flow["folder"] / "manifest.json").read_bytes() == flow["manifest_after_first"]
    # The second extract/load found nothing new and loaded nothing twice.
    loaded = flow["second"].asset_materializations_for_node("extract_load")
    assert loaded and sum(m.metadata["records_loaded"].value for m in loaded) == 0


def test_a_file_failing_its_schema_fails_the_delivery_and_its_blocking_check(flow) -> None:
    """A regulatory file that fails its XSD: the delivery asset fails with the file, element and
    rule, its blocking check `files_pass_their_schemas` fails with each error, nothing is written."""
    from orchestration.delivery.assets import FILES_PASS_THEIR_SCHEMAS, FINANCE_REPORT_FILES

    corrupt = (
        "UPDATE reports.regulatory_account_balances SET regulatory_name = {}(regulatory_name) "
        f"WHERE as_of_date = '{BUSINESS_DATE}' AND regulatory_code = '110100'"
    )
    with psycopg.connect(flow["warehouse"]) as conn:
        conn.execute(corrupt.format("lower"))
    try:
        before = _delivered(flow["folder"])
        result = dg.materialize(
            [flow["defs"].resolve_assets_def(FINANCE_REPORT_FILES)],  # its resources: the flow's
            partition_key=BUSINESS_DATE,
            raise_on_error=False,
        )
    finally:
        with psycopg.connect(flow["warehouse"]) as conn:
            conn.execute(corrupt.format("upper"))
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "regulatory_account_balances.xml /accountBalances/account[1]/regulatory_name" in str(
        failure.step_failure_data.error
    )
    # Once: a refused delivery is not retried (the same rows would fail the same way).
    (evaluation,) = [c for c in check_evaluations(result) if c.check_name == FILES_PASS_THEIR_SCHEMAS]
    assert not evaluation.passed and evaluation.severity is dg.AssetCheckSeverity.ERROR
    assert "value doesn't match any pattern" in evaluation.metadata["errors"].value
    # The date's earlier delivery stands as it was: nothing of the refused one was written.
    assert _delivered(flow["folder"]) == before


def test_corrupted_raw_data_fails_the_checks_and_stops_before_the_reports(
    new_database,
    tmp_path,
    alert_channels,
) -> None:
    core_url, warehouse_url = new_database(), new_database(migrated=False)
    simulate(core_url, SimulationConfig(customers=6, days=12, seed=3))
    with psycopg.connect(core_url) as conn:
        # Behind the core's back: an event its domain would refuse...
        (account,) = conn.execute("SELECT id FROM deposit_account_events LIMIT 1").fetchone()
        conn.execute(
            "INSERT INTO deposit_events (id, sequence, event_type, event, recorded_at) "
            "VALUES (gen_random_uuid(), 1, 'initialized', jsonb_build_object('type', 'initialized', "
            "'deposit_account_id', %s::text, 'amount', -50000, 'reference', 'manual fix'), "
            "'2025-01-10 12:00+00')",
            (account,),
        )
        # ...and a one-sided ledger transaction, with the ledger's triggers switched off.
        conn.execute("SET session_replication_role = replica")
        (journal,) = conn.execute("SELECT id FROM ledger_journals LIMIT 1").fetchone()
        (cash,) = conn.execute("SELECT id FROM ledger_accounts WHERE currency = 'USD' LIMIT 1").fetchone()
        transaction = uuid.uuid4()
        conn.execute(
            "INSERT INTO ledger_transactions (id, journal_id, template, effective_date, correlation_id,"
            " description, recorded_at) VALUES (%s, %s, 'manual', '2025-01-10', %s, 'manual fix',"
            " '2025-01-10 12:00+00')",
            (transaction, journal, uuid.uuid4()),
        )
        conn.execute(
            "INSERT INTO ledger_entries (transaction_id, entry_index, account_id, side, amount, currency,"
            " effective_date, recorded_at) VALUES (%s, 0, %s, 'debit', 50000, 'USD', '2025-01-10',"
            " '2025-01-10 12:00+00')",
            (transaction, cash),
        )

    reports = tmp_path / "reports"
    with dg.DagsterInstance.ephemeral() as instance:
        result = _run(_definitions(core_url, warehouse_url, reports), "2025-01-12", instance)
        _alert_on_failure(instance, result.run_id)

    assert not result.success
    failed = {
        c.asset_key.to_user_string(): c.description or "" for c in check_evaluations(result) if not c.passed
    }
    assert set(failed) == {"raw/deposit_events", "raw/ledger_entries"}
    assert "deposit 'initialized' events with a non-positive amount" in failed["raw/deposit_events"]
    assert "debits and credits differ" in failed["raw/ledger_entries"]
    materialized = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert materialized and all(key.startswith("raw/") for key in materialized)  # nothing after the raw layer
    assert not reports.exists()
    schemas = _sql(warehouse_url, "SELECT schema_name FROM information_schema.schemata")
    assert ("reports",) not in schemas

    # One alert on each channel, naming the date, the failed checks and their first error line.
    emails, posts = alert_channels
    assert len(emails) == len(posts) == 1 and posts[0]["kind"] == "run_failed"
    assert " ".join(emails[0]["Subject"].split()).startswith(
        "[lana] daily_reports 2025-01-12 failed: check raw/"
    )
    text = posts[0]["text"]
    assert "check raw/deposit_events great_expectations:" in text and "non-positive amount" in text
    assert f"http://dagster.bank.example/runs/{result.run_id}" in text


def _alert_on_failure(instance: dg.DagsterInstance, run_id: str) -> None:
    """What the daemon does when a run fails: evaluate the failure sensor for it."""
    from orchestration.monitoring.run_reports import alert_on_run_failure

    run = instance.get_run_by_id(run_id)
    (failure,) = [
        entry.dagster_event
        for entry in instance.all_logs(run_id)
        if entry.dagster_event and entry.dagster_event.event_type == dg.DagsterEventType.RUN_FAILURE
    ]
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure", dagster_instance=instance, dagster_run=run, dagster_event=failure
    ).for_run_failure()
    alert_on_run_failure(context)


def test_the_outbox_sensor_starts_the_extract_load_only_for_new_events(new_database) -> None:
    from orchestration.ingest.sensors import new_outbox_events
    from orchestration.resources import MeltanoState
    from tests.el_helpers import extract_load

    core_url, warehouse_url = new_database(), new_database(migrated=False)
    simulate(core_url, SimulationConfig(customers=3, days=3, seed=2))
    core = CoreDatabase(url=core_url)
    el = extract_load(core_url, warehouse_url)
    resources = {
        "core": core,
        "warehouse": Warehouse(url=warehouse_url),
        "meltano_state": MeltanoState(suffix=el.state_suffix),
    }
    first = new_outbox_events(dg.build_sensor_context(resources=resources))
    assert len(first.run_requests) == 1 and int(first.cursor) == core.outbox_count() > 0

    idle = new_outbox_events(dg.build_sensor_context(cursor=first.cursor, resources=resources))
    assert not idle.run_requests and "no new outbox events" in idle.skip_reason.skip_message

    # Loaded by another way (lana-flow run, el.sh) before the sensor first looked: nothing to start.
    el.run()
    fresh = new_outbox_events(dg.build_sensor_context(resources=resources))
    assert not fresh.run_requests and fresh.cursor == first.cursor
    assert "the raw layer already holds every outbox event" in fresh.skip_reason.skip_message

    bank = Bank.connect(core_url, BusinessClock.at_start_of(date(2025, 3, 1)), RandomIds())
    _, account = customer_with_account(bank, "late@example.com")
    bank.deposits.deposit(account, 5_00)
    bank.close()
    later = new_outbox_events(dg.build_sensor_context(cursor=first.cursor, resources=resources))
    assert len(later.run_requests) == 1 and int(later.cursor) > int(first.cursor)
    assert later.run_requests[0].run_key != first.run_requests[0].run_key


def test_a_killed_extract_load_does_not_block_the_next_run(new_database, tmp_path) -> None:
    """A killed `meltano run` leaves its job marked running; the next Dagster run takes over."""
    import os
    import signal
    import time

    from orchestration.ingest.extract_load import ExtractLoad
    from tests.el_helpers import assert_raw_equals_source

    core_url, warehouse_url = new_database(), new_database(migrated=False)
    simulate(core_url, SimulationConfig(customers=12, days=60, seed=4))
    state = f"test{uuid.uuid4().hex[:10]}"
    killed = ExtractLoad(
        core_url, warehouse_url, state_suffix=state, extra_env={"TARGET_POSTGRES_BATCH_SIZE_ROWS": "200"}
    ).start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and killed.poll() is None:
        tables = _sql(
            warehouse_url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw'"
        )
        if tables[0][0] and _sql(warehouse_url, "SELECT count(*) FROM raw.btc_price_events")[0][0]:
            break
        time.sleep(0.2)
    assert killed.poll() is None, "the run finished before it could be killed; make the data larger"
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()

    defs = _definitions(core_url, warehouse_url, tmp_path / "reports", state=state)
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("refresh_raw_layer").execute_in_process(
            instance=instance, raise_on_error=False
        )
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    assert_raw_equals_source(core_url, warehouse_url)


def test_a_raw_row_lost_after_loading_fails_the_completeness_check(new_database, tmp_path) -> None:
    """The tap's bookmarks keep the raw layer complete; this check would see them fail."""
    core_url, warehouse_url = new_database(), new_database(migrated=False)
    simulate(core_url, SimulationConfig(customers=4, days=8, seed=6))
    defs = _definitions(core_url, warehouse_url, tmp_path / "reports")

    def refresh() -> dg.ExecuteInProcessResult:
        with dg.DagsterInstance.ephemeral() as instance:
            return defs.resolve_job_def("refresh_raw_layer").execute_in_process(
                instance=instance, raise_on_error=False
            )

    first = refresh()
    complete = [c for c in check_evaluations(first) if c.check_name == "complete"]
    assert first.success and len(complete) == len(TABLES) and all(c.passed for c in complete)
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("DELETE FROM raw.deposit_events WHERE ctid = (SELECT min(ctid) FROM raw.deposit_events)")
    (deposits,) = _sql(core_url, "SELECT count(*) FROM deposit_events")[0]

    second = refresh()
    assert not second.success
    failed = {
        c.asset_key.to_user_string(): c.description
        for c in check_evaluations(second)
        if not c.passed and c.check_name == "complete"
    }
    assert list(failed) == ["raw/deposit_events"]
    assert f"the core has {deposits:,} rows" in failed["raw/deposit_events"]
    assert f"but the raw layer {deposits - 1:,} rows" in failed["raw/deposit_events"]
    # The ledger checks see it too: a deposit's ledger transaction without its event.
    gx = {c.asset_key.to_user_string(): c.description for c in check_evaluations(second) if not c.passed}
    assert (
        "DEPOSIT ledger transactions without their deposit 'initialized' event"
        in gx["raw/ledger_transactions"]
    )


def test_a_run_whose_process_died_is_failed_so_the_queue_moves_on() -> None:
    import subprocess

    from dagster._core.storage.dagster_run import DagsterRun

    from orchestration.monitoring.run_health import fail_orphaned_runs, orphaned_runs, worker_tags

    gone = subprocess.Popen(["true"])
    gone.wait()
    with dg.DagsterInstance.ephemeral() as instance:
        dead = DagsterRun(
            job_name="daily_reports",
            run_id=str(uuid.uuid4()),
            status=dg.DagsterRunStatus.STARTED,
            tags={**worker_tags("dead-run"), "lana/pid": str(gone.pid)},
        )
        alive = DagsterRun(
            job_name="daily_reports",
            run_id=str(uuid.uuid4()),
            status=dg.DagsterRunStatus.STARTED,
            tags=worker_tags("live-run"),
        )
        other_host = DagsterRun(
            job_name="daily_reports",
            run_id=str(uuid.uuid4()),
            status=dg.DagsterRunStatus.STARTED,
            tags={"lana/host": "elsewhere", "lana/pid": str(gone.pid)},
        )
        for run in (dead, alive, other_host):
            instance.add_run(run)
        result = orphaned_runs(dg.build_sensor_context(instance=instance))
        assert result.skip_message == f"marked failed: {dead.run_id}"
        status = {r.run_id: r.status for r in instance.get_runs()}
        assert status == {
            dead.run_id: dg.DagsterRunStatus.FAILURE,
            alive.run_id: dg.DagsterRunStatus.STARTED,  # this very process
            other_host.run_id: dg.DagsterRunStatus.STARTED,  # not ours to judge
        }
        assert fail_orphaned_runs(instance) == []


def _delivered(folder: Path) -> dict[str, bytes]:
    """Every file of a delivery (its restricted folder's included), by its path in the delivery."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(") ", 1)[1].split()[1]) == pid:
                found.append(
                    (int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
                )
        except (OSError, ValueError, IndexError):
            continue
    return found


@pytest.mark.slow
def test_a_killed_lana_flow_run_does_not_block_the_next(module_database, tmp_path) -> None:
    """Kill `lana-flow run` (its process alone, kill -9) while dbt, its child, builds: the run stays
    STARTED and dbt goes on; the next run marks it failed, ends the dbt it left, and completes."""
    import os
    import signal
    import subprocess
    import time

    from orchestration.ingest.extract_load import REPO
    from tests.flow_helpers import flow_environment, lana_flow, lana_flow_command

    core_url, warehouse_url, dagster_url = module_database(), module_database(False), module_database(False)
    simulate(core_url, SimulationConfig(customers=6, days=20, seed=9))
    environment = {
        **flow_environment(core_url, dagster_url, tmp_path),
        "LANA_WAREHOUSE_URL": warehouse_url,
        "LANA_REPORTS_DIR": str(tmp_path / "reports"),
    }
    business_date = date(2025, 1, 20)
    killed = subprocess.Popen(
        lana_flow_command(business_date),
        cwd=REPO,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    dbt: list[tuple[int, str]] = []
    while time.monotonic() < deadline and not dbt:
        time.sleep(0.2)
        dbt = [child for child in _children(killed.pid) if "dbt build" in child[1]]
    assert dbt, "dbt never started"
    started = _sql(dagster_url, "SELECT run_id FROM runs WHERE status = 'STARTED'")
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert Path(f"/proc/{dbt[0][0]}").exists()  # the child outlives its parent

    output = lana_flow(environment, business_date)
    assert f"marked run {started[0][0]} (ended the " in output
    assert "process(es) it left running) failed: the process that ran it is gone" in output
    dbt_state = Path(f"/proc/{dbt[0][0]}/stat")
    assert not dbt_state.exists() or dbt_state.read_text().split(") ", 1)[1].startswith("Z")
    statuses = dict(_sql(dagster_url, "SELECT run_id, status FROM runs"))
    assert statuses[started[0][0]] == "FAILURE" and sorted(statuses.values()) == ["FAILURE", "SUCCESS"]


def _has_runs(url: str) -> bool:
    return _sql(url, "SELECT to_regclass('runs') IS NOT NULL")[0][0]


def test_the_nights_summary_is_sent_and_stored_with_the_run(flow, alert_channels) -> None:
    import json

    from orchestration.monitoring.run_reports import SUMMARY_TAG, report_run

    emails, posts = alert_channels
    run_id = flow["first"].run_id
    message = report_run(flow["instance"], run_id)
    assert len(emails) == len(posts) == 1 and posts[0]["kind"] == "night_summary"
    fields = posts[0]["fields"]
    assert fields["checks_failed"] == 0 and fields["checks_passed"] > 100
    (deposits,) = _sql(flow["core"], "SELECT count(*) FROM deposit_events")[0]
    assert fields["records_loaded"]["deposit_events"] == deposits
    (lines,) = _sql(
        flow["warehouse"], f"SELECT count(*) FROM reports.balance_sheet WHERE as_of_date = '{BUSINESS_DATE}'"
    )[0]
    assert fields["report_rows"]["balance_sheet"] == lines > 0
    assert {"extract_load", "dbt_models", "finance_report_files"} <= set(fields["seconds_per_step"])
    assert " ".join(emails[0]["Subject"].split()) == message.subject
    assert f"http://dagster.bank.example/runs/{run_id}" in emails[0].get_payload()
    stored = flow["instance"].get_run_by_id(run_id).tags[SUMMARY_TAG]
    assert json.loads(stored)["report_rows"] == fields["report_rows"]


def test_freshness_checks_pass_once_the_last_closed_day_is_delivered(flow) -> None:
    """The simulated core's last closed day is the one the flow ran: delivered, and raw caught up."""
    result = (
        flow["defs"]
        .resolve_job_def("freshness_checks")
        .execute_in_process(instance=flow["instance"], raise_on_error=False)
    )
    evaluations = check_evaluations(result)
    assert len(evaluations) == 2 and all(c.passed for c in evaluations), [
        c.description for c in evaluations if not c.passed
    ]
    lag = next(c for c in evaluations if c.check_name == "keeps_up_with_core")
    assert lag.metadata["lag_events"].value == 0
    files = flow["first"].asset_materializations_for_node("finance_report_files")[0]
    assert isinstance(files.metadata["rows_balance_sheet"].value, int)  # plotted across dates by the UI
    assert isinstance(files.metadata["seconds"].value, float)
    raw = flow["first"].asset_materializations_for_node("extract_load")[0]
    assert isinstance(raw.metadata["records_loaded"].value, int)
    assert isinstance(raw.metadata["extract_load_seconds"].value, float)
