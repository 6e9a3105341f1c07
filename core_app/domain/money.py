"""Exact money: integers in minor units (USD cents, BTC satoshis), rates in basis points.

No floats anywhere: ratios and interest are computed with integer arithmetic and an explicit
rounding rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from core_app.domain.errors import InvalidAmount

SATS_PER_BTC = 100_000_000
BPS = 10_000  # 1 basis point = 1/10,000
DAYS_IN_YEAR = 365  # ACT/365 fixed day count


class Currency(StrEnum):
    USD = "USD"
    BTC = "BTC"


@dataclass(frozen=True)
class MinorUnits:
    """Marks an event field as money: a whole, non-negative number of the currency's minor units.
    The data checks find every such field from this mark (`money_fields`), not from a list."""

    currency: Currency


Cents = Annotated[int, MinorUnits(Currency.USD)]
Sats = Annotated[int, MinorUnits(Currency.BTC)]


def money_fields(event_class: Any) -> tuple[str, ...]:
    """The fields of a (pydantic) event class that hold money, in declaration order."""
    return tuple(
        name
        for name, field in event_class.model_fields.items()
        if any(isinstance(mark, MinorUnits) for mark in field.metadata)
    )


# The largest amount one command may move, in minor units: 10 billion USD in cents, 10,000 BTC in
# satoshis. Far above any real transaction, and low enough that the ledger's 64-bit running totals
# (up to 9.2e18) take millions of maximal commands per account before the ledger would refuse one
# (ledger_store.py checks before writing; the database never overflows).
MAX_AMOUNT = 10**12


# Bounds on what a facility can hold and what a price can say: every bitcoin there will ever be,
# and 100 million USD per bitcoin (about a thousand times any price seen). Far from any real value,
# they keep every derived amount (collateral value, running totals) inside the ledger's 64 bits.
MAX_COLLATERAL_SATS = 21_000_000 * 100_000_000
MAX_BTC_PRICE_CENTS = 10**10


def require_positive(amount: int, what: str, maximum: int = MAX_AMOUNT) -> int:
    """`amount` if it is a whole number of minor units in 1..`maximum`; InvalidAmount naming
    `what` otherwise."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount(f"{what} must be an integer number of minor units, got {amount!r}")
    if amount <= 0:
        raise InvalidAmount(f"{what} must be positive, got {amount}")
    if amount > maximum:
        per = " per command" if maximum == MAX_AMOUNT else ""
        raise InvalidAmount(f"{what} {amount:,} exceeds the maximum of {maximum:,} minor units{per}")
    return amount


def div_round_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, ties to even (banker's rounding)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def apply_bps(amount: int, rate_bps: int) -> int:
    """amount x rate, rounded half-even to a whole minor unit."""
    return div_round_half_even(amount * rate_bps, BPS)


def apply_bps_half_up(amount: int, rate_bps: int) -> int:
    """A non-negative amount x rate, rounded half up to a whole minor unit (the bank's own
    policies: reserves, fees)."""
    return (amount * rate_bps + BPS // 2) // BPS


def collateral_value_cents(collateral_sats: int, price_cents_per_btc: int) -> int:
    """USD value (cents, rounded down) of a BTC amount at a price."""
    return collateral_sats * price_cents_per_btc // SATS_PER_BTC


def cvl_bps(collateral_sats: int, price_cents_per_btc: int, loan_cents: int) -> int | None:
    """Collateral value to loan, in basis points (15000 = 150%); None when nothing is owed."""
    if loan_cents <= 0:
        return None
    return collateral_sats * price_cents_per_btc * BPS // (SATS_PER_BTC * loan_cents)


def interest_for_cent_days(cent_days: int, annual_rate_bps: int) -> int:
    """Simple ACT/365 interest on a sum of daily principal balances (cent-days), half-even."""
    return div_round_half_even(cent_days * annual_rate_bps, BPS * DAYS_IN_YEAR)
