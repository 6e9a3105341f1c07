"""Core -> Meltano -> dbt on the embedded PostgreSQL: a small scenario with hand-computed figures."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from xml.etree import ElementTree

import psycopg
import pytest

from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock, RandomIds
from core_app.domain.customer import CustomerType
from tests.dbt_helpers import run_dbt
from tests.el_helpers import extract_load
from tests.helpers import TERMS

AS_OF = "2025-02-28"  # the scenario's reports; other dates are built by some tests
JAN_INTEREST = 10_192  # 10,000.00 x 12% x 31/365 = 101.9178... -> 101.92
FEB_INTEREST = 9_205  # 10,000.00 x 12% x 28/365 = 92.0547... -> 92.05
# The allowance on 28 February: none. The facility is current (A1, 0%); while January's interest
# was 8 to 19 days late it was A2 (1%) of what the collateral leaves uncovered, nothing: 0.15 BTC at
# 100,000.00 counts 10,500.00 (less 30%) against 10,101.92 to 10,164.39 owed.
ALLOWANCE = 0


def _onboard(bank: Bank, email: str, country: str, kind: CustomerType):
    customer = bank.customers.onboard(
        name="Test Person", email=email, phone="+1 555", country=country, tax_id="T-1", customer_type=kind
    )
    bank.customers.approve_kyc(customer)
    return customer, bank.customers.open_deposit_account(customer)


@pytest.fixture(scope="module")
def scenario(admin_url: str, template_name: str):
    """Builds the scenario once: core database, extract/load, warehouse URL."""
    import uuid

    from core_app.config import with_database

    names = [f"lana_test_rpt_{uuid.uuid4().hex[:8]}", f"lana_test_rptdw_{uuid.uuid4().hex[:8]}"]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{names[0]}" TEMPLATE "{template_name}"')
        conn.execute(f'CREATE DATABASE "{names[1]}"')
    core_url, warehouse_url = (with_database(admin_url, n) for n in names)

    clock = BusinessClock(datetime(2025, 1, 1, 8, 0, tzinfo=UTC))
    bank = Bank.connect(core_url, clock, RandomIds())
    bank.treasury.record_price(100_000_00)
    bank.treasury.inject_capital(1_000_000_00)
    _, account_a = _onboard(bank, "a@example.com", "US", CustomerType.INDIVIDUAL)
    bank.deposits.deposit(account_a, 12_000_00, "large")  # above the AML threshold
    borrower, account_b = _onboard(bank, "b@example.com", "SV", CustomerType.BUSINESS)
    facility = bank.credit.propose(borrower, account_b, 10_000_00, TERMS)
    bank.credit.approve(facility)
    bank.credit.update_collateral(facility, 15_000_000)  # 0.15 BTC
    bank.credit.activate(facility)
    bank.credit.disburse(facility, 10_000_00)  # 1% fee: 100.00
    _, account_c = _onboard(bank, "c@example.com", "MX", CustomerType.INDIVIDUAL)
    day = date(2025, 1, 1)
    while day <= date(2025, 2, 28):
        if day == date(2025, 1, 2):
            clock.set(datetime(2025, 1, 2, 9, 0, tzinfo=UTC))
            bank.deposits.deposit(account_c, 9_500_00, "cash")  # just under the threshold...
            clock.set(datetime(2025, 1, 2, 11, 0, tzinfo=UTC))
            bank.deposits.deposit(account_c, 9_800_00, "cash")  # ...twice within 24 hours
        if day == date(2025, 2, 20):  # the January interest, 19 days late
            clock.set(datetime(2025, 2, 20, 10, 0, tzinfo=UTC))
            bank.credit.pay(facility, JAN_INTEREST)
        clock.set(datetime(day.year, day.month, day.day, 23, 0, tzinfo=UTC))
        bank.end_of_day.run(day)
        day += timedelta(days=1)
        clock.set(datetime(day.year, day.month, day.day, 0, 0, tzinfo=UTC))
    bank.close()

    extract_load(core_url, warehouse_url).run()
    run_dbt(warehouse_url, "build", vars={"as_of_date": "2025-02-28"})
    yield {"core": core_url, "warehouse": warehouse_url, "facility": str(facility)}
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rows(conninfo: str, query: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(conninfo) as conn:
        return conn.execute(query, params).fetchall()


def test_loan_portfolio(scenario) -> None:
    rows = _rows(
        scenario["warehouse"],
        "SELECT facility_id, status, disbursed, principal_outstanding, accrued_interest, annual_rate_bps, "
        "maturity_date, principal_repaid, days_past_due, risk_category FROM reports.loan_portfolio",
    )
    # January's interest was paid 19 days late; on 28 February nothing is late.
    assert rows == [
        (
            scenario["facility"],
            "active",
            10_000_00,
            10_000_00,
            FEB_INTEREST,
            1200,
            date(2025, 4, 1),
            0,
            0,
            "A1",
        )
    ]


def test_income_statement(scenario) -> None:
    query = (
        "SELECT line, amount_cents, prior_amount_cents FROM reports.income_statement "
        "WHERE as_of_date = %s AND period = %s"
    )
    year_to_date = _rows(scenario["warehouse"], query, (AS_OF, "year_to_date"))
    assert {line: amount for line, amount, _ in year_to_date} == {
        "Interest income": JAN_INTEREST + FEB_INTEREST,
        "Fee income": 100_00,
        "Recoveries of loans written off": 0,
        "Loan loss provision expense": ALLOWANCE,
        "Total revenue": JAN_INTEREST + FEB_INTEREST + 100_00,
        "Total expenses": ALLOWANCE,
        "Net income": JAN_INTEREST + FEB_INTEREST + 100_00 - ALLOWANCE,
    }
    assert {prior for _, _, prior in year_to_date} == {0}  # the bank opened in 2025: nothing a year earlier
    # February: its interest, and no provision (none in January either).
    month_to_date = _rows(scenario["warehouse"], query, (AS_OF, "month_to_date"))
    assert {line: amount for line, amount, _ in month_to_date} == {
        "Interest income": FEB_INTEREST,
        "Fee income": 0,
        "Recoveries of loans written off": 0,
        "Loan loss provision expense": 0,
        "Total revenue": FEB_INTEREST,
        "Total expenses": 0,
        "Net income": FEB_INTEREST,
    }


def test_loan_statement(scenario) -> None:
    rows = _rows(
        scenario["warehouse"],
        "SELECT line_number, effective_date, movement, principal_change_cents, interest_change_cents, "
        "fee_cents, principal_balance_cents, interest_balance_cents, collateral_balance_sats "
        "FROM reports.loan_statements WHERE as_of_date = %s AND facility_id = %s ORDER BY line_number",
        (AS_OF, scenario["facility"]),
    )
    jan_31, feb_20, feb_28 = date(2025, 1, 31), date(2025, 2, 20), date(2025, 2, 28)
    assert rows == [
        (1, date(2025, 1, 1), "COLLATERAL_ADDED", 0, 0, 0, 0, 0, 15_000_000),
        (2, date(2025, 1, 1), "DISBURSAL", 10_000_00, 0, 100_00, 10_000_00, 0, 15_000_000),
        (3, jan_31, "INTEREST_ACCRUAL", 0, JAN_INTEREST, 0, 10_000_00, JAN_INTEREST, 15_000_000),
        (4, feb_20, "PAYMENT", 0, -JAN_INTEREST, 0, 10_000_00, 0, 15_000_000),
        (5, feb_28, "INTEREST_ACCRUAL", 0, FEB_INTEREST, 0, 10_000_00, FEB_INTEREST, 15_000_000),
    ]


def test_status_changes(scenario) -> None:
    rows = _rows(
        scenario["warehouse"],
        "SELECT changed_on, subject, obligation_type, from_status, to_status, outstanding_cents "
        "FROM reports.status_changes WHERE as_of_date = %s AND facility_id = %s "
        "ORDER BY changed_on, subject, sequence",
        (AS_OF, scenario["facility"]),
    )
    jan_1, jan_31, feb_1, feb_20, feb_28 = (
        date(2025, 1, 1),
        date(2025, 1, 31),
        date(2025, 2, 1),
        date(2025, 2, 20),
        date(2025, 2, 28),
    )
    assert rows == [
        (jan_1, "facility", None, None, "proposed", 0),
        (jan_1, "facility", None, "proposed", "approved", 0),
        (jan_1, "facility", None, "approved", "active", 0),
        (jan_1, "obligation", "principal", None, "not_yet_due", 10_000_00),
        (jan_31, "obligation", "interest", None, "not_yet_due", JAN_INTEREST),
        (feb_1, "obligation", "interest", "not_yet_due", "due", JAN_INTEREST),
        (feb_20, "obligation", "interest", "due", "paid", 0),
        (feb_28, "obligation", "interest", None, "not_yet_due", FEB_INTEREST),
    ]


def test_balance_sheet(scenario) -> None:
    lines = dict(_rows(scenario["warehouse"], "SELECT line_code, amount_cents FROM reports.balance_sheet"))
    cash = 1_000_000_00 + 12_000_00 + 9_500_00 + 9_800_00 + JAN_INTEREST
    assets = cash + 10_000_00 + FEB_INTEREST - ALLOWANCE  # the allowance is a contra asset
    liabilities = 12_000_00 + 9_900_00 + 19_300_00
    earnings = JAN_INTEREST + FEB_INTEREST + 100_00 - ALLOWANCE
    assert lines == {
        "1100": cash,
        "1200": 10_000_00,
        "1300": FEB_INTEREST,
        "1900": -ALLOWANCE,
        "1999": assets,
        "2100": liabilities,
        "2200": 0,
        "2999": liabilities,
        "3100": 1_000_000_00,
        "3800": 0,  # the bank opened in 2025: no prior year to retain
        "3900": earnings,
        "3999": 1_000_000_00 + earnings,
        "9999": liabilities + 1_000_000_00 + earnings,
    }
    assert lines["1999"] == lines["9999"]
    comparative = _rows(
        scenario["warehouse"], "SELECT DISTINCT prior_date, prior_amount_cents FROM reports.balance_sheet"
    )
    assert comparative == [(date(2024, 12, 31), 0)]  # the bank opened in 2025


def test_trial_balance_nets_to_zero(scenario) -> None:
    totals = _rows(
        scenario["warehouse"],
        "SELECT currency, sum(debit_balance), sum(credit_balance) FROM reports.trial_balance "
        "GROUP BY 1 ORDER BY 1",
    )
    assert totals == [("BTC", 15_000_000, 15_000_000), ("USD", totals[1][1], totals[1][1])]


@pytest.mark.slow
def test_reports_keep_every_date_they_were_built_for(scenario, tmp_path) -> None:
    aging = (
        "SELECT aging_bucket, obligations, outstanding_cents FROM reports.delinquency_aging "
        "WHERE as_of_date = %s ORDER BY bucket_order"
    )
    on_the_28th = [
        ("current", 2, 10_000_00 + FEB_INTEREST),
        ("1-30", 0, 0),
        ("31-60", 0, 0),
        ("61-90", 0, 0),
        ("90+", 0, 0),
    ]
    assert _rows(scenario["warehouse"], aging, (date(2025, 2, 28),)) == on_the_28th
    # A backfill of two earlier dates: as of 15 February, January's interest is 14 days past due.
    for as_of in ("2025-02-15", "2025-01-31"):
        run_dbt(
            scenario["warehouse"],
            "run",
            "--select",
            "+reports",
            vars={"as_of_date": as_of},
            target_path=tmp_path / "target",
        )
    assert _rows(scenario["warehouse"], aging, (date(2025, 2, 15),)) == [
        ("current", 1, 10_000_00),
        ("1-30", 1, JAN_INTEREST),
        ("31-60", 0, 0),
        ("61-90", 0, 0),
        ("90+", 0, 0),
    ]
    assert _rows(scenario["warehouse"], aging, (date(2025, 2, 28),)) == on_the_28th  # kept as it was
    dates = "SELECT DISTINCT as_of_date FROM reports.{} ORDER BY 1"
    built = [(date(2025, 1, 31),), (date(2025, 2, 15),), (date(2025, 2, 28),)]
    for report in ("balance_sheet", "delinquency_aging", "loan_portfolio", "income_statement"):
        assert _rows(scenario["warehouse"], dates.format(report)) == built, report
    # Building a date again replaces exactly that date, even where it now has no rows: the
    # deposits of 1 and 2 January are alerts on every date (a large one; a structuring series);
    # shown with a threshold no deposit reaches.
    count = "SELECT as_of_date, count(*) FROM reports.aml_alerts GROUP BY 1 ORDER BY 1"
    assert [n for _, n in _rows(scenario["warehouse"], count)] == [2, 2, 2]
    with psycopg.connect(scenario["warehouse"]) as conn:
        conn.execute("UPDATE reference.aml_settings SET large_transaction_threshold_cents = 10^15")
    run_dbt(
        scenario["warehouse"],
        "run",
        "--select",
        "aml_alerts",
        vars={"as_of_date": "2025-02-15"},
        target_path=tmp_path / "target",
    )
    assert _rows(scenario["warehouse"], count) == [(date(2025, 1, 31), 2), (date(2025, 2, 28), 2)]
    # Back to the scenario's state: the seed and every report as of 28 February.
    run_dbt(scenario["warehouse"], "seed", target_path=tmp_path / "target")
    run_dbt(
        scenario["warehouse"],
        "run",
        "--select",
        "+reports",
        vars={"as_of_date": "2025-02-15"},
        target_path=tmp_path / "target",
    )
    run_dbt(
        scenario["warehouse"],
        "run",
        "--select",
        "+reports",
        vars={"as_of_date": "2025-02-28"},
        target_path=tmp_path / "target",
    )


@pytest.mark.slow
def test_a_bad_date_variable_is_refused_before_any_sql_runs(scenario, tmp_path) -> None:
    for name, value in (
        ("as_of_date", "2025-02-28' or '1'='1"),
        ("period_start", "2025-13-01"),
        ("period_start", "2025-02-30"),
        ("period_start", "2025-03-01"),  # after the as-of date: an inverted period
    ):
        with pytest.raises(AssertionError, match=f"variable {name} (must be a date|.* is after as_of_date)"):
            run_dbt(
                scenario["warehouse"],
                "compile",
                "--select",
                "int_report_date",
                vars={"as_of_date": "2025-02-28", name: value},
                target_path=tmp_path / "target",
            )


def test_a_period_after_the_data_s_latest_date_blocks_the_income_statement(scenario, tmp_path) -> None:
    """Only period_start given: the report date comes from the data (28 February), so the
    inversion is found by a test, which stops the income statement from being rebuilt."""
    statement = "SELECT count(*) FROM reports.income_statement WHERE as_of_date = %s"
    (before,) = _rows(scenario["warehouse"], statement, (AS_OF,))[0]
    with pytest.raises(AssertionError, match="period_is_not_inverted"):
        run_dbt(
            scenario["warehouse"],
            "build",
            "--select",
            "int_report_periods+",
            vars={"period_start": "2025-03-01"},
            target_path=tmp_path / "target",
        )
    assert _rows(scenario["warehouse"], statement, (AS_OF,))[0] == (before,)
    assert not _rows(scenario["warehouse"], "SELECT 1 FROM reports.income_statement WHERE period = 'chosen'")


def test_current_balances_derived_in_the_warehouse_equal_the_core(scenario) -> None:
    """The core's ledger_current_balances is not extracted (it is updated in place): its copy in
    the warehouse is the newest balance-history version, the same point in time as every table."""
    query = (
        "SELECT account_id::text, currency, version, debit_total, credit_total, balance FROM {} ORDER BY 1"
    )
    core = _rows(scenario["core"], query.format("ledger_current_balances"))
    assert (
        core
        and _rows(scenario["warehouse"], query.format("intermediate.int_ledger_current_balances")) == core
    )


def test_missing_personal_data_stays_missing(scenario) -> None:
    """Only a customer's `initialized` event carries personal data: the others have no digest (not a
    digest of an empty value), exactly as on BigQuery."""
    rows = _rows(
        scenario["warehouse"],
        "SELECT event_type, count(*), count(name_hash), count(phone_hash), count(tax_id_hash), "
        "count(email_hash), count(DISTINCT phone_hash) FROM staging.stg_customer_events "
        "GROUP BY 1 ORDER BY 1",
    )
    assert rows == [("initialized", 3, 3, 3, 3, 3, 1), ("kyc_approved", 3, 0, 0, 0, 0, 0)]


def test_delinquency_trend_has_a_snapshot_per_month_end(scenario) -> None:
    trend = (
        "SELECT snapshot_date, aging_bucket, obligations, outstanding_cents FROM reports.delinquency_trend "
        f"WHERE obligations > 0 AND as_of_date = '{AS_OF}' ORDER BY snapshot_date, bucket_order"
    )
    # January's interest is posted on 31 January and due the next day: current at the month end.
    assert _rows(scenario["warehouse"], trend) == [
        (date(2025, 1, 31), "current", 2, 10_000_00 + JAN_INTEREST),
        (date(2025, 2, 28), "current", 2, 10_000_00 + FEB_INTEREST),
    ]
    snapshots = (
        "SELECT count(DISTINCT snapshot_date), count(*) FROM reports.delinquency_trend "
        f"WHERE as_of_date = '{AS_OF}'"
    )
    assert _rows(scenario["warehouse"], snapshots) == [(2, 10)]  # every bucket at every snapshot


def test_aml_alerts(scenario) -> None:
    alerts = _rows(
        scenario["warehouse"],
        "SELECT alert_type, amount_cents, related_movements, related_amount_cents FROM reports.aml_alerts "
        f"WHERE as_of_date = '{AS_OF}' ORDER BY alert_type",
    )
    assert alerts == [  # the two near-threshold deposits of one day: one case, not also a daily aggregate
        ("large_transaction", 12_000_00, 1, 12_000_00),
        ("possible_structuring", 9_500_00, 2, 19_300_00),
    ]


def test_collateral_and_deposits(scenario) -> None:
    collateral = _rows(
        scenario["warehouse"],
        "SELECT collateral_value_cents, exposure_cents, cvl_bps, collateral_status "
        f"FROM reports.collateral_monitoring WHERE as_of_date = '{AS_OF}'",
    )
    assert collateral == [(15_000_00, 10_000_00, 15_000, "ok")]
    deposits = _rows(
        scenario["warehouse"],
        "SELECT customer_type, country, accounts, balance_cents FROM reports.deposits_summary "
        f"WHERE as_of_date = '{AS_OF}' ORDER BY 1, 2",
    )
    assert deposits == [
        ("business", "SV", 1, 9_900_00),
        ("individual", "MX", 1, 19_300_00),
        ("individual", "US", 1, 12_000_00),
    ]


def test_report_files_match_the_report_tables_and_are_reproducible(scenario, tmp_path) -> None:
    import csv
    import zipfile
    from decimal import Decimal

    from openpyxl import load_workbook

    from orchestration.delivery.catalog import delivered_reports
    from orchestration.delivery.publication import write_report_files
    from orchestration.delivery.table import StaleReportError
    from orchestration.resources import Warehouse

    warehouse, reports = Warehouse(url=scenario["warehouse"]), delivered_reports()
    older = tmp_path / "b" / "2025-02-28" / "regulatory_credit_reference.xml"  # as older versions wrote it
    older.parent.mkdir(parents=True)
    older.write_text("<creditReference/>")
    manifest = write_report_files(warehouse, tmp_path / "a", date(2025, 2, 28), reports)
    again = write_report_files(warehouse, tmp_path / "b", date(2025, 2, 28), reports)
    assert manifest == again  # same partition twice: identical files (checksums in the manifest)
    assert not older.exists()  # a re-delivery leaves nothing of an earlier one behind
    # Tables built for another date are never delivered under this one.
    with pytest.raises(StaleReportError, match=r"no rows as of 2025-03-31: build the reports for that date"):
        write_report_files(warehouse, tmp_path / "c", date(2025, 3, 31), reports)
    assert not (tmp_path / "c" / "2025-03-31").exists()
    folder = tmp_path / "a" / "2025-02-28"
    names = {f["name"] for f in manifest["files"]}
    assert {"balance_sheet.csv", "finance-reports-2025-02-28.xlsx", "summary-2025-02-28.html"} <= names
    for entry in manifest["files"]:
        content = (folder / entry["name"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]

    with (folder / "income_statement.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["period"] for r in rows] == ["year_to_date"] * 7 + ["month_to_date"] * 7  # YTD first
    lines = {r["line"]: Decimal(r["amount (USD)"]) for r in rows if r["period"] == "year_to_date"}
    assert lines["Net income"] == Decimal(JAN_INTEREST + FEB_INTEREST + 100_00 - ALLOWANCE) / 100
    with (folder / "loan_portfolio.csv").open() as handle:
        outstanding = sum(Decimal(r["principal_outstanding (USD)"]) for r in csv.DictReader(handle))
    (total,) = _rows(
        scenario["warehouse"],
        f"SELECT sum(principal_outstanding) FROM reports.loan_portfolio WHERE as_of_date = '{AS_OF}'",
    )[0]
    assert outstanding * 100 == total

    # No wall clock inside the workbook either (document dates default to now when it is written).
    with zipfile.ZipFile(folder / "finance-reports-2025-02-28.xlsx") as package:
        properties = package.read("docProps/core.xml").decode()
    assert properties.count("2025-02-28T00:00:00Z") == 2, properties  # created and modified

    workbook = load_workbook(folder / "finance-reports-2025-02-28.xlsx")
    sheet = workbook["Balance sheet"]
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    headers = [c.value for c in sheet[1]]
    amount_column = sheet[chr(ord("A") + headers.index("amount (USD)"))]
    amounts = [c.value for c in amount_column[1:]]
    assert sum(Decimal(str(a)) for a in amounts) * 100 == sum(
        r[0]
        for r in _rows(
            scenario["warehouse"],
            f"SELECT amount_cents FROM reports.balance_sheet WHERE as_of_date = '{AS_OF}'",
        )
    )
    assert amount_column[1].number_format == "#,##0.00"
    # Dates are Excel dates, rows in the report's declared order (aging buckets current .. 90+).
    assert isinstance(sheet["A2"].value, datetime) and sheet["A2"].number_format == "yyyy-mm-dd"
    with (folder / "delinquency_aging.csv").open() as handle:
        buckets = [row["aging_bucket"] for row in csv.DictReader(handle)]
    assert buckets == ["current", "1-30", "31-60", "61-90", "90+"]
    assert {"deposits_summary.csv", "daily_journal.csv"} <= names  # every report is delivered
    summary = (folder / "summary-2025-02-28.html").read_text()
    charts = [r for r in reports if r.chart]
    assert summary.count("<svg") == len(charts) == 5 and "Delinquency" in summary
    for svg in re.findall(r"<svg.*?</svg>", summary, re.DOTALL):
        ElementTree.fromstring(svg)  # well-formed, drawn by matplotlib
        _look_at_a_chart(svg)
    _look_at_the_pdf_pack(folder / "finance-pack-2025-02-28.pdf", reports)


def _inked(image) -> float:
    """The share of a rendered page's pixels that are not (near) white."""
    grey = image.convert("L")
    return sum(1 for value in grey.getdata() if value < 200) / (grey.width * grey.height)


