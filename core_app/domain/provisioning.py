"""The bank's loan-loss provisioning policy: risk categories, their day ranges and rates.

This module is the policy's one place. The end-of-day batch books the allowance it requires; the
warehouse reads the same categories from files generated from it (`python -m core_app.contract`
writes the `provision_rates` seed and the `aging_bucket` macro, and a test fails when they are
stale).

A facility's whole exposure (principal and interest receivable) is classified by its worst
obligation: the most days past due among its unpaid obligations, and the last category as soon
as one of them is defaulted by the core, whatever its days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

BASIS_POINTS = 10_000


@dataclass(frozen=True)
class RiskCategory:
    name: str
    order: int
    min_days_past_due: int
    max_days_past_due: int | None  # None: no upper bound (the last category)
    provision_rate_bps: int

    def holds(self, days_past_due: int) -> bool:
        upper = self.max_days_past_due
        return days_past_due >= self.min_days_past_due and (upper is None or days_past_due <= upper)


RISK_CATEGORIES: tuple[RiskCategory, ...] = (
    RiskCategory("current", 1, 0, 0, 100),
    RiskCategory("1-30", 2, 1, 30, 500),
    RiskCategory("31-60", 3, 31, 60, 2_000),
    RiskCategory("61-90", 4, 61, 90, 5_000),
    RiskCategory("90+", 5, 91, None, 10_000),
)
DEFAULTED_CATEGORY = RISK_CATEGORIES[-1]


def risk_category(days_past_due: int, defaulted: bool) -> RiskCategory:
    if defaulted:
        return DEFAULTED_CATEGORY
    return next(c for c in RISK_CATEGORIES if c.holds(days_past_due))


@dataclass(frozen=True)
class Arrears:
    """How late a facility is: its worst unpaid obligation."""

    days_past_due: int = 0
    defaulted: bool = False


@dataclass(frozen=True)
class Exposure:
    facility_id: UUID
    principal: int  # loans receivable, USD cents
    interest: int  # interest receivable (accrued, posted or not, and unpaid), USD cents
    arrears: Arrears = Arrears()

    @property
    def category(self) -> RiskCategory:
        return risk_category(self.arrears.days_past_due, self.arrears.defaulted)

    @property
    def required_provision(self) -> int:
        """The exposure times the category's rate, in cents, rounded half up per facility."""
        amount = (self.principal + self.interest) * self.category.provision_rate_bps
        return (amount + BASIS_POINTS // 2) // BASIS_POINTS


def required_allowance(exposures: Iterable[Exposure]) -> int:
    return sum(e.required_provision for e in exposures)


# -- the warehouse's copies ------------------------------------------------------------------


def provision_rates_seed() -> str:
    rows = [
        f"{c.name},{c.order},{c.min_days_past_due},"
        f"{'' if c.max_days_past_due is None else c.max_days_past_due},{c.provision_rate_bps}"
        for c in RISK_CATEGORIES
    ]
    header = "aging_bucket,bucket_order,min_days_past_due,max_days_past_due,provision_rate_bps"
    return "\n".join([header, *rows]) + "\n"


def aging_bucket_macro() -> str:
    whens = [
        f"      when {{{{ days_past_due }}}} <= {c.max_days_past_due} then '{c.name}'"
        for c in RISK_CATEGORIES
        if c.max_days_past_due is not None
    ]
    return (
        "\n".join(
            [
                "{# Generated from core_app/domain/provisioning.py by `python -m core_app.contract`.",
                "   Do not edit. The risk category (aging bucket) of an amount `days_past_due` days",
                "   late. An obligation the core has defaulted (`defaulted`: a SQL condition) is in the",
                "   last category whatever its days, as the core classifies it. #}",
                "{% macro aging_bucket(days_past_due, defaulted='false') -%}",
                "  case",
                f"      when {{{{ defaulted }}}} then '{DEFAULTED_CATEGORY.name}'",
                *whens,
                f"      else '{DEFAULTED_CATEGORY.name}'",
                "  end",
                "{%- endmacro %}",
            ]
        )
        + "\n"
    )
