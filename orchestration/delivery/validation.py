"""A delivery checked before anything of it is published: each CSV against its Table Schema
(frictionlessdata.io), each XML file against its XSD, and every cross-file reference.

A report declares its schemas in dbt (`meta.delivery`, files in dbt_project/schemas/); a file that
fails one stops the whole delivery, naming each file, row or element, field and rule, so nothing
invalid ever reaches the supervisor or finance.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from orchestration.delivery.catalog import schema_path
from orchestration.delivery.regulatory_xml import reference_errors, xml_errors
from orchestration.delivery.table import Table


class DeliveryRefused(ValueError):
    """A file of the delivery failed its schema: nothing of the delivery was published."""

    def __init__(self, message: str, errors: list[str]) -> None:
        super().__init__(message)
        self.errors = errors  # each: the file, the element or row, the rule


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


def delivery_errors(
    tables: list[Table], files: dict[str, bytes], xml_name: Callable[[Table], str]
) -> list[str]:
    """Every way the delivery's `files` fail their schemas or refer to what another file lacks."""
    errors = [
        error
        for t in tables
        if t.spec.table_schema
        for error in csv_errors(f"{t.spec.table}.csv", files[f"{t.spec.table}.csv"], t.spec.table_schema)
    ]
    errors += [
        error
        for t in tables
        if t.spec.xml
        for error in xml_errors(f"{t.spec.table}.xml", files[xml_name(t)], t.spec.xml.schema)
    ]
    return errors + reference_errors(tables)
