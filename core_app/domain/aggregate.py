"""Event-sourced aggregate base: state is a fold of events; commands record new events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Self
from uuid import UUID

from core_app.domain.events import DomainEvent

_CONTAINERS = (list, dict, set)


@dataclass
class Aggregate:
    aggregate_type: ClassVar[str]

    id: UUID
    version: int = 0  # the sequence of the last stored event
    pending: list[DomainEvent] = field(default_factory=list, repr=False)

    @classmethod
    def rehydrate(cls, aggregate_id: UUID, events: Iterable[DomainEvent]) -> Self:
        aggregate = cls(id=aggregate_id)
        aggregate.catch_up(events)
        return aggregate

    def catch_up(self, events: Iterable[DomainEvent]) -> None:
        """Apply stored events that follow the current version."""
        if self.pending:
            raise ValueError(f"{self.aggregate_type} {self.id} has unsaved events")
        for event in events:
            self.apply(event)
            self.version += 1

    def clone(self) -> Self:
        """An independent copy. Aggregate state holds immutable values (ids, dates, enums, frozen
        models and dataclasses) and flat containers of them, so copying the containers suffices.
        """
        # Straight from the instance's __dict__: the aggregate cache clones on every load and
        # commit, and copy.copy plus dataclasses.fields cost more than the rest of a daily accrual.
        state = {
            name: value.copy() if isinstance(value, _CONTAINERS) else value
            for name, value in self.__dict__.items()
        }
        twin = object.__new__(type(self))
        twin.__dict__.update(state)
        return twin

    def mark_stored(self) -> None:
        """Its pending events are stored: they now count in its version."""
        self.version += len(self.pending)
        self.pending.clear()

    def record(self, event: DomainEvent) -> None:
        if event.aggregate_type != self.aggregate_type:
            raise TypeError(f"{type(event).__name__} does not belong to {self.aggregate_type}")
        self.apply(event)
        self.pending.append(event)

    def apply(self, event: DomainEvent) -> None:
        raise NotImplementedError
