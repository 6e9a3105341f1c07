"""The Table Schemas delivered CSVs must pass: a known-good sample, and each kind of bad one."""

from __future__ import annotations

import csv
import json

import pytest

from orchestration.delivery.catalog import SCHEMAS_DIR
from orchestration.delivery.validation import csv_errors
from tests.dbt_helpers import DBT_PROJECT

HEADER = (
    "as_of_date,movement_id,movement_type,customer_id,deposit_account_id,amount (USD),currency,recorded_at\n"
)
GOOD = (
    "2025-02-28,bc43a97c-9bdc-45e3-9dc2-15b3465c67cf,deposit,ced9b49d-9f50-4137-b09f-416d947c991b,"
    "d927bafd-7578-4c06-834b-4ace2ac45c22,12963.67,USD,2025-02-28 08:00:07+00:00\n"
)


def _errors(*rows: str) -> list[str]:
    return csv_errors(
        "large_cash_transactions.csv", (HEADER + "".join(rows)).encode(), "large_cash_transactions.json"
    )


def test_a_good_file_passes() -> None:
    assert _errors(GOOD, GOOD.replace("bc43a97c", "00000000").replace("deposit,", "withdrawal,", 1)) == []


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (GOOD.replace("12963.67", "9999.99"), "row 2, field 'amount (USD)': constraint-error"),
        (GOOD.replace("deposit,", "cash,", 1), "row 2, field 'movement_type': constraint-error"),
        (
            GOOD.replace("bc43a97c-9bdc-45e3-9dc2-15b3465c67cf", ""),
            "row 2, field 'movement_id': constraint-error",
        ),
        (
            GOOD.replace("ced9b49d-9f50-4137-b09f-416d947c991b", "customer-7"),
            "field 'customer_id': type-error",
        ),
        (GOOD.replace(",USD,", ",EUR,"), "row 2, field 'currency': constraint-error"),
        (GOOD.replace("2025-02-28,", "28/02/2025,", 1), "row 2, field 'as_of_date': type-error"),
    ],
)
def test_each_broken_rule_is_named_with_its_row_and_field(bad: str, expected: str) -> None:
    errors = _errors(bad)
    assert errors and expected in errors[0], errors


def test_a_duplicate_movement_is_refused() -> None:
    assert any("primary-key" in e for e in _errors(GOOD, GOOD))


def test_the_schema_minimum_is_the_aml_threshold() -> None:
    schema = json.loads((SCHEMAS_DIR / "large_cash_transactions.json").read_text())
    (amount,) = [f for f in schema["fields"] if f["name"] == "amount (USD)"]
    with (DBT_PROJECT / "seeds" / "aml_settings.csv").open() as handle:
        (settings,) = list(csv.DictReader(handle))
    assert amount["constraints"]["minimum"] * 100 == int(settings["large_transaction_threshold_cents"])