def _look_at_a_chart(svg: str) -> None:
    """Render one of the HTML summary's charts to PNG (resvg, with matplotlib's own fonts), as a
    browser would draw it: an image of the expected size with something drawn on it."""
    import io
    from pathlib import Path

    import matplotlib
    import resvg_py
    from PIL import Image

    fonts = [str(p) for p in (Path(matplotlib.get_data_path()) / "fonts" / "ttf").glob("DejaVuSans*.ttf")]
    png = bytes(resvg_py.svg_to_bytes(svg_string=svg, background="#ffffff", font_files=fonts, dpi=96))
    image = Image.open(io.BytesIO(png))
    assert image.width >= 500 and image.height >= 200
    assert _inked(image) > 0.01


def _look_at_the_pdf_pack(path, reports) -> None:
    """Render every page as a reader would see it: a cover with the key figures, a page or more
    per section, none blank."""
    import pypdfium2

    document = pypdfium2.PdfDocument(path)
    try:
        sections = [r for r in reports if r.pdf or r.chart]
        assert len(document) >= 1 + len(sections)
        cover = document[0].get_textpage().get_text_range()
        assert "Finance report pack" in cover and "Friday 28 February 2025" in cover
        assert "Loans (gross)" in cover and "10,000.00" in cover and "NPL ratio" in cover
        text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
        for section in sections:
            assert section.title in text, section.title
        for index in range(len(document)):
            image = document[index].render(scale=0.5).to_pil()
            assert _inked(image) > 0.005, f"page {index + 1} is blank"
    finally:
        document.close()


