"""Double-entry ledger rules, in the spirit of Cala: accounts, account sets, balanced transactions.

Accounts that belong to one customer entity (a deposit account, a facility) get ids derived from
the entity's id, so every writer agrees on them without a lookup.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

from core_app.domain.errors import InsufficientFunds, InvalidAmount, UnbalancedTransaction
from core_app.domain.money import Currency

_NAMESPACE = UUID("6f1c1f63-5a0e-4d4b-9b4c-6b5f1c0a7e01")


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class Category(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    REVENUE = "revenue"
    EXPENSE = "expense"
    OFF_BALANCE = "off_balance"


@dataclass(frozen=True)
class AccountSet:
    code: str
    name: str
    category: Category
    normal_side: Side
    parent: str | None

    @property
    def id(self) -> UUID:
        return uuid5(_NAMESPACE, f"set:{self.code}")


@dataclass(frozen=True)
class Account:
    id: UUID
    code: str
    name: str
    category: Category
    normal_side: Side
    currency: Currency
    account_set: str  # code of the set it belongs to
    external_id: UUID | None = None  # the deposit account or facility it belongs to


# The chart of accounts. Sets nest; leaf sets hold accounts.
ACCOUNT_SETS: tuple[AccountSet, ...] = (
    AccountSet("1000", "Assets", Category.ASSET, Side.DEBIT, None),
    AccountSet("1100", "Cash", Category.ASSET, Side.DEBIT, "1000"),
    AccountSet("1200", "Loans receivable", Category.ASSET, Side.DEBIT, "1000"),
    AccountSet("1300", "Interest receivable", Category.ASSET, Side.DEBIT, "1000"),
    AccountSet("1900", "Allowance for loan losses", Category.ASSET, Side.CREDIT, "1000"),
    AccountSet("2000", "Liabilities", Category.LIABILITY, Side.CREDIT, None),
    AccountSet("2100", "Customer deposits", Category.LIABILITY, Side.CREDIT, "2000"),
    AccountSet("2200", "Withdrawals in transit", Category.LIABILITY, Side.CREDIT, "2000"),
    AccountSet("3000", "Equity", Category.EQUITY, Side.CREDIT, None),
    AccountSet("3100", "Share capital", Category.EQUITY, Side.CREDIT, "3000"),
    AccountSet("4000", "Income", Category.REVENUE, Side.CREDIT, None),
    AccountSet("4100", "Interest income", Category.REVENUE, Side.CREDIT, "4000"),
    AccountSet("4200", "Fee income", Category.REVENUE, Side.CREDIT, "4000"),
    AccountSet("4300", "Recoveries of loans written off", Category.REVENUE, Side.CREDIT, "4000"),
    AccountSet("5000", "Expenses", Category.EXPENSE, Side.DEBIT, None),
    AccountSet("5100", "Loan loss provision expense", Category.EXPENSE, Side.DEBIT, "5000"),
    AccountSet("9000", "Off-balance sheet", Category.OFF_BALANCE, Side.DEBIT, None),
    AccountSet("9100", "BTC collateral held", Category.OFF_BALANCE, Side.DEBIT, "9000"),
    AccountSet("9200", "BTC collateral owed to customers", Category.OFF_BALANCE, Side.CREDIT, "9000"),
)
_SETS = {s.code: s for s in ACCOUNT_SETS}


def _omnibus(code: str, set_code: str, name: str, currency: Currency = Currency.USD) -> Account:
    account_set = _SETS[set_code]
    return Account(
        id=uuid5(_NAMESPACE, f"account:{code}"),
        code=code,
        name=name,
        category=account_set.category,
        normal_side=account_set.normal_side,
        currency=currency,
        account_set=set_code,
    )


CASH = _omnibus("1100.001", "1100", "Cash at bank")
ALLOWANCE = _omnibus("1900.001", "1900", "Allowance for loan losses")
WITHDRAWALS_IN_TRANSIT = _omnibus("2200.001", "2200", "Withdrawals in transit")
SHARE_CAPITAL = _omnibus("3100.001", "3100", "Share capital")
INTEREST_INCOME = _omnibus("4100.001", "4100", "Interest income")
FEE_INCOME = _omnibus("4200.001", "4200", "Disbursal fee income")
RECOVERIES = _omnibus("4300.001", "4300", "Recoveries of loans written off")
PROVISION_EXPENSE = _omnibus("5100.001", "5100", "Loan loss provision expense")
COLLATERAL_OWED = _omnibus("9200.001", "9200", "BTC collateral owed", Currency.BTC)
OMNIBUS_ACCOUNTS = (
    CASH,
    ALLOWANCE,
    WITHDRAWALS_IN_TRANSIT,
    SHARE_CAPITAL,
    INTEREST_INCOME,
    FEE_INCOME,
    RECOVERIES,
    PROVISION_EXPENSE,
    COLLATERAL_OWED,
)

# Accounts that nearly every command posts to (cash, income, fees, collateral owed). Commands write
# their entries but not their running balances: those, and their balance history, are brought up to
# date after commit by the ledger's settlement (the end-of-day batch runs it), so that commands of
# different customers never queue on one balance row. The allowance is not among them: the
# end-of-day batch reads it, locked, to true it up to the provisioning policy.
SETTLED_AFTER_COMMIT: frozenset[UUID] = frozenset(a.id for a in OMNIBUS_ACCOUNTS if a != ALLOWANCE)


def _entity_account(
    entity_id: UUID, set_code: str, purpose: str, currency: Currency = Currency.USD
) -> Account:
    account_set = _SETS[set_code]
    return Account(
        id=uuid5(entity_id, purpose),
        code=f"{set_code}.{entity_id}",
        name=f"{account_set.name}: {entity_id}",
        category=account_set.category,
        normal_side=account_set.normal_side,
        currency=currency,
        account_set=set_code,
        external_id=entity_id,
    )


# An entity's accounts are derived from its id (uuid5); the end-of-day batch asks for every
# facility's accounts daily, so the derivations are remembered (they are immutable values).
@lru_cache(maxsize=200_000)
def deposit_account_ledger(deposit_account_id: UUID) -> Account:
    return _entity_account(deposit_account_id, "2100", "customer-deposits")


@dataclass(frozen=True)
class FacilityAccounts:
    loans_receivable: Account
    interest_receivable: Account
    collateral: Account

    def all(self) -> tuple[Account, ...]:
        return (self.loans_receivable, self.interest_receivable, self.collateral)


@lru_cache(maxsize=200_000)
def facility_ledger(facility_id: UUID) -> FacilityAccounts:
    return FacilityAccounts(
        loans_receivable=_entity_account(facility_id, "1200", "loans-receivable"),
        interest_receivable=_entity_account(facility_id, "1300", "interest-receivable"),
        collateral=_entity_account(facility_id, "9100", "collateral", Currency.BTC),
    )


@dataclass(frozen=True)
class Entry:
    account: Account
    side: Side
    amount: int

    @property
    def currency(self) -> Currency:
        return self.account.currency


@dataclass(frozen=True)
class LedgerTransaction:
    """A balanced set of entries, posted atomically with the events that caused it."""

    id: UUID
    template: str
    effective_date: date
    correlation_id: UUID  # the aggregate (deposit, payment, ...) it belongs to
    description: str
    entries: tuple[Entry, ...]
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.entries) < 2:
            raise UnbalancedTransaction(f"transaction {self.template} needs at least two entries")
        totals: dict[Currency, int] = defaultdict(int)
        for entry in self.entries:
            if isinstance(entry.amount, bool) or not isinstance(entry.amount, int):
                raise InvalidAmount(f"entry amount must be an integer, got {entry.amount!r}")
            if entry.amount <= 0:
                raise InvalidAmount(f"entry on {entry.account.code} must be positive, got {entry.amount}")
            totals[entry.currency] += entry.amount if entry.side is Side.DEBIT else -entry.amount
        unbalanced = {c.value: t for c, t in totals.items() if t != 0}
        if unbalanced:
            raise UnbalancedTransaction(
                f"transaction {self.template} does not balance (debits - credits: {unbalanced})"
            )


# Sets whose accounts can never be below zero: the bank offers no overdraft on customer deposits,
# and a facility cannot hold less than no bitcoin. Commands check first (a withdrawal its funds);
# the ledger refuses any posting that would break this, whatever the command did.
NEVER_NEGATIVE_SETS = frozenset({"2100", "9100"})


def require_not_negative(account: Account, balance: int) -> None:
    if balance < 0 and account.account_set in NEVER_NEGATIVE_SETS:
        raise InsufficientFunds(
            f"the posting would leave account {account.code} at {balance:,} minor units of "
            f"{account.currency.value}: {_SETS[account.account_set].name.lower()} cannot go below zero"
        )


def balance_on_normal_side(normal_side: Side, debits: int, credits: int) -> int:
    return debits - credits if normal_side is Side.DEBIT else credits - debits


def pairs(*legs: tuple[Account, Account, int]) -> tuple[Entry, ...]:
    """Entries from (debit account, credit account, amount) legs; zero legs are dropped."""
    entries: list[Entry] = []
    for debit, credit, amount in legs:
        if amount == 0:
            continue
        entries.append(Entry(debit, Side.DEBIT, amount))
        entries.append(Entry(credit, Side.CREDIT, amount))
    return tuple(entries)


def accounts_of(entries: Sequence[Entry]) -> list[Account]:
    seen: dict[UUID, Account] = {}
    for entry in entries:
        seen.setdefault(entry.account.id, entry.account)
    return list(seen.values())
