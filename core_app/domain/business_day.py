"""Business days: the core says when a day is over in its books.

The end-of-day batch closes a day once it has accrued, posted, matured and aged everything for it.
Reports for a date are final only after that: the data platform builds them when it sees the
`closed` event (it is public: it also goes to the outbox), and refuses dates not closed yet.
Each day is its own one-event aggregate with an id derived from the date, so a day closes once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from core_app.domain.aggregate import Aggregate
from core_app.domain.errors import InvalidState
from core_app.domain.events import DomainEvent, register

_NAMESPACE = uuid.UUID("0b5f8f8e-4c1b-4d0e-9a61-2f1f3c2b7d10")


class BusinessDayClosed(DomainEvent):
    event_type: ClassVar[str] = "closed"
    public_name: ClassVar[str | None] = "business_day.closed"

    closed_date: date  # the business date closed
    facilities_processed: int  # open facilities the batch went through


register("business_day", BusinessDayClosed)


def business_day_id(day: date) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, day.isoformat())


@dataclass
class BusinessDay(Aggregate):
    aggregate_type: ClassVar[str] = "business_day"

    business_date: date | None = None
    closed: bool = False

    @classmethod
    def close(cls, day: date, facilities_processed: int) -> BusinessDay:
        business_day = cls(id=business_day_id(day))
        business_day.record(BusinessDayClosed(closed_date=day, facilities_processed=facilities_processed))
        return business_day

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, BusinessDayClosed):
            if self.closed:
                raise InvalidState(f"business day {event.closed_date} is already closed")
            self.business_date = event.closed_date
            self.closed = True
