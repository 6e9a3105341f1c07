"""Bands of days past due: what the reserve's risk categories and the delinquency reports' aging
buckets are each a list of, and the SQL `case` the warehouse classifies with (generated)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class DayBand:
    name: str
    order: int
    min_days_past_due: int
    max_days_past_due: int | None  # None: no upper bound (the last band)

    def holds(self, days_past_due: int) -> bool:
        upper = self.max_days_past_due
        return days_past_due >= self.min_days_past_due and (upper is None or days_past_due <= upper)

    @property
    def upper_bound(self) -> str:
        """The upper bound as a seed's cell: empty when there is none."""
        return "" if self.max_days_past_due is None else str(self.max_days_past_due)


def case_lines(bands: Sequence[DayBand], days: str = "{{ days_past_due }}") -> list[str]:
    """The `when` lines of a SQL case putting `days` in its band, the last band as `else`."""
    return [
        *(
            f"      when {days} <= {b.max_days_past_due} then '{b.name}'"
            for b in bands
            if b.max_days_past_due is not None
        ),
        f"      else '{bands[-1].name}'",
    ]
