"""Delivered CSV files checked against their Table Schema (frictionlessdata.io) before publication.

A report declares its schema in dbt (`meta.delivery.table_schema`, a file in
dbt_project/schemas/); a file that fails it stops the whole delivery, naming each row, field and
rule, so nothing invalid ever reaches the supervisor or finance.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

SCHEMAS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "schemas"


class DeliveryRefused(ValueError):
    """A file of the delivery failed its schema: nothing of the delivery was published."""

    def __init__(self, message: str, errors: list[str]) -> None:
        super().__init__(message)
        self.errors = errors  # each: the file, the element or row, the rule


def schema_path(name: str) -> Path:
    return SCHEMAS_DIR / name


def csv_errors(file_name: str, content: bytes, schema_name: str, limit: int = 20) -> list[str]:
    """Each way the CSV `content` fails the Table Schema `schema_name` (none: it is valid)."""
    from frictionless import Resource, Schema  # imported when a delivery has a schema to check

    schema = Schema.from_descriptor(json.loads(schema_path(schema_name).read_text()))
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / file_name).write_bytes(content)
        report = Resource(path=file_name, basepath=folder, schema=schema).validate(limit_errors=limit)
    return [
        f"{file_name} row {row}, field {field!r}: {kind}: {message}"
        if row
        else f"{file_name}: {kind}: {message}"
        for row, field, kind, message in report.flatten(["rowNumber", "fieldName", "type", "note"])
    ]
