"""The BigQuery loader (loaders/lana-target-bigquery) against the emulator: a load job BigQuery
rejects must fail the run and leave the bookmark where it was, so the next run loads those rows.
The published target-bigquery 0.7.2 logs the failure, emits the state past the lost rows and exits 0."""

from __future__ import annotations

import os
import uuid
from datetime import date

import psycopg
import pytest

from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock, RandomIds
from orchestration.ingest.extract_load import ExtractLoad, ExtractLoadError
from tests.bigquery.emulator import BigQueryEmulator, install_bigquery_loader
from tests.bigquery.relations import bigquery_rows
from tests.el_helpers import meltano
from tests.helpers import customer_with_account

pytestmark = pytest.mark.slow


def test_a_rejected_load_job_fails_the_run_and_keeps_the_bookmark(core_url: str, tmp_path) -> None:
    bank = Bank.connect(core_url, BusinessClock.at_start_of(date(2025, 1, 1)), RandomIds())
    _, account = customer_with_account(bank)
    bank.deposits.deposit(account, 250_00, "cash")
    bank.close()
    with BigQueryEmulator(tmp_path / "emulator", reject_loads_into="deposit_events") as emulator:
        env = {
            **emulator.environment(),
            "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        install_bigquery_loader({**os.environ, **env})
        state_id = f"bq{uuid.uuid4().hex[:8]}"
        el = ExtractLoad(core_url, None, warehouse_kind="bigquery", state_suffix=state_id, extra_env=env)

        emulator.rejecting_loads(True)
        with pytest.raises(ExtractLoadError, match="a BigQuery load job failed; no state written"):
            el.run()
        assert (
            state_id not in meltano("state", "list", env=el.env).stdout
        )  # no bookmark was saved for the rows that did not load

        emulator.rejecting_loads(False)
        el.run()
        with psycopg.connect(core_url) as conn:
            wanted = sorted(str(i) for (i,) in conn.execute("SELECT id FROM deposit_events"))
        project = env["LANA_BQ_PROJECT"]
        with pytest.MonkeyPatch.context() as patch:
            for name, value in emulator.environment().items():
                patch.setenv(name, value)
            columns, rows = bigquery_rows(project, "lana_raw", "deposit_events")
        assert sorted(r[columns.index("id")] for r in rows) == wanted and wanted