def test_no_personal_data_in_marts_or_reports(scenario) -> None:
    with psycopg.connect(scenario["warehouse"]) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('marts', 'reports')"
        ).fetchall()
        for schema, table in tables:
            text = conn.execute(
                f"SELECT coalesce(string_agg(t::text, '|'), '') FROM \"{schema}\".\"{table}\" t"
            ).fetchone()[0]
            for secret in ("a@example.com", "b@example.com", "Test Person", "T-1", "+1 555"):
                assert secret not in text, f"{secret!r} in {schema}.{table}"


def _contract_columns(schema: dict) -> list[str]:
    """The staging columns one published event schema asks for: a field each, a nested object's
    fields as `<field>_<sub>`, personal data as `<field>_hash`."""
    pii, columns = set(schema["x-lana"]["pii_fields"]), []
    for name, prop in schema["properties"].items():
        if name == "type":
            continue
        nested = schema.get("$defs", {}).get(prop.get("$ref", "").removeprefix("#/$defs/"), {})
        for column in [f"{name}_{sub}" for sub in nested.get("properties", {})] or [name]:
            columns.append(f"{column}_hash" if column in pii else column)
    return columns


def test_staging_keeps_up_with_the_core_event_contract(scenario) -> None:
    """Every field of every event the core publishes (core_app/contract) has a staging column."""
    from core_app.contract import expected_files

    with psycopg.connect(scenario["warehouse"]) as conn:
        columns: dict[str, set[str]] = {}
        for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'staging'"
        ):
            columns.setdefault(table, set()).add(column)
    missing = []
    for path in expected_files():
        schema = json.loads(path.read_text())
        aggregate, event_type = schema["x-lana"]["aggregate"], schema["x-lana"]["event_type"]
        staged = columns[f"stg_{aggregate}_events"]
        missing += [
            f"{aggregate}.{event_type}.{column}"
            for column in _contract_columns(schema)
            if column not in staged and f"event_{column}" not in staged
        ]
    assert missing == []


