"""The delinquency reports' aging buckets: how late unpaid obligations are, in 30-day bands.

A management view beside the reserve's NCB-022 categories (domain.provisioning): the bands a
collections team works by, with an obligation the core has defaulted in the last band whatever
its days. The warehouse reads them from files generated from here (`python -m core_app.contract`
writes the `aging_buckets` seed and the `aging_bucket` macro; a test fails when they are stale).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AgingBucket:
    name: str
    order: int
    min_days_past_due: int
    max_days_past_due: int | None  # None: no upper bound (the last bucket)


AGING_BUCKETS: tuple[AgingBucket, ...] = (
    AgingBucket("current", 1, 0, 0),
    AgingBucket("1-30", 2, 1, 30),
    AgingBucket("31-60", 3, 31, 60),
    AgingBucket("61-90", 4, 61, 90),
    AgingBucket("90+", 5, 91, None),
)
DEFAULTED_BUCKET = AGING_BUCKETS[-1]


def _upper(bucket: AgingBucket) -> str:
    return "" if bucket.max_days_past_due is None else str(bucket.max_days_past_due)


def aging_buckets_seed() -> str:
    rows = [f"{b.name},{b.order},{b.min_days_past_due},{_upper(b)}" for b in AGING_BUCKETS]
    return "\n".join(["aging_bucket,bucket_order,min_days_past_due,max_days_past_due", *rows]) + "\n"


def aging_bucket_macro() -> str:
    whens = [
        f"      when {{{{ days_past_due }}}} <= {b.max_days_past_due} then '{b.name}'"
        for b in AGING_BUCKETS
        if b.max_days_past_due is not None
    ]
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
                *whens,
                f"      else '{DEFAULTED_BUCKET.name}'",
                "  end",
                "{%- endmacro %}",
            ]
        )
        + "\n"
    )
