"""PostgreSQL ledger: accounts, balanced transactions, entries and per-account balance history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

import psycopg
from psycopg import errors as pg_errors

from core_app.domain.errors import NotFound, UnbalancedTransaction
from core_app.domain.ledger import (
    ACCOUNT_SETS,
    OMNIBUS_ACCOUNTS,
    Account,
    LedgerTransaction,
    Side,
    balance_on_normal_side,
)

JOURNAL_ID = uuid5(UUID("6f1c1f63-5a0e-4d4b-9b4c-6b5f1c0a7e01"), "journal:general")
JOURNAL_NAME = "General ledger"


@dataclass
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
            (sorted(set(account_ids)),),
        ).fetchall()
        found = {row[0]: Balance(*row[:6], normal_side=Side(row[6])) for row in rows}
        missing = [str(a) for a in account_ids if a not in found]
        if missing:
            raise NotFound(f"ledger account(s) {', '.join(sorted(set(missing)))} do not exist")
        return found

    def balance(self, account_id: UUID, for_update: bool = False) -> int:
        return self.balances([account_id], for_update)[account_id].balance

    def post(self, transactions: Sequence[LedgerTransaction], recorded_at: datetime) -> int:
        """Write transactions, entries, balance history and new balances; returns entries written."""
        if not transactions:
            return 0
        balances = self.balances([e.account.id for t in transactions for e in t.entries], for_update=True)
        entry_rows: list[tuple] = []
        history_rows: list[tuple] = []
        for txn in transactions:
            for index, entry in enumerate(txn.entries):
                state = balances[entry.account.id]
                if state.currency != entry.currency.value:
                    raise UnbalancedTransaction(
                        f"entry on {entry.account.code} is in {entry.currency.value}, "
                        f"the account is in {state.currency}"
                    )
                if entry.side is Side.DEBIT:
                    state.debit_total += entry.amount
                else:
                    state.credit_total += entry.amount
                state.balance = balance_on_normal_side(
                    state.normal_side, state.debit_total, state.credit_total
                )
                state.version += 1
                entry_rows.append(
                    (
                        txn.id,
                        index,
                        entry.account.id,
                        entry.side.value,
                        entry.amount,
                        state.currency,
                        txn.effective_date,
                    )
                )
                history_rows.append(
                    (
                        entry.account.id,
                        state.version,
                        txn.id,
                        state.currency,
                        state.debit_total,
                        state.credit_total,
                        state.balance,
                        txn.effective_date,
                    )
                )
        self._insert_transactions(transactions, recorded_at)
        self._insert(
            "ledger_entries",
            entry_rows,
            recorded_at,
            "transaction_id, entry_index, account_id, side, amount, currency, effective_date",
            "uuid, int, uuid, text, bigint, text, date",
        )
        self._insert(
            "ledger_balance_history",
            history_rows,
            recorded_at,
            "account_id, version, transaction_id, currency, debit_total, credit_total, "
            "balance, effective_date",
            "uuid, int, uuid, text, bigint, bigint, bigint, date",
        )
        touched = [balances[a] for a in {row[0] for row in history_rows}]
        self.conn.execute(
            "UPDATE ledger_current_balances b SET version = u.v, debit_total = u.d, credit_total = u.c, "
            "balance = u.bal, updated_at = %s "
            "FROM unnest(%s::uuid[], %s::int[], %s::bigint[], %s::bigint[], %s::bigint[]) "
            "AS u(id, v, d, c, bal) WHERE b.account_id = u.id",
            (
                recorded_at,
                [s.account_id for s in touched],
                [s.version for s in touched],
                [s.debit_total for s in touched],
                [s.credit_total for s in touched],
                [s.balance for s in touched],
            ),
        )
        return len(entry_rows)

    def _insert_transactions(self, transactions: Sequence[LedgerTransaction], recorded_at: datetime) -> None:
        self.conn.execute(
            "INSERT INTO ledger_transactions (id, journal_id, template, effective_date, correlation_id, "
            "description, metadata, recorded_at) "
            "SELECT i, %s, t, d, c, s, m::jsonb, %s "
            "FROM unnest(%s::uuid[], %s::text[], %s::date[], %s::uuid[], %s::text[], %s::text[]) "
            "AS u(i, t, d, c, s, m)",
            (
                JOURNAL_ID,
                recorded_at,
                [t.id for t in transactions],
                [t.template for t in transactions],
                [t.effective_date for t in transactions],
                [t.correlation_id for t in transactions],
                [t.description for t in transactions],
                [json.dumps(t.metadata, sort_keys=True) for t in transactions],
            ),
        )

    def _insert(self, table: str, rows: list[tuple], recorded_at: datetime, columns: str, types: str) -> None:
        arrays = [list(column) for column in zip(*rows, strict=True)]
        casts = ", ".join(f"%s::{t.strip()}[]" for t in types.split(","))
        try:
            self.conn.execute(
                f"INSERT INTO {table} ({columns}, recorded_at) SELECT *, %s FROM unnest({casts})",
                (recorded_at, *arrays),
            )
        except pg_errors.CheckViolation as exc:
            raise UnbalancedTransaction(str(exc.diag.message_primary)) from None