@pytest.mark.slow
def test_bigquery_models_compile_offline(tmp_path) -> None:
    from tests.dbt_helpers import compile_for_bigquery

    compile_for_bigquery(tmp_path / "target")
    compiled = tmp_path / "target" / "compiled" / "lana" / "models"
    assert "timestamp_add(" in (compiled / "reports" / "aml_alerts.sql").read_text()
    assert "`acme-bank`.`lana_raw`" in (compiled / "staging" / "stg_deposit_events.sql").read_text()


@pytest.mark.slow
def test_docs_generate(scenario, tmp_path) -> None:
    run_dbt(scenario["warehouse"], "docs", "generate", target_path=tmp_path / "target")
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    # Every column analysts can read (reports and marts) is in the model's YAML with its description.
    undeclared = [
        f"{node['name']}.{column}"
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["fqn"][1] in ("reports", "marts")
        for column in catalog["nodes"][unique_id]["columns"]
        if column not in node["columns"]
    ]
    assert "model.lana.trial_balance" in catalog["nodes"] and undeclared == []


@pytest.mark.slow
def test_incremental_runs_equal_a_full_refresh(scenario, tmp_path) -> None:
    """New events built incrementally give the same staging tables as a rebuild from scratch."""
    clock = BusinessClock(datetime(2025, 3, 1, 9, 0, tzinfo=UTC))
    bank = Bank.connect(scenario["core"], clock, RandomIds())
    bank.end_of_day.run(date(2025, 3, 1))
    bank.close()
    extract_load(scenario["core"], scenario["warehouse"]).run()
    incremental = [
        "stg_interest_accrual_cycle_events",
        "stg_ledger_transactions",
        "stg_ledger_entries",
        "stg_ledger_balance_history",
    ]
    target = tmp_path / "target"

    def digests() -> dict[str, tuple]:
        with psycopg.connect(scenario["warehouse"]) as conn:
            return {
                t: conn.execute(
                    f"SELECT count(*), md5(string_agg(s::text, '|' ORDER BY s::text)) FROM staging.{t} s"
                ).fetchone()
                for t in incremental
            }

    before = digests()
    run_dbt(scenario["warehouse"], "run", "--select", *incremental, target_path=target)
    after_incremental = digests()
    assert after_incremental != before  # the new day's accruals arrived incrementally
    run_dbt(scenario["warehouse"], "run", "--full-refresh", "--select", *incremental, target_path=target)
    assert digests() == after_incremental


