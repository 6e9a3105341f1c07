"""The bank's liquidation policy: when a facility's bitcoin is sold, how much, at what price, and
where the money goes.

This module is the policy's one place; the end-of-day batch carries it out
(`core_app/application/end_of_day.py`) and docs/accounting.md documents it with a worked example.

- **When.** At the end of a business day, at the BTC/USD price in force that day: a facility that
  owes principal and whose CVL is below its terms' liquidation threshold, or one with a defaulted
  obligation still unpaid (its terms' days past due, 90), while it still holds collateral.
- **How much.** Below the threshold: the least whole satoshis whose sale brings the CVL back to the
  terms' initial CVL; all of them when no sale can (below about 102%, each sale loses more to the
  fee than it repays). On default: all of it (the bank enforces its security).
- **At what price.** The day's price, less the exchange's fee (`LIQUIDATION_FEE_BPS`, borne by
  the borrower): proceeds = value of the satoshis sold (rounded down to the cent) - fee (rounded
  half up).
- **Where the money goes.** The proceeds are a payment of the facility's obligations, interest
  before principal, earliest due first (as any payment), whether due yet or not. When a sale of
  everything brings more than the obligations, the interest accrued in the open cycle is posted
  as an obligation (due that day) first and nothing accrues any more: what is left once all of it
  is repaid is the borrower's (it goes to their deposit account) and the facility closes. A sale
  that falls short leaves the rest owed, accruing as before (unless the facility is on
  non-accrual); after a default, the write-off policy takes it off the books.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from math import ceil

from core_app.domain.money import BPS, SATS_PER_BTC, apply_bps_half_up, collateral_value_cents, cvl_bps

# What the exchange the bank sells through keeps, of the value sold: 2%, the upper end of an
# over-the-counter desk's fee for a forced sale.
LIQUIDATION_FEE_BPS = 200


class LiquidationTrigger(StrEnum):
    CVL_BELOW_LIQUIDATION = "cvl_below_liquidation"
    OBLIGATION_DEFAULTED = "obligation_defaulted"


@dataclass(frozen=True)
class Sale:
    """Satoshis sold at a price: their value, the exchange's fee and what reaches the bank."""

    sats: int
    price_cents: int

    @property
    def value(self) -> int:
        return collateral_value_cents(self.sats, self.price_cents)

    @property
    def fee(self) -> int:
        return apply_bps_half_up(self.value, LIQUIDATION_FEE_BPS)

    @property
    def proceeds(self) -> int:
        return self.value - self.fee


@dataclass(frozen=True)
class Owed:
    """What a facility owes on its obligations when it is liquidated."""

    interest: int
    principal: int

    @property
    def total(self) -> int:
        return self.interest + self.principal

    def principal_after(self, paid: int) -> int:
        """The principal left once `paid` is applied, interest first."""
        return self.principal - max(0, min(paid, self.total) - self.interest)


def sats_to_restore(held_sats: int, price_cents: int, owed: Owed, initial_cvl_bps: int) -> int:
    """The least satoshis whose sale restores the initial CVL (or leaves no principal owed); all
    of them when no sale can."""
    if held_sats <= 0 or owed.total <= 0:
        return 0

    def enough(sats: int) -> bool:
        proceeds = Sale(sats, price_cents).proceeds
        ratio = cvl_bps(held_sats - sats, price_cents, owed.principal_after(proceeds))
        return ratio is None or ratio >= initial_cvl_bps

    # Solve (held - x) q >= k (owed - x q r) for x, with q the cents a satoshi is worth, r what a
    # sale keeps after the fee and k the initial CVL; then step to the exact least satoshis (the
    # value and fee are rounded to the cent).
    q = Fraction(price_cents, SATS_PER_BTC)
    r = 1 - Fraction(LIQUIDATION_FEE_BPS, BPS)
    k = Fraction(initial_cvl_bps, BPS)
    restore = ceil((k * owed.total - held_sats * q) / (q * (k * r - 1))) if k * r > 1 else held_sats
    sats = min(max(1, restore), held_sats)
    while sats < held_sats and not enough(sats):
        sats += 1
    while sats > 1 and enough(sats - 1):
        sats -= 1
    return sats if enough(sats) else held_sats
