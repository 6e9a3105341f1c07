"""The core's events as a published contract, and reading events stored under older versions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from uuid import uuid4

import pytest
from tap_lana_events.tables import AGGREGATES as EXTRACTED
from tap_lana_events.tables import TABLES

from core_app import contract
from core_app.domain.aggregate import Aggregate
from core_app.domain.catalog import AGGREGATE_TYPES
from core_app.domain.events import (
    VERSION_KEY,
    DomainEvent,
    event_from_json,
    register,
    registered_events,
    unregister,
    upcaster,
)
from core_app.domain.money import Cents

STORED = Path(__file__).parent / "stored_events"


def test_the_published_contract_is_the_domain_s() -> None:
    assert contract.stale_files() == [], "the event contract is stale: run `python -m core_app.contract`"
    published = {p.relative_to(contract.CONTRACT_DIR) for p in contract.CONTRACT_DIR.rglob("*.json")}
    current = {p.relative_to(contract.CONTRACT_DIR) for p in contract.expected_files()}
    # Older versions stay published; nothing is published that the domain does not define.
    assert {p.parent / p.name.split(".v")[0] for p in published} == {
        p.parent / p.name.split(".v")[0] for p in current
    }


def test_the_extractor_streams_what_the_contract_publishes() -> None:
    assert set(EXTRACTED) == set(AGGREGATE_TYPES) == {a for a, _ in registered_events()}


def test_the_warehouse_declares_and_stages_every_extracted_table(dbt_manifest: Path) -> None:
    manifest = json.loads(dbt_manifest.read_text())
    sources = {n["name"] for n in manifest["sources"].values() if n["source_name"] == "raw"}
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert sources == {t.name for t in TABLES}, "dbt_project/models/staging/_sources.yml"
    assert {f"stg_{t}" for t in sources} <= models
    # Source freshness on every raw table that records when the core wrote its rows.
    fresh = {n["name"] for n in manifest["sources"].values() if n["source_name"] == "raw" and n["freshness"]}
    assert fresh == {t.name for t in TABLES if "recorded_at" in {c.name for c in t.columns}}


def test_a_changed_published_version_is_refused(tmp_path: Path) -> None:
    path, content = next(iter(contract.expected_files().items()))
    published = tmp_path / path.relative_to(contract.CONTRACT_DIR)
    published.parent.mkdir(parents=True)
    published.write_text(content.replace('"type": "object"', '"type": "array"'))
    with pytest.raises(contract.ContractChanged, match="raise the event class's `version`"):
        contract.write(tmp_path)
    assert contract.write(tmp_path, replace=True) and contract.stale_files(tmp_path) == []


# -- versions and upcasting: a test aggregate whose event was renamed once ------------------------


class TicketOpened(DomainEvent):
    """Version 2 renamed `subject` to `title` and split `amount` into a typed fee."""

    event_type: ClassVar[str] = "opened"
    version: ClassVar[int] = 2

    title: str
    fee: Cents


@dataclass
class Ticket(Aggregate):
    aggregate_type: ClassVar[str] = "test_ticket"

    title: str = ""
    fee: int = 0

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, TicketOpened):
            self.title, self.fee = event.title, event.fee


@pytest.fixture
def ticket_events() -> Iterator[None]:
    register("test_ticket", TicketOpened)

    @upcaster("test_ticket", "opened", from_version=1)
    def _subject_becomes_title(payload: dict) -> dict:
        return {"title": payload["subject"], "fee": payload["amount"]}

    yield
    unregister("test_ticket", "opened")


def test_an_event_stored_as_version_1_is_read_through_its_upcaster(ticket_events) -> None:
    stored = json.loads((STORED / "test_ticket_opened.v1.json").read_text())
    event = event_from_json("test_ticket", "opened", stored)
    assert event == TicketOpened(title="Card lost", fee=1500)
    ticket = Ticket.rehydrate(uuid4(), [event])
    assert (ticket.title, ticket.fee) == ("Card lost", 1500)


def test_new_events_are_stored_with_their_version_and_read_back(ticket_events) -> None:
    payload = TicketOpened(title="Card lost", fee=1500).to_json()
    assert payload[VERSION_KEY] == 2
    assert event_from_json("test_ticket", "opened", payload) == TicketOpened(title="Card lost", fee=1500)
    assert contract.schema_of(TicketOpened)["properties"][VERSION_KEY] == {"const": 2}


def test_a_version_without_its_upcaster_or_from_the_future_is_refused(ticket_events) -> None:
    with pytest.raises(ValueError, match="newer than this code's 2"):
        event_from_json("test_ticket", "opened", {"type": "opened", VERSION_KEY: 3, "title": "x", "fee": 1})
    unregister("test_ticket", "opened")
    register("test_ticket", TicketOpened)  # the upcaster is gone
    with pytest.raises(ValueError, match="no upcaster for test_ticket opened version 1"):
        event_from_json("test_ticket", "opened", {"type": "opened", "subject": "x", "amount": 1})
