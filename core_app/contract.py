"""The core's events as a published contract: one JSON Schema per event type and version.

The domain's event classes are the one source. `python -m core_app.contract` writes
`core_app/contract/events/<aggregate>/<event_type>.v<version>.json` for each registered event; a
published version is never rewritten with a different schema (bump the class's `version` and add
an upcaster instead). The extractor's streams, the warehouse's checks and the staging coverage test
read these files, and a test fails when they are stale.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from core_app.domain import (
    catalog,  # noqa: F401  (registers every event class)
    delinquency,
    provisioning,
)
from core_app.domain.events import VERSION_KEY, DomainEvent, registered_events
from core_app.domain.money import money_fields

CONTRACT_DIR = Path(str(resources.files("core_app") / "contract" / "events"))
# The warehouse's copies of the core's rules (dbt reads seeds and macros, not Python or JSON).
DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
STATUS_SEED = DBT_PROJECT / "seeds" / "event_statuses.csv"


class ContractChanged(Exception):
    """A published event version would be rewritten with a different schema."""


def schema_of(cls: type[DomainEvent]) -> dict[str, Any]:
    """The JSON Schema of one event type as stored (`type` and, after version 1, its version)."""
    schema = cls.model_json_schema(mode="serialization")
    schema["properties"] = {"type": {"const": cls.event_type}, **schema["properties"]}
    schema["required"] = ["type", *schema.get("required", [])]
    if cls.version > 1:
        schema["properties"][VERSION_KEY] = {"const": cls.version}
        schema["required"].append(VERSION_KEY)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"lana:events/{cls.aggregate_type}/{cls.event_type}/v{cls.version}",
        "x-lana": {
            "aggregate": cls.aggregate_type,
            "event_type": cls.event_type,
            "version": cls.version,
            "public_name": cls.public_name,
            "resulting_status": None if cls.resulting_status is None else str(cls.resulting_status),
            "money_fields": list(money_fields(cls)),
            "pii_fields": sorted(cls.pii_fields),
        },
        **schema,
    }


def contract_path(aggregate: str, event_type: str, version: int, root: Path = CONTRACT_DIR) -> Path:
    return root / aggregate / f"{event_type}.v{version}.json"


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=False) + "\n"


def expected_files() -> dict[Path, str]:
    """Every current event version's file and its content, as the domain defines them now."""
    return {
        contract_path(aggregate, event_type, cls.version): render(schema_of(cls))
        for (aggregate, event_type), cls in sorted(registered_events().items())
    }


def status_seed() -> str:
    """The `event_statuses` seed: the status each status-setting event leaves its aggregate in."""
    rows = [
        f"{aggregate},{event_type},{cls.resulting_status}"
        for (aggregate, event_type), cls in sorted(registered_events().items())
        if cls.resulting_status is not None
    ]
    return "\n".join(["aggregate,event_type,status", *rows]) + "\n"


def warehouse_files() -> dict[Path, str]:
    """The dbt files generated from the core: event statuses, the reserve policy and the
    delinquency reports' aging buckets."""
    return {
        STATUS_SEED: status_seed(),
        DBT_PROJECT / "seeds" / "provision_rates.csv": provisioning.provision_rates_seed(),
        DBT_PROJECT / "macros" / "risk.sql": provisioning.risk_macros(),
        DBT_PROJECT / "seeds" / "aging_buckets.csv": delinquency.aging_buckets_seed(),
        DBT_PROJECT / "macros" / "aging.sql": delinquency.aging_bucket_macro(),
    }


def _stale_warehouse_files() -> list[Path]:
    return [p for p, content in warehouse_files().items() if not p.exists() or p.read_text() != content]


def stale_files(root: Path = CONTRACT_DIR) -> list[str]:
    """Current event versions whose published file is missing or differs from the domain."""
    stale = []
    for path, content in expected_files().items():
        published = root / path.relative_to(CONTRACT_DIR)
        if not published.exists() or published.read_text() != content:
            stale.append(str(published.relative_to(root)))
    if root == CONTRACT_DIR:
        stale.extend(str(p) for p in _stale_warehouse_files())
    return stale


def _payload_schema(text: str) -> dict[str, Any]:
    """What a stored payload must look like: the schema without its descriptive `x-lana` block."""
    return {k: v for k, v in json.loads(text).items() if k != "x-lana"}


def write(root: Path = CONTRACT_DIR, replace: bool = False) -> list[Path]:
    """Write the missing or changed files (and, for the published contract, the warehouse's). A
    published version whose payload schema would change is refused unless `replace` (its
    description, `x-lana`, may change)."""
    written = []
    for path, content in expected_files().items():
        target = root / path.relative_to(CONTRACT_DIR)
        if target.exists() and target.read_text() == content:
            continue
        if (
            target.exists()
            and not replace
            and _payload_schema(target.read_text()) != _payload_schema(content)
        ):
            raise ContractChanged(
                f"{target.relative_to(root)} is published with another schema: raise the event class's "
                "`version` and register an upcaster from the old one (or pass --replace for a version "
                "never released)"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        written.append(target)
    if root == CONTRACT_DIR:
        for path in _stale_warehouse_files():
            path.write_text(warehouse_files()[path])
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core_app.contract", description=__doc__.splitlines()[0])
    parser.add_argument("--replace", action="store_true", help="rewrite a changed version in place")
    args = parser.parse_args(argv)
    try:
        written = write(replace=args.replace)
    except ContractChanged as refused:
        print(f"contract: error: {refused}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print(f"{len(expected_files())} event types published, {len(written)} file(s) written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
