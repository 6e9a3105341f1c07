"""The bank's loan-loss reserve policy: El Salvador's NCB-022 risk categories and rates, applied to
each facility's exposure net of its bitcoin collateral.

This module is the policy's one place. The end-of-day batch books the allowance it requires; the
warehouse reads the same policy from files generated from it (`python -m core_app.contract` writes
the `provision_rates` seed and the `risk_category` and `collateral_haircut_bps` macros; a test
fails when they are stale).

- A facility's whole exposure (principal and interest receivable) is classified by its worst
  obligation: the most days past due among its unpaid obligations (NCB-022's consumer calendar).
- The collateral counts at its value at the BTC/USD price in force that day, less a haircut for
  what a forced sale of bitcoin may lose; the reserve is the category's rate of what the counted
  collateral does not cover.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from core_app.domain.day_bands import DayBand, case_lines
from core_app.domain.money import BPS, apply_bps_half_up, collateral_value_cents

# The share of the collateral's market value the reserve does not count on: bitcoin has lost a
# third of its value within days (March 2020), and a liquidation sells into that market.
COLLATERAL_HAIRCUT_BPS = 3_000


# A loan more than 90 days past due is non-performing (the NPL ratio's numerator), as the Basel
# Committee's definition of non-performing exposures and the supervisors following it count.
NON_PERFORMING_AFTER_DAYS = 90


@dataclass(frozen=True)
class RiskCategory(DayBand):
    provision_rate_bps: int

    @property
    def non_performing(self) -> bool:
        return self.min_days_past_due > NON_PERFORMING_AFTER_DAYS


# NCB-022 (Normas para clasificar los activos de riesgo crediticio y constituir las reservas de
# saneamiento), consumer loans: days past due -> category -> reserve rate of the net exposure.
RISK_CATEGORIES: tuple[RiskCategory, ...] = (
    RiskCategory("A1", 1, 0, 7, 0),
    RiskCategory("A2", 2, 8, 30, 100),
    RiskCategory("B", 3, 31, 60, 500),
    RiskCategory("C1", 4, 61, 90, 1_500),
    RiskCategory("C2", 5, 91, 120, 2_500),
    RiskCategory("D1", 6, 121, 150, 5_000),
    RiskCategory("D2", 7, 151, 180, 7_500),
    RiskCategory("E", 8, 181, None, 10_000),
)


def risk_category(days_past_due: int) -> RiskCategory:
    return next(c for c in RISK_CATEGORIES if c.holds(max(days_past_due, 0)))


@dataclass(frozen=True)
class Arrears:
    """How late a facility is: its worst unpaid obligation."""

    days_past_due: int = 0


@dataclass(frozen=True)
class Exposure:
    facility_id: UUID
    principal: int  # loans receivable, USD cents
    interest: int  # interest receivable (accrued, posted or not, and unpaid), USD cents
    arrears: Arrears = Arrears()
    collateral_sats: int = 0  # the BTC pledged to the facility
    price_cents: int = 0  # USD cents per BTC in force on the day

    @property
    def category(self) -> RiskCategory:
        return risk_category(self.arrears.days_past_due)

    @property
    def collateral_value(self) -> int:
        """At the day's price, in cents, rounded down (as every BTC value in the books)."""
        return collateral_value_cents(self.collateral_sats, self.price_cents)

    @property
    def collateral_counted(self) -> int:
        """The value less the haircut, rounded down: the reserve never counts a cent more."""
        return self.collateral_value * (BPS - COLLATERAL_HAIRCUT_BPS) // BPS

    @property
    def net_exposure(self) -> int:
        return max(0, self.principal + self.interest - self.collateral_counted)

    @property
    def required_provision(self) -> int:
        """The net exposure times the category's rate, in cents, rounded half up per facility."""
        return apply_bps_half_up(self.net_exposure, self.category.provision_rate_bps)


def required_allowance(exposures: Iterable[Exposure]) -> int:
    return sum(e.required_provision for e in exposures)


# -- the warehouse's copies ------------------------------------------------------------------


def provision_rates_seed() -> str:
    rows = [
        f"{c.name},{c.order},{c.min_days_past_due},{c.upper_bound},{c.provision_rate_bps},"
        f"{str(c.non_performing).lower()}"
        for c in RISK_CATEGORIES
    ]
    header = (
        "risk_category,category_order,min_days_past_due,max_days_past_due,provision_rate_bps,"
        "is_non_performing"
    )
    return "\n".join([header, *rows]) + "\n"


def risk_macros() -> str:
    return (
        "\n".join(
            [
                "{# Generated from core_app/domain/provisioning.py by `python -m core_app.contract`.",
                "   Do not edit. The NCB-022 risk category of an exposure whose worst unpaid",
                "   obligation is `days_past_due` days late. #}",
                "{% macro risk_category(days_past_due) -%}",
                "  case",
                *case_lines(RISK_CATEGORIES),
                "  end",
                "{%- endmacro %}",
                "",
                "{# The share of the collateral's value the reserve does not count on. #}",
                "{% macro collateral_haircut_bps() -%}",
                f"  {COLLATERAL_HAIRCUT_BPS}",
                "{%- endmacro %}",
            ]
        )
        + "\n"
    )
