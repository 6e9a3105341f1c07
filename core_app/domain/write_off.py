"""The bank's write-off policy: when a loan leaves the books, and what is collected after.

This module is the policy's one place; the end-of-day batch carries it out
(`core_app/application/end_of_day.py`) and docs/accounting.md documents it with a worked example.

- **When.** At the end of a business day, a facility that still owes something, holds no bitcoin
  (what it held was sold, by the liquidation policy, and fell short), and either has defaulted (an
  obligation went unpaid 90 days: the sale may have repaid that one, not the rest) or has a worst
  unpaid obligation that has reached the last reserve category, `E` (181 days past due, NCB-022).
- **What.** Its principal and interest receivable (the ledger's balances) are removed against the
  allowance (`WRITE_OFF`: Dr allowance / Cr loans and interest receivable): the loss was
  provisioned. Where the loss comes before the reserve reached it (a shortfall on default), the
  day's allowance true-up books the rest as provision expense, so the expense is the loss either
  way. Interest accrued in the open cycle is posted first, so that every cent written off belongs
  to an obligation; each obligation is written off, and the facility leaves the portfolio.
- **After.** Anything collected on a written-off facility is a recovery (`RECOVERY`: Dr cash /
  Cr recoveries income), never a payment of a loan that is no longer on the books.
"""

from __future__ import annotations

from enum import StrEnum

from core_app.domain.provisioning import RISK_CATEGORIES

# The days past due at which a loan is written off: the first day of the last category (E, 100%).
WRITE_OFF_AFTER_DAYS = RISK_CATEGORIES[-1].min_days_past_due


class WriteOffReason(StrEnum):
    COLLATERAL_EXHAUSTED = "collateral_exhausted"
    CATEGORY_E = "category_e"


def write_off_reason(
    *, owes: bool, collateral_sats: int, defaulted: bool, days_past_due: int
) -> WriteOffReason | None:
    """Why the policy writes a facility off today, if it does (never while it holds bitcoin: that
    is sold first, by the liquidation policy)."""
    if not owes or collateral_sats:
        return None
    if defaulted:
        return WriteOffReason.COLLATERAL_EXHAUSTED
    if days_past_due >= WRITE_OFF_AFTER_DAYS:
        return WriteOffReason.CATEGORY_E
    return None
