"""Time and identity are injected, so that a simulation is reproducible and reports are dated."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class BusinessClock:
    """A clock a driver moves forward: the simulator's business day and time of day."""

    current: datetime

    @classmethod
    def at_start_of(cls, day: date) -> BusinessClock:
        return cls(datetime.combine(day, time(0, 0), tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def set(self, moment: datetime) -> None:
        if moment < self.current:
            raise ValueError(f"business time cannot go back from {self.current} to {moment}")
        self.current = moment

    def advance(self, delta: timedelta) -> None:
        self.set(self.current + delta)


def today(clock: Clock) -> date:
    return clock.now().date()


class IdGenerator(Protocol):
    def new_id(self) -> uuid.UUID: ...


class RandomIds:
    def new_id(self) -> uuid.UUID:
        return uuid.uuid4()


@dataclass
class SeededIds:
    """Version-4-shaped UUIDs from a seeded generator: the same seed gives the same ids."""

    seed: int
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(f"ids:{self.seed}")

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self._rng.getrandbits(128), version=4)
