"""The base of every domain event and the registry that maps stored `event_type`s to classes.

Events are pydantic models so that one definition gives validation, JSON (de)serialisation and a
JSON schema: `core_app/contract.py` publishes one per event type and version, and the warehouse
side follows it.

Stored events are never rewritten. When an event's fields change, its class's `version` goes up
and an upcaster turns the previous version's stored payload into the new one; reading applies
them in turn (version 1 payloads carry no version, later ones carry it under `VERSION_KEY`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator

from core_app.domain.errors import InvalidInput


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    aggregate_type: ClassVar[str]
    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    # The aggregate's status once this event applies, for events that set one: the aggregate and
    # the warehouse (the `event_statuses` seed the contract generates) both read it from here.
    resulting_status: ClassVar[str | None] = None
    # Set on events that other systems may consume: they also go to the outbox under this name.
    public_name: ClassVar[str | None] = None
    # Personal data never leaves the core through the outbox.
    pii_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _text_is_storable(self) -> DomainEvent:
        # PostgreSQL text holds neither NUL nor what is not UTF-8 (a lone surrogate): refused here
        # with the field's name, not by the driver.
        for name, value in self:
            if not isinstance(value, str):
                continue
            if "\x00" in value:
                raise InvalidInput(f"{self.event_type} {name} contains a NUL character")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as error:
                raise InvalidInput(
                    f"{self.event_type} {name} is not valid text: a lone surrogate "
                    f"(U+{ord(value[error.start]):04X}) at position {error.start}"
                ) from None
        return self

    def to_json(self) -> dict[str, Any]:
        stamp = {VERSION_KEY: self.version} if self.version > 1 else {}
        return {"type": self.event_type, **stamp, **self.model_dump(mode="json")}

    def public_payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude=set(self.pii_fields))


VERSION_KEY = "event_version"

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]

_REGISTRY: dict[tuple[str, str], type[DomainEvent]] = {}
_UPCASTERS: dict[tuple[str, str, int], Upcaster] = {}


def register(aggregate_type: str, *event_classes: type[DomainEvent]) -> None:
    for cls in event_classes:
        cls.aggregate_type = aggregate_type
        key = (aggregate_type, cls.event_type)
        if key in _REGISTRY and _REGISTRY[key] is not cls:
            raise ValueError(f"event type {key} registered twice")
        _REGISTRY[key] = cls


def unregister(aggregate_type: str, event_type: str) -> None:
    """Forget an event type and its upcasters (for tests that define their own events)."""
    _REGISTRY.pop((aggregate_type, event_type), None)
    for key in [k for k in _UPCASTERS if k[:2] == (aggregate_type, event_type)]:
        del _UPCASTERS[key]


def upcaster(aggregate_type: str, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register `function` to turn a stored `from_version` payload into a `from_version + 1` one."""

    def registered(function: Upcaster) -> Upcaster:
        key = (aggregate_type, event_type, from_version)
        if key in _UPCASTERS:
            raise ValueError(f"upcaster {key} registered twice")
        _UPCASTERS[key] = function
        return function

    return registered


def event_from_json(aggregate_type: str, event_type: str, payload: Payload) -> DomainEvent:
    cls = _REGISTRY[(aggregate_type, event_type)]
    body = {k: v for k, v in payload.items() if k not in ("type", VERSION_KEY)}
    stored = int(payload.get(VERSION_KEY, 1))
    if stored > cls.version:
        raise ValueError(
            f"{aggregate_type} {event_type} stored as version {stored}, newer than this code's {cls.version}"
        )
    for version in range(stored, cls.version):
        step = _UPCASTERS.get((aggregate_type, event_type, version))
        if step is None:
            raise ValueError(f"no upcaster for {aggregate_type} {event_type} version {version}")
        body = step(body)
    return cls.model_validate(body)


def registered_events() -> dict[tuple[str, str], type[DomainEvent]]:
    return dict(_REGISTRY)
