"""Every number an event carries is classified: money (checked non-negative and whole by the data
checks, `core_app/domain/money.py`) or one of the few counts, rates and signed deltas below. A new
integer field fails here until it is one or the other."""

from __future__ import annotations

import types
import typing

from core_app.domain.catalog import AGGREGATES  # noqa: F401 - registers every event class
from core_app.domain.events import registered_events
from core_app.domain.money import money_fields

NOT_MONEY = {
    "idx": "an accrual cycle's number",
    "cvl_bps": "a ratio in basis points",
    "annual_rate_bps": "a rate in basis points",
    "facilities_processed": "a count",
    "delta_sats": "a signed change of collateral (the total after it is money)",
}


def _is_integer(annotation: object) -> bool:
    if annotation is int:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return int in typing.get_args(annotation)
    return typing.get_origin(annotation) is typing.Annotated and typing.get_args(annotation)[0] is int


def test_every_integer_event_field_is_money_or_declared_otherwise() -> None:
    unclassified = [
        f"{aggregate}.{event_type}.{name}"
        for (aggregate, event_type), cls in registered_events().items()
        for name, field in cls.model_fields.items()
        if _is_integer(field.annotation) and name not in money_fields(cls) and name not in NOT_MONEY
    ]
    assert unclassified == []


def test_the_amounts_the_checks_once_missed_are_money() -> None:
    events = registered_events()
    assert "fee" in money_fields(events["disbursal", "initialized"])
    assert "outstanding" in money_fields(events["obligation", "due_recorded"])
    assert "collateral_released_sats" in money_fields(events["credit_facility", "completed"])
    assert money_fields(events["interest_accrual_cycle", "interest_accrued"]) == (
        "principal",
        "amount",
        "cumulative",
    )
