"""Credit facility terms and the dates derived from them."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core_app.domain.errors import InvalidInput


class FacilityTerms(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    annual_rate_bps: int = Field(ge=0, le=10_000)  # 1200 = 12.00% a year
    duration_months: int = Field(ge=1, le=120)
    disbursal_fee_bps: int = Field(ge=0, le=10_000)
    # Collateral value to loan ratios, in basis points (15000 = 150%).
    initial_cvl_bps: int = Field(gt=0)
    margin_call_cvl_bps: int = Field(gt=0)
    liquidation_cvl_bps: int = Field(gt=0)
    overdue_after_days: int = Field(default=30, ge=1)
    defaulted_after_days: int = Field(default=90, ge=1)

    @model_validator(mode="after")
    def _ordered_ratios(self) -> FacilityTerms:
        if not self.liquidation_cvl_bps < self.margin_call_cvl_bps < self.initial_cvl_bps:
            raise ValueError("CVL ratios must satisfy liquidation < margin call < initial")
        if not self.overdue_after_days < self.defaulted_after_days:
            raise ValueError("overdue_after_days must be less than defaulted_after_days")
        return self

    @classmethod
    def parse(cls, **values: int) -> FacilityTerms:
        """Build terms, turning a validation failure into a domain error that names the field."""
        from pydantic import ValidationError

        try:
            return cls(**values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'terms'}: {e['msg']}" for e in exc.errors()
            )
            raise InvalidInput(f"invalid facility terms: {problems}") from None


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def accrual_period(start: date, maturity: date) -> tuple[date, date]:
    """The interest accrual cycle starting on `start`: to the month's end or the day before maturity."""
    return start, min(month_end(start), maturity - timedelta(days=1))
