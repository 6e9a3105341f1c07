"""Small builders shared by the tests."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import psycopg

from core_app.application.bank import Bank
from core_app.domain.terms import FacilityTerms

TERMS = FacilityTerms.parse(
    annual_rate_bps=1200,
    duration_months=3,
    disbursal_fee_bps=100,
    initial_cvl_bps=14_000,
    margin_call_cvl_bps=12_500,
    liquidation_cvl_bps=11_000,
)
PRICE = 100_000_00  # USD cents per BTC


@dataclass
class Borrower:
    customer_id: UUID
    account_id: UUID
    facility_id: UUID


def customer_with_account(bank: Bank, email: str = "ann@example.com") -> tuple[UUID, UUID]:
    customer_id = bank.customers.onboard(
        name="Ann Lee", email=email, phone="+1 555 0100", country="US", tax_id="123-45-6789"
    )
    bank.customers.approve_kyc(customer_id)
    return customer_id, bank.customers.open_deposit_account(customer_id)


def active_facility(
    bank: Bank, limit: int = 10_000_00, collateral_sats: int = 15_000_000, terms: FacilityTerms = TERMS
) -> Borrower:
    """An active facility: 0.15 BTC at 100,000 USD/BTC covers a 10,000 USD limit at 150%."""
    bank.treasury.record_price(PRICE)
    customer_id, account_id = customer_with_account(bank)
    facility_id = bank.credit.propose(customer_id, account_id, limit, terms)
    bank.credit.approve(facility_id)
    bank.credit.update_collateral(facility_id, collateral_sats)
    bank.credit.activate(facility_id)
    return Borrower(customer_id, account_id, facility_id)


def row_counts(conninfo: str) -> dict[str, int]:
    """Rows in every table of the core schema (the migrations' bookkeeping aside)."""
    with psycopg.connect(conninfo) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'schema_migrations' ORDER BY 1"
            )
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def ledger_net(conninfo: str) -> dict[str, int]:
    with psycopg.connect(conninfo) as conn:
        return dict(
            conn.execute(
                "SELECT currency, sum(CASE WHEN side = 'debit' THEN amount ELSE -amount END)::bigint "
                "FROM ledger_entries GROUP BY currency"
            ).fetchall()
        )
