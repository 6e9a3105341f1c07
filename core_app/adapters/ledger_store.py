"""PostgreSQL ledger: accounts, balanced transactions, entries and per-account balance history."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

import psycopg

from core_app.domain.errors import LimitExceeded, NotFound, UnbalancedTransaction
from core_app.domain.ledger import (
    ACCOUNT_SETS,
    OMNIBUS_ACCOUNTS,
    Account,
    Entry,
    LedgerTransaction,
    Side,
    balance_on_normal_side,
)

JOURNAL_ID = uuid5(UUID("6f1c1f63-5a0e-4d4b-9b4c-6b5f1c0a7e01"), "journal:general")
JOURNAL_NAME = "General ledger"

LARGEST_STORED_AMOUNT = 2**63 - 1  # the ledger's bigint columns
_SIDES = {side.value: side for side in Side}


@dataclass(eq=False)
class Balance:
    account_id: UUID
    currency: str
    version: int
    debit_total: int
    credit_total: int
    balance: int  # on the account's normal side
    normal_side: Side


def install_chart_of_accounts(conn: psycopg.Connection, created_at: datetime) -> None:
    """Create the journal, the account sets and the omnibus accounts (idempotent)."""
    conn.execute(
        "INSERT INTO ledger_journals (id, name, description, created_at) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (id) DO NOTHING",
        (JOURNAL_ID, JOURNAL_NAME, "The bank's single general ledger journal", created_at),
    )
    codes = {s.code: s for s in ACCOUNT_SETS}
    for account_set in ACCOUNT_SETS:  # parents come first in the chart
        conn.execute(
            "INSERT INTO ledger_account_sets "
            "(id, journal_id, code, name, category, normal_side, parent_id, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            (
                account_set.id,
                JOURNAL_ID,
                account_set.code,
                account_set.name,
                account_set.category.value,
                account_set.normal_side.value,
                codes[account_set.parent].id if account_set.parent else None,
                created_at,
            ),
        )
    create_accounts(conn, OMNIBUS_ACCOUNTS, created_at)


def create_accounts(conn: psycopg.Connection, accounts: Sequence[Account], created_at: datetime) -> None:
    if not accounts:
        return
    sets = {s.code: s.id for s in ACCOUNT_SETS}
    columns = list(
        zip(
            *[
                (
                    a.id,
                    a.code,
                    a.name,
                    a.category.value,
                    a.normal_side.value,
                    a.currency.value,
                    sets[a.account_set],
                    a.external_id,
                )
                for a in accounts
            ],
            strict=True,
        )
    )
    conn.execute(
        "INSERT INTO ledger_accounts "
        "(id, code, name, category, normal_side, currency, account_set_id, external_id, created_at) "
        "SELECT *, %s FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], %s::text[], "
        "%s::text[], %s::uuid[], %s::uuid[]) ON CONFLICT (id) DO NOTHING",
        (created_at, *[list(c) for c in columns]),
    )
    conn.execute(
        "INSERT INTO ledger_current_balances "
        "(account_id, currency, version, debit_total, credit_total, balance, updated_at) "
        "SELECT id, currency, 0, 0, 0, 0, %s FROM unnest(%s::uuid[], %s::text[]) AS u(id, currency) "
        "ON CONFLICT (account_id) DO NOTHING",
        (created_at, list(columns[0]), list(columns[5])),
    )


class PostgresLedger:
    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def balances(self, account_ids: Sequence[UUID], for_update: bool = False) -> dict[UUID, Balance]:
        """Current balances; with `for_update`, locked until the end of the transaction.

        Rows are locked in account-id order so that two writers never wait on each other in a cycle.
        """
        lock = " FOR UPDATE OF b" if for_update else ""
        rows = self.conn.execute(
            "SELECT b.account_id, b.currency, b.version, b.debit_total, b.credit_total, b.balance, "
            "a.normal_side FROM ledger_current_balances b JOIN ledger_accounts a ON a.id = b.account_id "
            f"WHERE b.account_id = ANY(%s) ORDER BY b.account_id{lock}",
            (list(set(account_ids)),),  # the ORDER BY, not this list, orders the locks
        ).fetchall()
        found = {row[0]: Balance(*row[:6], normal_side=_SIDES[row[6]]) for row in rows}
        _require_all(account_ids, found)
        return found

    def balance(self, account_id: UUID, for_update: bool = False) -> int:
        return self.balances([account_id], for_update)[account_id].balance

    def balances_of(self, account_ids: Sequence[UUID]) -> dict[UUID, int]:
        # Only the balances: the end-of-day batch reads every facility's accounts through here.
        found = dict(
            self.conn.execute(
                "SELECT account_id, balance FROM ledger_current_balances WHERE account_id = ANY(%s)",
                (list(set(account_ids)),),
            ).fetchall()
        )
        _require_all(account_ids, found)
        return found

    def post(self, transactions: Sequence[LedgerTransaction], recorded_at: datetime) -> int:
        """Write transactions, entries, balance history and new balances; returns entries written."""
        if not transactions:
            return 0
        balances = self.balances([e.account.id for t in transactions for e in t.entries], for_update=True)
        entry_rows, history_rows = _apply(transactions, balances)
        touched = {balances[row["account_id"]] for row in history_rows}
        self.conn.execute(
            POST_SQL,
            {
                "journal": JOURNAL_ID,
                "at": recorded_at,
                "transactions": _json(
                    {
                        "id": t.id,
                        "template": t.template,
                        "effective_date": t.effective_date,
                        "correlation_id": t.correlation_id,
                        "description": t.description,
                        "metadata": t.metadata,
                    }
                    for t in transactions
                ),
                "entries": _json(entry_rows),
                "history": _json(history_rows),
                "balances": _json(
                    {
                        "account_id": b.account_id,
                        "version": b.version,
                        "debit_total": b.debit_total,
                        "credit_total": b.credit_total,
                        "balance": b.balance,
                    }
                    for b in touched
                ),
            },
        )
        return len(entry_rows)


def _require_all(account_ids: Sequence[UUID], found: dict[UUID, object]) -> None:
    missing = {str(a) for a in account_ids if a not in found}
    if missing:
        raise NotFound(f"ledger account(s) {', '.join(sorted(missing))} do not exist")


def _apply(
    transactions: Sequence[LedgerTransaction], balances: dict[UUID, Balance]
) -> tuple[list[dict], list[dict]]:
    """Move `balances` through every entry in order; the entry and balance-history rows to write."""
    entry_rows: list[dict] = []
    history_rows: list[dict] = []
    for txn in transactions:
        for index, entry in enumerate(txn.entries):
            state = balances[entry.account.id]
            _move(state, entry)
            entry_rows.append(
                {
                    "transaction_id": txn.id,
                    "entry_index": index,
                    "account_id": entry.account.id,
                    "side": entry.side.value,
                    "amount": entry.amount,
                    "currency": state.currency,
                    "effective_date": txn.effective_date,
                }
            )
            history_rows.append(
                {
                    "account_id": entry.account.id,
                    "version": state.version,
                    "transaction_id": txn.id,
                    "currency": state.currency,
                    "debit_total": state.debit_total,
                    "credit_total": state.credit_total,
                    "balance": state.balance,
                    "effective_date": txn.effective_date,
                }
            )
    return entry_rows, history_rows


def _move(state: Balance, entry: Entry) -> None:
    if state.currency != entry.currency.value:
        raise UnbalancedTransaction(
            f"entry on {entry.account.code} is in {entry.currency.value}, the account is in {state.currency}"
        )
    if entry.side is Side.DEBIT:
        state.debit_total += entry.amount
    else:
        state.credit_total += entry.amount
    if max(state.debit_total, state.credit_total) > LARGEST_STORED_AMOUNT:
        raise LimitExceeded(
            f"account {entry.account.code}'s running total would exceed the largest amount "
            f"the ledger stores ({LARGEST_STORED_AMOUNT:,} minor units)"
        )
    state.balance = balance_on_normal_side(state.normal_side, state.debit_total, state.credit_total)
    state.version += 1


# One statement for a whole posting; its inputs travel as JSON, which is much cheaper to build than
# one array per column.
POST_SQL = """
WITH transactions AS (
    INSERT INTO ledger_transactions (id, journal_id, template, effective_date, correlation_id,
                                     description, metadata, recorded_at)
    SELECT x.id, %(journal)s, x.template, x.effective_date, x.correlation_id, x.description,
           x.metadata, %(at)s
      FROM jsonb_to_recordset(%(transactions)s::jsonb) AS x(
           id uuid, template text, effective_date date, correlation_id uuid,
           description text, metadata jsonb)
), entries AS (
    INSERT INTO ledger_entries (transaction_id, entry_index, account_id, side, amount, currency,
                                effective_date, recorded_at)
    SELECT x.*, %(at)s
      FROM jsonb_to_recordset(%(entries)s::jsonb) AS x(
           transaction_id uuid, entry_index int, account_id uuid, side text, amount bigint,
           currency text, effective_date date)
), history AS (
    INSERT INTO ledger_balance_history (account_id, version, transaction_id, currency,
                                        debit_total, credit_total, balance, effective_date,
                                        recorded_at)
    SELECT x.*, %(at)s
      FROM jsonb_to_recordset(%(history)s::jsonb) AS x(
           account_id uuid, version int, transaction_id uuid, currency text,
           debit_total bigint, credit_total bigint, balance bigint, effective_date date)
)
UPDATE ledger_current_balances b
   SET version = x.version, debit_total = x.debit_total, credit_total = x.credit_total,
       balance = x.balance, updated_at = %(at)s
  FROM jsonb_to_recordset(%(balances)s::jsonb) AS x(
       account_id uuid, version int, debit_total bigint, credit_total bigint, balance bigint)
 WHERE b.account_id = x.account_id
"""


def _json(rows: Iterable[dict]) -> str:
    return json.dumps(list(rows), default=str, ensure_ascii=False)
