"""Monitoring for data engineers: the reports follow the core's closed business days, and a late
report or a lagging raw layer produces exactly one alert on each channel."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import dagster as dg
import psycopg

from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock, RandomIds
from core_app.simulator import SimulationConfig, simulate
from orchestration.ingest.extract_load import ExtractLoad
from orchestration.jobs import DELIVERED
from orchestration.monitoring.freshness import freshness_alerts
from orchestration.resources import CoreDatabase, Warehouse
from orchestration.transform.business_day_triggers import business_day_closed, daily_reports_fallback
from tests.helpers import customer_with_account


def test_closing_a_business_day_starts_that_days_reports(new_database, tmp_path) -> None:
    core_url = new_database()
    simulate(core_url, SimulationConfig(customers=2, days=3, seed=2))  # closes 1 to 3 January
    core = CoreDatabase(url=core_url)
    with dg.DagsterInstance.local_temp(tempdir=str(tmp_path)) as instance:

        def tick(cursor: str | None = None) -> dg.SensorResult:
            context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"core": core})
            return business_day_closed(context)

        first = tick()
        assert [r.partition_key for r in first.run_requests] == [
            "2025-01-03"
        ] and first.cursor == "2025-01-03"

        idle = tick(first.cursor)
        assert not idle.run_requests
        assert idle.skip_reason.skip_message == "no newly closed business day (last closed: 2025-01-03)"

        bank = Bank.connect(core_url, BusinessClock.at_start_of(date(2025, 1, 4)), RandomIds())
        bank.end_of_day.run(date(2025, 1, 4))
        bank.end_of_day.run(date(2025, 1, 4))  # a re-run closes nothing twice
        bank.close()
        later = tick(first.cursor)
        assert [(r.partition_key, r.run_key) for r in later.run_requests] == [
            ("2025-01-04", "business-day-2025-01-04")
        ]
        # A day delivered already (by `lana-flow run`, before the UI was first opened) is not run again.
        for key in DELIVERED:
            instance.report_runless_asset_event(dg.AssetMaterialization(key, partition="2025-01-04"))
        delivered = tick(first.cursor)
        assert not delivered.run_requests and delivered.cursor == "2025-01-04"
        assert delivered.skip_reason.skip_message == "business day 2025-01-04 is already delivered"
    with psycopg.connect(core_url) as conn:
        closed = conn.execute("SELECT count(*) FROM business_day_events").fetchone()[0]
        public = conn.execute(
            "SELECT count(*) FROM outbox_events WHERE event_name = 'business_day.closed'"
        ).fetchone()[0]
    assert closed == public == 4


def test_the_fallback_schedule_runs_only_a_closed_day_without_a_run(new_database, tmp_path) -> None:
    core_url = new_database()
    simulate(core_url, SimulationConfig(customers=2, days=3, seed=2))
    resources = {"core": CoreDatabase(url=core_url)}

    def evaluate(instance: dg.DagsterInstance, at: datetime):
        # Closed after use: a context given resources opens an instance of its own, which would
        # otherwise stay Dagster's current one after this test.
        with dg.build_schedule_context(
            instance=instance, scheduled_execution_time=at, resources=resources
        ) as context:
            return daily_reports_fallback(context)

    # An instance with a reference: a schedule given resources needs one.
    with dg.DagsterInstance.local_temp(tempdir=str(tmp_path)) as instance:
        skipped = evaluate(instance, datetime(2025, 1, 5, 2, tzinfo=UTC))
        assert isinstance(skipped, dg.SkipReason)
        assert (
            skipped.skip_message
            == "the core has not closed business day 2025-01-04 (last closed: 2025-01-03)"
        )
        request = evaluate(instance, datetime(2025, 1, 4, 2, tzinfo=UTC))
        assert isinstance(request, dg.RunRequest) and request.partition_key == "2025-01-03"


def test_a_late_report_and_a_lagging_raw_layer_each_send_one_alert(
    new_database,
    alert_channels,
    monkeypatch,
) -> None:
    emails, posts = alert_channels
    core_url, warehouse_url = new_database(), new_database(migrated=False)
    simulate(core_url, SimulationConfig(customers=3, days=4, seed=5))  # closes up to 4 January 2025
    ExtractLoad(core_url, warehouse_url, state_suffix=f"fresh{uuid.uuid4().hex[:8]}").run()
    resources = {"core": CoreDatabase(url=core_url), "warehouse": Warehouse(url=warehouse_url)}

    def evaluate(instance: dg.DagsterInstance, cursor: str | None) -> str | None:
        context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources)
        freshness_alerts(context)
        return context.cursor

    with dg.DagsterInstance.ephemeral() as instance:  # no report was ever delivered
        cursor = evaluate(instance, None)
        assert len(emails) == len(posts) == 1
        assert posts[0]["kind"] == "report_late"
        assert posts[0]["fields"]["missing"] == [key.to_user_string() for key in DELIVERED]
        assert " ".join(emails[0]["Subject"].split()) == (
            "[lana] reports for business day 2025-01-04 not delivered by 2025-01-05 03:00 UTC "
            f"({len(DELIVERED)} missing)"
        )
        cursor = evaluate(instance, cursor)
        assert len(emails) == len(posts) == 1  # still late: not alerted again

        bank = Bank.connect(core_url, BusinessClock.at_start_of(date(2025, 1, 5)), RandomIds())
        _, account = customer_with_account(bank, "late@example.com")
        bank.deposits.deposit(account, 5_00)
        bank.close()
        monkeypatch.setenv("LANA_RAW_MAX_LAG_MINUTES", "0")
        cursor = evaluate(instance, cursor)
        assert len(emails) == len(posts) == 2 and posts[1]["kind"] == "raw_layer_late"
        assert posts[1]["fields"]["lag_events"] > 0
        evaluate(instance, cursor)
        assert len(emails) == len(posts) == 2
    for message in emails:
        assert "passfile" not in message.get_payload() and "password" not in message.get_payload()