@pytest.mark.slow
def test_incremental_ledger_facts_and_daily_balances_equal_a_full_refresh(scenario, tmp_path) -> None:
    """The models built incrementally from the ledger's, the facilities' and the deposits'
    histories hold what a rebuild from scratch holds: after new entries dated into days already
    built, new events of a facility and its obligations already built, a withdrawal confirmed
    after its request was built, and after a build for an earlier date."""
    models = {
        "marts.fct_ledger_entries": "transaction_id, entry_index",
        "intermediate.int_daily_account_balances": "account_id, day",
        "intermediate.int_ledger_current_balances": "account_id",
        "intermediate.int_credit_facility_history": "facility_id, sequence",
        "intermediate.int_obligation_history": "obligation_id, sequence",
        "intermediate.int_deposit_flows": "movement_id",
        "intermediate.int_aml_screened_movements": "movement_id",
    }
    selection = ("--select", *(f"+{table.split('.')[1]}" for table in models))
    target = tmp_path / "target"

    def build(*options: str, as_of: str) -> dict[str, tuple]:
        run_dbt(
            scenario["warehouse"], "run", *selection, *options, vars={"as_of_date": as_of}, target_path=target
        )
        with psycopg.connect(scenario["warehouse"]) as conn:
            return {
                table: conn.execute(
                    f"SELECT count(*), md5(string_agg(t::text, '|' ORDER BY {key})) FROM {table} t"
                ).fetchone()
                for table, key in models.items()
            }

    clock = BusinessClock(datetime(2025, 3, 3, 9, 0, tzinfo=UTC))
    bank = Bank.connect(scenario["core"], clock, RandomIds())
    _, saver = _onboard(bank, "saver@example.com", "US", CustomerType.INDIVIDUAL)
    bank.deposits.deposit(saver, 300_00, "before the build")
    withdrawal = bank.deposits.initiate_withdrawal(saver, 40_00, "asked before the build")
    bank.deposits.deposit(saver, 10_00, "after the request")  # the flows built reach past it
    extract_load(scenario["core"], scenario["warehouse"]).run()
    # Built through 5 March first: the entries below land in days already built.
    before = build(as_of="2025-03-05")
    _, account = _onboard(bank, "late@example.com", "US", CustomerType.INDIVIDUAL)
    bank.deposits.deposit(account, 250_00, "new day")
    facility = UUID(scenario["facility"])
    bank.credit.pay(facility, bank.credit.amount_due(facility))  # events of rows already built
    bank.deposits.approve_withdrawal(withdrawal)
    bank.deposits.confirm_withdrawal(withdrawal)  # a movement whose request was built
    bank.end_of_day.run(date(2025, 3, 3))
    bank.close()
    extract_load(scenario["core"], scenario["warehouse"]).run()

    incremental = build(as_of="2025-03-05")
    assert incremental != before  # the new entries arrived
    assert build("--full-refresh", as_of="2025-03-05") == incremental
    past = build(as_of="2025-02-15")  # an earlier date, incrementally after a later one
    assert build("--full-refresh", as_of="2025-02-15") == past
    assert build(as_of="2025-03-05") == incremental


