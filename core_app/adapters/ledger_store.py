"""PostgreSQL ledger: accounts, balanced transactions, entries and per-account balance history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid5

import orjson
import psycopg

from core_app.domain.errors import LimitExceeded, NotFound, UnbalancedTransaction
from core_app.domain.ledger import (
    ACCOUNT_SETS,
    OMNIBUS_ACCOUNTS,
    SETTLED_AFTER_COMMIT,
    Account,
    LedgerTransaction,
    Side,
    accounts_of,
    balance_on_normal_side,
    require_not_negative,
)

JOURNAL_ID = uuid5(UUID("6f1c1f63-5a0e-4d4b-9b4c-6b5f1c0a7e01"), "journal:general")
JOURNAL_NAME = "General ledger"

LARGEST_STORED_AMOUNT = 2**63 - 1  # the ledger's bigint columns
# A command posting to an account settled after commit moves that account from its last settled
# running total, not from what the day's other commands have posted since: it may take it only to
# half the stored maximum, keeping the other half for them (4.6 million commands of the largest
# amount, money.MAX_AMOUNT, in one day), so that the settlement never meets a total it cannot store.
SETTLED_ACCOUNT_CEILING = LARGEST_STORED_AMOUNT // 2
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
        Accounts settled after commit (domain.ledger.SETTLED_AFTER_COMMIT) are never locked: their
        balance is as of the last settlement.
        """
        ids = set(account_ids)
        locked = ids - SETTLED_AFTER_COMMIT if for_update else set()
        rows = self.conn.execute(
            BALANCES_SQL, {"locked": list(locked), "read": list(ids - locked)}
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
        """Write transactions, entries, and the balance history and new balances of the accounts not
        settled after commit; returns entries written."""
        if not transactions:
            return 0
        balances = self.balances([e.account.id for t in transactions for e in t.entries], for_update=True)
        entry_rows, history_rows = _apply(transactions, balances)
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
                "balances": _balances_json(balances[row["account_id"]] for row in history_rows),
            },
        )
        return len(entry_rows)

    def settle(self, recorded_at: datetime) -> int:
        """Bring the balances and balance history of the accounts settled after commit up to date.

        Reads the entries on those accounts of every transaction below the horizon (the oldest
        transaction id still running: every transaction below it has committed or rolled back, so
        none can appear there later) and at or above the last settlement's horizon, in the order
        their transactions began writing, and writes them in one transaction with the new horizon:
        an entry is settled exactly once, however late its command committed. Settlements queue on
        the settlement row.
        Returns the entries settled.
        """
        accounts = list(SETTLED_AFTER_COMMIT)
        with self.conn.transaction():
            (since,) = self.conn.execute(
                "SELECT settled_below::text FROM ledger_settlement FOR UPDATE"
            ).fetchone()  # type: ignore[misc]
            horizon_row = self.conn.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")
            (horizon,) = horizon_row.fetchone()  # type: ignore[misc]
            entries = self.conn.execute(
                "SELECT e.account_id, e.side, e.amount, e.transaction_id, e.effective_date "
                "FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id "
                "WHERE e.tx_id >= %(since)s::xid8 AND e.tx_id < %(horizon)s::xid8 "
                "AND e.account_id = ANY(%(accounts)s) "
                "ORDER BY e.tx_id, t.global_position, e.entry_index",
                {"since": since, "horizon": horizon, "accounts": accounts},
            ).fetchall()
            balances = self.balances(accounts)  # only settlements write these rows
            history_rows = []
            for account_id, side, amount, transaction_id, effective_date in entries:
                state = balances[account_id]
                try:
                    _move(state, _SIDES[side], amount, _OMNIBUS_CODES[account_id], LARGEST_STORED_AMOUNT)
                except LimitExceeded as error:
                    raise LimitExceeded(
                        f"the ledger cannot settle: {error} (transaction {transaction_id}). Nothing was "
                        "settled; every entry is stored. The account needs to be split by an operator "
                        "before the running balances can be brought up to date."
                    ) from None
                history_rows.append(_history_row(state, transaction_id, effective_date))
            self.conn.execute(
                SETTLE_SQL,
                {
                    "at": recorded_at,
                    "horizon": horizon,
                    "history": _json(history_rows),
                    "balances": _balances_json(balances[row["account_id"]] for row in history_rows),
                },
            )
        return len(entries)


_OMNIBUS_CODES = {a.id: a.code for a in OMNIBUS_ACCOUNTS}


def _require_all(account_ids: Sequence[UUID], found: dict[UUID, object]) -> None:
    missing = {str(a) for a in account_ids if a not in found}
    if missing:
        raise NotFound(f"ledger account(s) {', '.join(sorted(missing))} do not exist")


