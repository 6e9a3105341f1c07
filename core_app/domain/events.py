"""The base of every domain event and the registry that maps stored `event_type`s to classes.

Events are pydantic models so that one definition gives validation, JSON (de)serialisation and a
JSON schema, which the warehouse side uses to stay in step with the core's event definitions.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator

from core_app.domain.errors import InvalidInput


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    aggregate_type: ClassVar[str]
    event_type: ClassVar[str]
    # Set on events that other systems may consume: they also go to the outbox under this name.
    public_name: ClassVar[str | None] = None
    # Personal data never leaves the core through the outbox.
    pii_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _text_is_storable(self) -> DomainEvent:
        # PostgreSQL text cannot hold NUL; refused here with the field's name, not by the driver.
        for name, value in self:
            if isinstance(value, str) and "\x00" in value:
                raise InvalidInput(f"{self.event_type} {name} contains a NUL character")
        return self

    def to_json(self) -> dict[str, Any]:
        return {"type": self.event_type, **self.model_dump(mode="json")}

    def public_payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude=set(self.pii_fields))


_REGISTRY: dict[tuple[str, str], type[DomainEvent]] = {}


def register(aggregate_type: str, *event_classes: type[DomainEvent]) -> None:
    for cls in event_classes:
        cls.aggregate_type = aggregate_type
        key = (aggregate_type, cls.event_type)
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise ValueError(f"event type {key} registered twice")
        _REGISTRY[key] = cls


def event_from_json(aggregate_type: str, event_type: str, payload: dict[str, Any]) -> DomainEvent:
    cls = _REGISTRY[(aggregate_type, event_type)]
    body = {k: v for k, v in payload.items() if k != "type"}
    return cls.model_validate(body)


def registered_events() -> dict[tuple[str, str], type[DomainEvent]]:
    return dict(_REGISTRY)