@pytest.mark.slow
def test_a_staging_table_built_before_anything_was_loaded_takes_every_row_later(scenario, tmp_path) -> None:
    """An incremental staging model first built while its raw table was still empty (a new
    deployment) reads every raw row on its next build: an empty table bounds nothing. (Its new
    rows were once those with `tx_id >= NULL`: none, for ever.)"""
    count = "SELECT count(*) FROM {}"
    raw = _rows(scenario["warehouse"], count.format("raw.ledger_entries"))[0][0]
    with psycopg.connect(scenario["warehouse"]) as conn:
        conn.execute("DELETE FROM staging.stg_ledger_entries")  # as built from an empty raw table
    try:
        run_dbt(
            scenario["warehouse"], "run", "--select", "stg_ledger_entries", target_path=tmp_path / "target"
        )
        assert (
            raw > 0 and _rows(scenario["warehouse"], count.format("staging.stg_ledger_entries"))[0][0] == raw
        )
    finally:
        run_dbt(
            scenario["warehouse"],
            "run",
            "--full-refresh",
            "--select",
            "stg_ledger_entries",
            target_path=tmp_path / "target",
        )


def test_an_incremental_model_s_key_is_guarded_by_the_database_and_its_test(scenario, tmp_path) -> None:
    """An incremental model's unique index refuses a duplicate key outright; the uniqueness test,
    which on PostgreSQL reads only the rows such an index cannot guard (a NULL in a key column),
    still fails on two of those (in the newest transaction: the test reads the rows since it last
    passed, see the next test)."""
    with psycopg.connect(scenario["warehouse"]) as conn, pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute(
            "INSERT INTO staging.stg_ledger_entries SELECT * FROM staging.stg_ledger_entries LIMIT 1"
        )
    test = ("test", "--select", "stg_ledger_entries,test_name:unique_combination")
    run_dbt(scenario["warehouse"], *test, target_path=tmp_path / "target")  # passes before the NULL keys
    with psycopg.connect(scenario["warehouse"]) as conn:
        conn.execute(
            "INSERT INTO staging.stg_ledger_entries SELECT transaction_id, NULL, account_id, side, amount,"
            " debit_amount, credit_amount, currency, effective_date, recorded_at, tx_id"
            " FROM (SELECT * FROM staging.stg_ledger_entries ORDER BY tx_id DESC LIMIT 1) AS e"
            " CROSS JOIN generate_series(1, 2)"
        )
    try:
        with pytest.raises(AssertionError, match="Failure in test lana_unique_combination_stg_ledger_entr"):
            run_dbt(scenario["warehouse"], *test, target_path=tmp_path / "target")
    finally:
        with psycopg.connect(scenario["warehouse"]) as conn:
            conn.execute("DELETE FROM staging.stg_ledger_entries WHERE entry_index IS NULL")


