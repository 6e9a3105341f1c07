"""Business dates: the daily partitions every report run is keyed by (UTC, like the core's days)."""

from __future__ import annotations

import os

import dagster as dg

FIRST_BUSINESS_DATE_ENV = "LANA_FIRST_BUSINESS_DATE"

business_dates = dg.DailyPartitionsDefinition(
    start_date=os.environ.get(FIRST_BUSINESS_DATE_ENV, "2025-01-01"),
    timezone="UTC",
    # A day is reported once it is over: the partition for D exists from midnight after D.
    end_offset=0,
)
