"""Regulatory files as XML, validated against the XSDs kept in dbt_project/schemas/ before they leave.

A report declares its XML shape in dbt (`meta.delivery.xml`); each row becomes one element with
one child per column (money as USD with two decimals, satoshis as BTC with eight, dates ISO),
the business date is the root's `date`. A file that fails its XSD, or a reference to a row that
another file of the same delivery lacks, stops the whole delivery (orchestration.table_schemas).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from orchestration.delivery.catalog import schema_path

if TYPE_CHECKING:
    import xmlschema

    from orchestration.delivery.table import Table


def element_name(table: Table, column: str) -> str:
    if column in table.spec.money_columns:
        return column.removesuffix("_cents")
    if column in table.spec.btc_columns:
        return column.removesuffix("_sats") + "_btc"
    return column


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


Identities = dict[str, tuple[str | None, str | None]]  # customer id: (name, tax id)


def xml_document(table: Table, business_date: date, identities: Identities | None = None) -> bytes:
    """The report's rows as its declared XML (the as-of date is the root's `date`); the person
    behind the declared `identify` column follows it (missing: left out, which the XSD refuses)."""
    shape = table.spec.xml
    assert shape is not None
    root = ElementTree.Element(shape.root, {"date": business_date.isoformat()})
    for row in table.values():
        item = ElementTree.SubElement(root, shape.row)
        for column, value in zip(table.columns, row, strict=True):
            if column == "as_of_date" or value is None:
                continue
            ElementTree.SubElement(item, element_name(table, column)).text = _text(value)
            if column == shape.identify:
                prefix = column.removesuffix("_id")
                name, tax_id = (identities or {}).get(str(value), (None, None))
                for suffix, part in (("name", name), ("tax_id", tax_id)):
                    if part is not None:
                        ElementTree.SubElement(item, f"{prefix}_{suffix}").text = part
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


@cache
def _schema(name: str) -> xmlschema.XMLSchema:
    import xmlschema  # imported when a delivery has an XML file to check

    return xmlschema.XMLSchema(str(schema_path(name)))


def xml_errors(file_name: str, content: bytes, schema_name: str, limit: int = 20) -> list[str]:
    """Each way `content` fails the XSD `schema_name`, at the element's path with its row's
    position (`/root/row[3]/field`); none: the file is valid."""
    try:
        document = ElementTree.fromstring(content)
    except ElementTree.ParseError as error:
        return [f"{file_name}: not well-formed XML: {error}"]
    parents = {child: parent for parent in document.iter() for child in parent}
    errors = []
    for error in _schema(schema_name).iter_errors(document):
        where = _path(error.elem, parents) if error.elem is not None else error.path
        errors.append(f"{file_name} {where}: {error.reason}")
        if len(errors) == limit:
            break
    return errors


def _path(element: ElementTree.Element, parents: dict) -> str:
    """`/root/row[n]/field`: a row is named by its position among the root's rows."""
    steps = []
    while element in parents:
        parent = parents[element]
        if parent not in parents:  # a row: its number
            rows = [c for c in parent if c.tag == element.tag]
            steps.append(f"{element.tag}[{rows.index(element) + 1}]")
        else:
            steps.append(element.tag)
        element = parent
    steps.append(element.tag)
    return "/" + "/".join(reversed(steps))


def reference_errors(tables: list[Table]) -> list[str]:
    """Each declared reference whose value the referenced file of the same delivery lacks."""
    by_name = {t.spec.table: t for t in tables}
    errors = []
    for table in tables:
        for column, report, target_column in table.spec.xml.references if table.spec.xml else ():
            target = by_name.get(report)
            if target is None:
                errors.append(f"{table.spec.table}.xml: references {report}, which is not delivered")
                continue
            known = {row[target.columns.index(target_column)] for row in target.rows}
            index = table.columns.index(column)
            for number, row in enumerate(table.rows, start=1):
                if row[index] not in known:
                    errors.append(
                        f"{table.spec.table}.xml /{table.spec.xml.root}/{table.spec.xml.row}[{number}]"
                        f"/{element_name(table, column)}: {row[index]} is not a {target_column} "
                        f"of {report}.xml"
                    )
    return errors