@pytest.mark.slow
def test_the_tests_of_an_append_only_model_read_its_rows_since_they_last_passed(scenario, tmp_path) -> None:
    """Marks per test (macros/tested_rows.sql): once passed, each row-wise test of an append-only
    model has passed through its newest row and reads only rows from there on; a failing row there
    fails every run until mended (its mark does not move); a mark above the table's newest row
    (a restored table) or a full refresh makes the tests read everything again."""
    warehouse, target = scenario["warehouse"], tmp_path / "target"
    tests = ("test", "--select", "stg_ledger_entries", "--exclude", "test_name:staged_once")
    relationships = "Failure in test relationships_stg_ledger_entries_account_id__account_id__ref_stg"

    def marks() -> dict[str, int]:
        rows = _rows(
            warehouse,
            "SELECT test_id, passed_through_tx_id FROM analytics.test_marks"
            " WHERE model_id = 'model.lana.stg_ledger_entries'",
        )
        return {test_id.split(".")[2]: mark for test_id, mark in rows}

    def entry(tx_id: int, account: str = "no-such-account") -> None:
        index = 1000 + tx_id - newest  # a new key per row
        with psycopg.connect(warehouse) as conn:
            conn.execute(
                "INSERT INTO staging.stg_ledger_entries SELECT transaction_id, %s, %s, side, amount,"
                " debit_amount, credit_amount, currency, effective_date, recorded_at, %s"
                " FROM (SELECT * FROM staging.stg_ledger_entries ORDER BY tx_id DESC LIMIT 1) AS e",
                (index, account, tx_id),
            )

    newest = _rows(warehouse, "SELECT max(tx_id) FROM staging.stg_ledger_entries")[0][0]
    run_dbt(warehouse, *tests, target_path=target)
    every_row_wise_test = [
        "lana_unique_combination_stg_ledger_entries_transaction_id__entry_index",
        "relationships_stg_ledger_entries_account_id__account_id__ref_stg_ledger_accounts_",
        "relationships_stg_ledger_entries_transaction_id__transaction_id__ref_stg_ledger_transactions_",
        "accepted_values_stg_ledger_entries_side__debit__credit",
        "not_null_stg_ledger_entries_amount",
        "lana_non_negative_stg_ledger_entries_amount",
    ]
    assert marks() == dict.fromkeys(every_row_wise_test, newest)
    try:
        entry(newest - 1)  # behind every mark, as no build writes: not read again
        run_dbt(warehouse, *tests, target_path=target)
        entry(newest + 1)  # a new row
        for _ in range(2):
            with pytest.raises(AssertionError, match=relationships):
                run_dbt(warehouse, *tests, target_path=target)
            assert (
                marks()["relationships_stg_ledger_entries_account_id__account_id__ref_stg_ledger_accounts_"]
                == newest
            )
        with psycopg.connect(warehouse) as conn:
            conn.execute("DELETE FROM staging.stg_ledger_entries WHERE tx_id = %s", (newest + 1,))
        good_account = _rows(warehouse, "SELECT min(account_id) FROM staging.stg_ledger_accounts")[0][0]
        entry(newest + 2, good_account)  # mended, and a new good row
        run_dbt(warehouse, *tests, target_path=target)
        assert set(marks().values()) == {newest + 2}
        with psycopg.connect(warehouse) as conn:  # restored from a copy older than the marks
            conn.execute("DELETE FROM staging.stg_ledger_entries WHERE tx_id = %s", (newest + 2,))
        with pytest.raises(AssertionError, match=relationships):  # reads all: the old bad row too
            run_dbt(warehouse, *tests, target_path=target)
        run_dbt(warehouse, "run", "--full-refresh", "--select", "stg_ledger_entries", target_path=target)
        assert marks() == {}
        run_dbt(warehouse, *tests, target_path=target)
        assert set(marks().values()) == {newest}
    finally:
        run_dbt(warehouse, "run", "--full-refresh", "--select", "stg_ledger_entries", target_path=target)


def test_an_overdrawn_customer_account_in_the_warehouse_fails_the_build(scenario, tmp_path) -> None:
    """The ledger refuses an overdraft; should one reach the warehouse anyway (a balance written
    behind the core), the blocking dbt test on the balance history names the account."""
    warehouse, target = scenario["warehouse"], tmp_path / "target"
    tests = ("test", "--select", "stg_ledger_balance_history,test_name:never_below_zero")
    run_dbt(warehouse, *tests, target_path=target)
    newest = _rows(warehouse, "SELECT max(tx_id) FROM staging.stg_ledger_balance_history")[0][0]
    with psycopg.connect(warehouse) as conn:  # the customer's next version, 0.01 below zero
        (account,) = conn.execute(
            "INSERT INTO staging.stg_ledger_balance_history SELECT h.account_id, h.version + 1,"
            " h.transaction_id, h.currency, h.debit_total + h.balance + 1, h.credit_total, -1,"
            " h.effective_date, h.recorded_at, %s FROM staging.stg_ledger_balance_history h"
            " JOIN staging.stg_ledger_accounts a ON a.account_id = h.account_id"
            " WHERE a.account_code LIKE '2100.%%' ORDER BY h.tx_id DESC LIMIT 1 RETURNING account_id",
            (newest + 1,),
        ).fetchone()
    try:
        with pytest.raises(AssertionError, match="Failure in test lana_never_below_zero_stg_ledger_balance"):
            run_dbt(warehouse, *tests, target_path=target)
    finally:
        with psycopg.connect(warehouse) as conn:
            conn.execute("DELETE FROM staging.stg_ledger_balance_history WHERE tx_id = %s", (newest + 1,))
    assert account


