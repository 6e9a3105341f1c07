from datetime import date
from uuid import uuid4

import pytest

from core_app.domain import postings
from core_app.domain.errors import InvalidAmount, UnbalancedTransaction
from core_app.domain.ledger import CASH, COLLATERAL_OWED, SHARE_CAPITAL, Entry, LedgerTransaction, Side


def _txn(*entries: Entry) -> LedgerTransaction:
    return LedgerTransaction(uuid4(), "TEST", date(2025, 1, 1), uuid4(), "test", entries)


def test_balanced_transaction_is_accepted() -> None:
    txn = postings.capital_injection(uuid4(), uuid4(), 1_000_00, date(2025, 1, 1))
    assert sum(e.amount for e in txn.entries if e.side is Side.DEBIT) == 1_000_00
    assert sum(e.amount for e in txn.entries if e.side is Side.CREDIT) == 1_000_00


def test_unbalanced_transaction_is_refused() -> None:
    with pytest.raises(UnbalancedTransaction, match=r"does not balance \(debits - credits: \{'USD': 1\}\)"):
        _txn(Entry(CASH, Side.DEBIT, 101), Entry(SHARE_CAPITAL, Side.CREDIT, 100))


def test_each_currency_must_balance_on_its_own() -> None:
    with pytest.raises(UnbalancedTransaction, match="BTC"):
        _txn(Entry(CASH, Side.DEBIT, 100), Entry(COLLATERAL_OWED, Side.CREDIT, 100))


def test_entries_are_positive_integers() -> None:
    with pytest.raises(InvalidAmount, match="must be positive"):
        _txn(Entry(CASH, Side.DEBIT, 0), Entry(SHARE_CAPITAL, Side.CREDIT, 0))
    with pytest.raises(InvalidAmount, match="integer"):
        _txn(Entry(CASH, Side.DEBIT, 1.5), Entry(SHARE_CAPITAL, Side.CREDIT, 1.5))  # type: ignore[arg-type]


def test_disbursal_template_charges_the_fee_to_the_borrower() -> None:
    from core_app.domain.ledger import FEE_INCOME, deposit_account_ledger, facility_ledger

    facility_id, account_id = uuid4(), uuid4()
    txn = postings.disbursal(
        uuid4(), uuid4(), facility_ledger(facility_id), account_id, 10_000_00, 100_00, date(2025, 1, 1)
    )
    deposit = deposit_account_ledger(account_id)
    net_to_borrower = sum(
        e.amount if e.side is Side.CREDIT else -e.amount for e in txn.entries if e.account == deposit
    )
    assert net_to_borrower == 9_900_00
    assert [e.amount for e in txn.entries if e.account == FEE_INCOME] == [100_00]


def test_the_warehouse_checks_the_same_never_negative_sets_as_the_ledger() -> None:
    """The dbt test that proves no overdraft reached the warehouse names the ledger's own sets."""
    from pathlib import Path

    import yaml

    from core_app.domain.ledger import NEVER_NEGATIVE_SETS

    staging = Path(__file__).resolve().parents[2] / "dbt_project/models/staging/_staging.yml"
    model = next(
        m for m in yaml.safe_load(staging.read_text())["models"] if m["name"] == "stg_ledger_balance_history"
    )
    (check,) = [
        t["lana.never_below_zero"]
        for c in model["columns"]
        for t in c.get("data_tests", [])
        if isinstance(t, dict) and "lana.never_below_zero" in t
    ]
    assert set(check["arguments"]["account_sets"]) == NEVER_NEGATIVE_SETS
