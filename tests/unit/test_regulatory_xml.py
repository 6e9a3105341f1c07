"""The regulatory XML files: a known-good delivery passes its XSDs; each kind of bad one is refused
with the file, the element's path and the rule (the declarations are the real dbt ones)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from xml.etree import ElementTree

import pytest

from core_app.domain.provisioning import RISK_CATEGORIES
from orchestration.delivery.catalog import ReportSpec, reports_from_manifest, schema_path
from orchestration.delivery.regulatory_xml import reference_errors, xml_document, xml_errors
from orchestration.delivery.table import Table

DAY = date(2025, 12, 31)
LOAN = "bc43a97c-9bdc-45e3-9dc2-15b3465c67cf"
BORROWER = "ced9b49d-9f50-4137-b09f-416d947c991b"
PEOPLE = {BORROWER: ("Ann Lee", "TX123456789")}  # from the restricted raw layer at delivery


@pytest.fixture(scope="module")
def specs(dbt_manifest) -> dict[str, ReportSpec]:
    return {s.table: s for s in reports_from_manifest(json.loads(dbt_manifest.read_text())) if s.xml}


def _table(spec: ReportSpec, rows: list[dict]) -> Table:
    columns = list(rows[0])
    return Table(spec, columns, [tuple(r[c] for c in columns) for r in rows])


def _balances(**change) -> dict:
    row = {
        "as_of_date": DAY,
        "regulatory_code": "110100",
        "regulatory_name": "CASH AND DEPOSITS WITH BANKS",
        "normal_side": "debit",
        "balance_cents": 8_606_558_419,
    }
    return {**row, **change}


def _loan(**change) -> dict:
    row = {
        "as_of_date": DAY,
        "reference": LOAN,
        "borrower_id": BORROWER,
        "granted_cents": 10_000_00,
        "disbursed_cents": 10_000_00,
        "principal_outstanding_cents": 9_000_00,
        "interest_outstanding_cents": 92_05,
        "start_date": date(2025, 10, 1),
        "maturity_date": date(2026, 10, 1),
        "annual_rate_bps": 1200,
        "principal_days_past_due": 0,
        "interest_days_past_due": 19,
        "risk_category": "A2",
        "provision_cents": 0,  # 10,500.00 of the collateral counted (less 30%) covers it all
        "collateral_value_cents": 15_000_00,
        "net_risk_cents": 0,
    }
    return {**row, **change}


def _guarantee(**change) -> dict:
    row = {
        "as_of_date": DAY,
        "reference": LOAN,
        "collateral_sats": 15_000_000,
        "pledge_value_cents": 15_000_00,
        "market_value_cents": 14_250_00,
        "valued_at": datetime(2025, 12, 31, 23, 0, tzinfo=UTC),
        "coverage_bps": 15_673,
    }
    return {**row, **change}


def _errors(spec: ReportSpec, rows: list[dict], edit=lambda text: text, people=PEOPLE) -> list[str]:
    assert spec.xml is not None
    content = edit(xml_document(_table(spec, rows), DAY, people).decode()).encode()
    return xml_errors(f"{spec.table}.xml", content, spec.xml.schema)


def test_a_good_delivery_passes(specs) -> None:
    balances = specs["regulatory_account_balances"]
    assert _errors(balances, [_balances(), _balances(regulatory_code="114900", normal_side="credit")]) == []
    assert _errors(specs["regulatory_credit_reference"], [_loan()]) == []
    loan = ElementTree.fromstring(
        xml_document(_table(specs["regulatory_credit_reference"], [_loan()]), DAY, PEOPLE)
    )
    assert [e.tag for e in loan.find("loan")][:4] == [
        "reference",
        "borrower_id",
        "borrower_name",
        "borrower_tax_id",
    ]
    assert loan.find("loan/borrower_tax_id").text == "TX123456789"
    guarantees = specs["regulatory_crypto_collateral"]
    assert _errors(guarantees, [_guarantee()]) == []
    document = ElementTree.fromstring(xml_document(_table(guarantees, [_guarantee()]), DAY))
    assert document.get("date") == "2025-12-31"
    assert document.find("guarantee/collateral_btc").text == "0.15000000"  # satoshis as BTC
    assert document.find("guarantee/market_value").text == "14250.00"  # cents as dollars
    tables = [_table(specs["regulatory_credit_reference"], [_loan()]), _table(guarantees, [_guarantee()])]
    assert reference_errors(tables) == []


@pytest.mark.parametrize(
    ("report", "rows", "edit", "expected"),
    [
        # a missing element
        (
            "regulatory_credit_reference",
            [_loan(risk_category=None)],
            None,
            "regulatory_credit_reference.xml /creditReference/loan[1]: Unexpected child with tag 'provision'",
        ),
        # a wrong pattern
        (
            "regulatory_account_balances",
            [_balances(regulatory_code="11010A")],
            None,
            "/accountBalances/account[1]/regulatory_code: value doesn't match any pattern",
        ),
        (
            "regulatory_account_balances",
            [_balances(regulatory_name="Cash")],
            None,
            "/accountBalances/account[1]/regulatory_name: value doesn't match any pattern",
        ),
        # an amount with three decimals
        (
            "regulatory_account_balances",
            [_balances()],
            lambda text: text.replace("<balance>86065584.19<", "<balance>86065584.190<"),
            "/accountBalances/account[1]/balance: value doesn't match any pattern",
        ),
        # an unknown code
        (
            "regulatory_credit_reference",
            [_loan(risk_category="90+")],  # an aging bucket, not an NCB-022 category
            None,
            "/creditReference/loan[1]/risk_category: value must be one of",
        ),
        (
            "regulatory_account_balances",
            [_balances(normal_side="both")],
            None,
            "/accountBalances/account[1]/normal_side: value must be one of",
        ),
        # a loan twice
        (
            "regulatory_credit_reference",
            [_loan(), _loan()],
            None,
            "/creditReference/loan[2]: duplicated value",
        ),
        # a negative amount where none can be
        (
            "regulatory_crypto_collateral",
            [_guarantee(market_value_cents=-1)],
            None,
            "/cryptoCollateral/guarantee[1]/market_value: value has to be greater or equal than",
        ),
    ],
)
def test_each_kind_of_bad_file_is_refused(specs, report, rows, edit, expected) -> None:
    errors = _errors(specs[report], rows, edit or (lambda text: text))
    assert any(expected in e for e in errors), errors


def test_a_borrower_the_restricted_layer_does_not_know_is_refused(specs) -> None:
    errors = _errors(specs["regulatory_credit_reference"], [_loan()], people={})
    assert errors == [
        "regulatory_credit_reference.xml /creditReference/loan[1]: Unexpected child with tag 'granted' at "
        "position 3. Tag 'borrower_name' expected."
    ]


def test_a_guarantee_of_a_loan_the_credit_reference_lacks_is_refused(specs) -> None:
    tables = [
        _table(specs["regulatory_credit_reference"], [_loan()]),
        _table(specs["regulatory_crypto_collateral"], [_guarantee(), _guarantee(reference=BORROWER)]),
    ]
    assert reference_errors(tables) == [
        f"regulatory_crypto_collateral.xml /cryptoCollateral/guarantee[2]/reference: {BORROWER} "
        "is not a reference of regulatory_credit_reference.xml"
    ]


def test_the_credit_reference_schema_knows_the_policy_s_risk_categories() -> None:
    schema = ElementTree.parse(schema_path("regulatory/credit_reference.xsd"))
    xs = "{http://www.w3.org/2001/XMLSchema}"
    enumerated = [
        e.get("value")
        for t in schema.iter(f"{xs}simpleType")
        if t.get("name") == "riskCategory"
        for e in t.iter(f"{xs}enumeration")
    ]
    assert enumerated == [c.name for c in RISK_CATEGORIES]