def _apply(
    transactions: Sequence[LedgerTransaction], balances: dict[UUID, Balance]
) -> tuple[list[dict], list[dict]]:
    """Move `balances` through every entry in order; the entry and balance-history rows to write.

    Accounts settled after commit are moved too, so that a posting that would pass the ledger's
    limit on one is refused now, but get no history row here: `settle` writes theirs.
    """
    entry_rows: list[dict] = []
    history_rows: list[dict] = []
    for txn in transactions:
        for index, entry in enumerate(txn.entries):
            state = balances[entry.account.id]
            if state.currency != entry.currency.value:
                raise UnbalancedTransaction(
                    f"entry on {entry.account.code} is in {entry.currency.value}, "
                    f"the account is in {state.currency}"
                )
            settled_later = entry.account.id in SETTLED_AFTER_COMMIT
            ceiling = SETTLED_ACCOUNT_CEILING if settled_later else LARGEST_STORED_AMOUNT
            _move(state, entry.side, entry.amount, entry.account.code, ceiling)
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
            if not settled_later:
                history_rows.append(_history_row(state, txn.id, txn.effective_date))
        for account in accounts_of(txn.entries):
            require_not_negative(account, balances[account.id].balance)
    return entry_rows, history_rows


def _move(state: Balance, side: Side, amount: int, code: str, ceiling: int) -> None:
    if side is Side.DEBIT:
        state.debit_total += amount
    else:
        state.credit_total += amount
    if max(state.debit_total, state.credit_total) > ceiling:
        raise LimitExceeded(
            f"account {code}'s running total would exceed {ceiling:,} minor units"
            + (" (the largest amount the ledger stores)" if ceiling == LARGEST_STORED_AMOUNT else "")
        )
    state.balance = balance_on_normal_side(state.normal_side, state.debit_total, state.credit_total)
    state.version += 1


def _history_row(state: Balance, transaction_id: UUID, effective_date: date) -> dict:
    return {
        "account_id": state.account_id,
        "version": state.version,
        "transaction_id": transaction_id,
        "currency": state.currency,
        "debit_total": state.debit_total,
        "credit_total": state.credit_total,
        "balance": state.balance,
        "effective_date": effective_date,
    }


def _balances_json(states: Iterable[Balance]) -> str:
    return _json(
        {
            "account_id": b.account_id,
            "version": b.version,
            "debit_total": b.debit_total,
            "credit_total": b.credit_total,
            "balance": b.balance,
        }
        for b in set(states)
    )


# The accounts a posting moves: those it may lock, locked in id order, and the others read. The
# balances are the locked rows themselves: under READ COMMITTED a row locked after waiting for
# another writer is returned as that writer committed it, whereas a second read of the table in the
# same statement would still see the statement's snapshot, taken before the wait (a stale balance:
# two withdrawals would both pass the funds check).
BALANCES_SQL = """
WITH locked AS MATERIALIZED (
    SELECT account_id, currency, version, debit_total, credit_total, balance
      FROM ledger_current_balances
     WHERE account_id = ANY(%(locked)s::uuid[]) ORDER BY account_id FOR UPDATE
), current_balances AS (
    SELECT * FROM locked
    UNION ALL
    SELECT account_id, currency, version, debit_total, credit_total, balance
      FROM ledger_current_balances WHERE account_id = ANY(%(read)s::uuid[])
)
SELECT b.account_id, b.currency, b.version, b.debit_total, b.credit_total, b.balance, a.normal_side
  FROM current_balances b
  JOIN ledger_accounts a ON a.id = b.account_id
"""

# Balance history rows and the balances they end at, from JSON (parameters `history`, `balances`,
# `at`): the tail of a posting and the whole of a settlement.
_HISTORY_AND_BALANCES = """
history AS (
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

# One statement for a whole posting; its inputs travel as JSON, which is much cheaper to build than
# one array per column.
POST_SQL = (
    """
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
), """
    + _HISTORY_AND_BALANCES
)

SETTLE_SQL = (
    """
WITH settlement AS (
    -- never back: a transaction older than the last horizon may still run (only at migration)
    UPDATE ledger_settlement
       SET settled_below = greatest(settled_below, %(horizon)s::xid8), settled_at = %(at)s
), """
    + _HISTORY_AND_BALANCES
)


def _json(rows: Iterable[dict]) -> str:
    # orjson writes UUIDs and dates itself (json calls back into Python for each): a posting of the
    # end-of-day batch is a few thousand of them.
    return orjson.dumps(list(rows)).decode()