@pytest.mark.slow
def test_a_build_tests_only_its_own_date_of_a_report(scenario, tmp_path) -> None:
    """A report keeps every date it was built for and a build replaces only its own: its tests read
    that date alone (macros/tested_rows.sql). A bad date other than the build's is left to the
    build of that date, or to a run with `test_every_row`, which reads everything."""
    warehouse, target = scenario["warehouse"], tmp_path / "target"
    tests = ("test", "--select", "trial_balance")
    with psycopg.connect(warehouse) as conn:  # another date, a row written twice and unbalanced
        conn.execute(
            "CREATE TEMP TABLE bad AS SELECT * FROM reports.trial_balance"
            " WHERE as_of_date = DATE '2025-02-28' ORDER BY account_code LIMIT 1"
        )
        conn.execute("UPDATE bad SET as_of_date = DATE '2025-01-15', debit_balance = debit_balance + 1")
        for _ in range(2):
            conn.execute("INSERT INTO reports.trial_balance SELECT * FROM bad")
    try:
        run_dbt(warehouse, *tests, vars={"as_of_date": "2025-02-28"}, target_path=target)
        for vars in ({"as_of_date": "2025-01-15"}, {"as_of_date": "2025-02-28", "test_every_row": True}):
            with pytest.raises(AssertionError) as failed:
                run_dbt(warehouse, *tests, vars=vars, target_path=target)
            assert "Failure in test trial_balance_nets_to_zero" in str(failed.value), vars
            assert "Failure in test lana_unique_combination_trial_balance_as_of_date" in str(failed.value)
    finally:
        with psycopg.connect(warehouse) as conn:
            conn.execute("DELETE FROM reports.trial_balance WHERE as_of_date = DATE '2025-01-15'")


def test_a_corrupted_warehouse_value_blocks_the_whole_delivery(scenario, tmp_path) -> None:
    """A large cash transaction below the threshold (written behind dbt's back) fails the file's
    Table Schema: no file of that date is published, and the error names the file, row and field."""
    from orchestration.delivery.catalog import delivered_reports
    from orchestration.delivery.publication import write_report_files
    from orchestration.delivery.validation import DeliveryRefused
    from orchestration.resources import Warehouse

    with psycopg.connect(scenario["warehouse"]) as conn:
        conn.execute(
            "INSERT INTO reports.large_cash_transactions SELECT %s, gen_random_uuid()::text, 'deposit', "
            "gen_random_uuid()::text, gen_random_uuid()::text, 5_000_00, 'USD', '2025-02-28 09:00+00'",
            (date(2025, 2, 28),),
        )
    try:
        with pytest.raises(
            DeliveryRefused,
            match=r"2025-02-28 refused, nothing published: large_cash_transactions.csv row 2, "
            r"field 'amount \(USD\)': constraint-error",
        ):
            write_report_files(
                Warehouse(url=scenario["warehouse"]), tmp_path, date(2025, 2, 28), delivered_reports()
            )
        assert not (tmp_path / "2025-02-28").exists()
    finally:
        with psycopg.connect(scenario["warehouse"]) as conn:
            conn.execute("DELETE FROM reports.large_cash_transactions WHERE amount_cents = 5_000_00")


def test_a_corrupted_value_in_a_regulatory_file_blocks_the_whole_delivery(scenario, tmp_path) -> None:
    """An account name no longer upper case (written behind dbt's back) fails the account
    balances' XSD: nothing of the date is published, and the error names the file, the element
    and the rule. The good delivery holds the three XML files, each valid and cross-referenced."""
    from orchestration.delivery.catalog import delivered_reports
    from orchestration.delivery.publication import write_report_files
    from orchestration.delivery.regulatory_xml import xml_errors
    from orchestration.delivery.validation import DeliveryRefused
    from orchestration.resources import Warehouse

    reports = delivered_reports()
    manifest = write_report_files(
        Warehouse(url=scenario["warehouse"]), tmp_path / "good", date(2025, 2, 28), reports
    )
    folder = tmp_path / "good" / "2025-02-28"
    xml_files = {s.table: s.xml.schema for s in reports if s.xml}
    # The file naming borrowers lies in the restricted folder: the owner's only (0700, 0600).
    named = {"regulatory_credit_reference": "restricted/regulatory_credit_reference.xml"}
    paths = {t: named.get(t, f"{t}.xml") for t in xml_files}
    delivered = {f["name"]: f for f in manifest["files"]}
    assert set(paths.values()) <= set(delivered)
    assert delivered[named["regulatory_credit_reference"]]["restricted"] is True
    assert (folder / "restricted").stat().st_mode & 0o777 == 0o700
    assert (folder / named["regulatory_credit_reference"]).stat().st_mode & 0o777 == 0o600
    assert (folder / "regulatory_account_balances.xml").stat().st_mode & 0o077 == 0o044  # no names
    for table, schema in xml_files.items():
        assert xml_errors(f"{table}.xml", (folder / paths[table]).read_bytes(), schema) == []
    credit = (folder / named["regulatory_credit_reference"]).read_text()
    assert f"<reference>{scenario['facility']}</reference>" in credit
    assert "<risk_category>A1</risk_category>" in credit
    # The supervisor's file names the borrower, from the restricted raw layer; the report table
    # analysts read holds no name or tax id.
    assert (
        "<borrower_name>Test Person</borrower_name>" in credit
        and "<borrower_tax_id>T-1</borrower_tax_id>" in credit
    )
    columns = _rows(
        scenario["warehouse"],
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'reports' "
        "AND table_name = 'regulatory_credit_reference'",
    )
    assert not {c for (c,) in columns} & {"borrower_name", "borrower_tax_id", "name", "tax_id"}

    corrupt = (
        "UPDATE reports.regulatory_account_balances SET regulatory_name = {}(regulatory_name) "
        "WHERE as_of_date = '2025-02-28' AND regulatory_code = '110100'"
    )
    with psycopg.connect(scenario["warehouse"]) as conn:
        conn.execute(corrupt.format("lower"))
    try:
        with pytest.raises(
            DeliveryRefused,
            match=r"2025-02-28 refused, nothing published: regulatory_account_balances.xml "
            r"/accountBalances/account\[1\]/regulatory_name: value doesn't match any pattern",
        ):
            write_report_files(
                Warehouse(url=scenario["warehouse"]), tmp_path / "bad", date(2025, 2, 28), reports
            )
        assert not (tmp_path / "bad" / "2025-02-28").exists()
    finally:
        with psycopg.connect(scenario["warehouse"]) as conn:
            conn.execute(corrupt.format("upper"))
