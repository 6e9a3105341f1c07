"""The delinquency reports' aging buckets: how late unpaid obligations are, in 30-day bands.

A management view beside the reserve's NCB-022 categories (domain.provisioning): the bands a
collections team works by, with an obligation the core has defaulted in the last band whatever
its days. The warehouse reads them from files generated from here (`python -m core_app.contract`
writes the `aging_buckets` seed and the `aging_bucket` macro; a test fails when they are stale).
"""

from __future__ import annotations

from core_app.domain.day_bands import DayBand, case_lines

AGING_BUCKETS: tuple[DayBand, ...] = (
    DayBand("current", 1, 0, 0),
    DayBand("1-30", 2, 1, 30),
    DayBand("31-60", 3, 31, 60),
    DayBand("61-90", 4, 61, 90),
    DayBand("90+", 5, 91, None),
)
DEFAULTED_BUCKET = AGING_BUCKETS[-1]


def aging_buckets_seed() -> str:
    rows = [f"{b.name},{b.order},{b.min_days_past_due},{b.upper_bound}" for b in AGING_BUCKETS]
    return "\n".join(["aging_bucket,bucket_order,min_days_past_due,max_days_past_due", *rows]) + "\n"


def aging_bucket_macro() -> str:
    return (
        "\n".join(
            [
                "{# Generated from core_app/domain/delinquency.py by `python -m core_app.contract`.",
                "   Do not edit. The aging bucket of an amount `days_past_due` days late. An",
                "   obligation the core has defaulted (`defaulted`: a SQL condition) is in the last",
                "   bucket whatever its days. #}",
                "{% macro aging_bucket(days_past_due, defaulted='false') -%}",
                "  case",
                f"      when {{{{ defaulted }}}} then '{DEFAULTED_BUCKET.name}'",
                *case_lines(AGING_BUCKETS),
                "  end",
                "{%- endmacro %}",
            ]
        )
        + "\n"
    )
