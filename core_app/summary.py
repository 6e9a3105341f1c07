"""What the core database holds: event counts, the ledger's totals and the balance sheet."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from core_app.adapters.event_store import events_table
from core_app.domain.catalog import AGGREGATE_TYPES
from core_app.domain.money import SATS_PER_BTC


@dataclass
class DatabaseSummary:
    events_by_table: dict[str, int] = field(default_factory=dict)
    outbox_events: int = 0
    ledger_transactions: int = 0
    ledger_entries: int = 0
    net_by_currency: dict[str, int] = field(default_factory=dict)  # debits - credits
    balances_by_set: list[tuple[str, str, str, int]] = field(default_factory=list)
    facilities_by_status: dict[str, int] = field(default_factory=dict)

    @property
    def events(self) -> int:
        return sum(self.events_by_table.values())


def database_summary(conninfo: str) -> DatabaseSummary:
    summary = DatabaseSummary()
    with psycopg.connect(conninfo) as conn:
        for aggregate_type in sorted(AGGREGATE_TYPES):
            table = events_table(aggregate_type)
            summary.events_by_table[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        summary.outbox_events = conn.execute("SELECT count(*) FROM outbox_events").fetchone()[0]
        summary.ledger_transactions = conn.execute("SELECT count(*) FROM ledger_transactions").fetchone()[0]
        summary.ledger_entries = conn.execute("SELECT count(*) FROM ledger_entries").fetchone()[0]
        summary.net_by_currency = dict(
            conn.execute(
                "SELECT currency, sum(CASE WHEN side = 'debit' THEN amount ELSE -amount END)::bigint "
                "FROM ledger_entries GROUP BY currency ORDER BY currency"
            ).fetchall()
        )
        # From the entries, not ledger_current_balances: the accounts settled after commit have
        # their running balance there only as of the last settlement.
        summary.balances_by_set = conn.execute(
            "SELECT s.code, s.name, a.currency, "
            "coalesce(sum(CASE WHEN e.side = a.normal_side THEN e.amount ELSE -e.amount END), 0)::bigint "
            "FROM ledger_accounts a JOIN ledger_account_sets s ON s.id = a.account_set_id "
            "LEFT JOIN ledger_entries e ON e.account_id = a.id "
            "GROUP BY s.code, s.name, a.currency ORDER BY s.code"
        ).fetchall()
        summary.facilities_by_status = dict(
            conn.execute(
                "SELECT status, count(*) FROM ("
                "  SELECT DISTINCT ON (id) id, CASE event_type WHEN 'initialized' THEN 'proposed' "
                "    WHEN 'approved' THEN 'approved' WHEN 'activated' THEN 'active' "
                "    WHEN 'matured' THEN 'matured' WHEN 'completed' THEN 'closed' "
                "    WHEN 'written_off' THEN 'written_off' END AS status "
                "  FROM credit_facility_events "
                "  WHERE event_type IN ('initialized', 'approved', 'activated', 'matured', 'completed', "
                "                       'written_off') "
                "  ORDER BY id, sequence DESC) s GROUP BY status ORDER BY status"
            ).fetchall()
        )
    return summary


def format_money(amount: int, currency: str) -> str:
    if currency == "BTC":
        whole, sats = divmod(abs(amount), SATS_PER_BTC)
        return f"{'-' if amount < 0 else ''}{whole:,}.{sats:08d} BTC"
    whole, cents = divmod(abs(amount), 100)
    return f"{'-' if amount < 0 else ''}{whole:,}.{cents:02d} USD"


def format_summary(summary: DatabaseSummary) -> str:
    lines = ["Events:"]
    lines += [f"  {table:<30} {count:>10,}" for table, count in summary.events_by_table.items()]
    lines.append(f"  {'total':<30} {summary.events:>10,}")
    lines.append(f"  {'outbox_events (public)':<30} {summary.outbox_events:>10,}")
    lines.append(
        f"Ledger: {summary.ledger_transactions:,} transactions, {summary.ledger_entries:,} entries; "
        "debits - credits: "
        + ", ".join(f"{c} {n}" for c, n in summary.net_by_currency.items())
        + (" (balanced)" if all(n == 0 for n in summary.net_by_currency.values()) else " (UNBALANCED)")
    )
    lines.append("Balances by account set:")
    lines += [
        f"  {code} {name:<34} {format_money(balance, currency):>26}"
        for code, name, currency, balance in summary.balances_by_set
    ]
    if summary.facilities_by_status:
        lines.append(
            "Credit facilities: "
            + ", ".join(f"{count} {status}" for status, count in summary.facilities_by_status.items())
        )
    return "\n".join(lines)
