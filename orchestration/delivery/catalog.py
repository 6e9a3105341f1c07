"""The reports finance teams receive, as declared once in dbt (`meta.delivery` on a report model).

The file writer, the Great Expectations report checks, the Dagster report assets and the documentation's
table of reports all come from here, so a report is added by its SQL and its YAML block alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

REPORTS_FOLDER = "reports"  # dbt_project/models/<this>/: the models that may be delivered
SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "schemas"


def schema_path(name: str) -> Path:
    """A schema a report declares (XSD, Table Schema), kept beside the dbt project's models."""
    return SCHEMAS_DIR / name


class ReportDeclarationError(ValueError):
    """A report's `meta.delivery` block is incomplete or names a column the model does not have."""


@dataclass(frozen=True)
class Bounds:
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Chart:
    """A chart of the HTML summary and the PDF pack (orchestration/charts.py draws it). `kind`:
    `bar`: `value` (money) summed per `label`, in `order` if given, else by label; with `series`,
    stacked columns (one per `label`, one segment per `series`, ordered by `order`); `line`:
    `value` (money) per `label` (a date); `histogram`: how the rows' `value` is distributed."""

    title: str
    value: str
    label: str | None = None
    kind: str = "bar"
    series: str | None = None
    order: str | None = None
    where: tuple[tuple[str, str], ...] = ()  # only the rows with these column values (e.g. no totals)

    @property
    def columns(self) -> set[str]:
        return {c for c in (self.label, self.value, self.series, self.order, *dict(self.where)) if c}

    def plots(self, row: Mapping[str, object]) -> bool:
        return all(str(row[column]) == value for column, value in self.where)


@dataclass(frozen=True)
class XmlFile:
    """The report is also written as `<table>.xml`: one `row` element per row (one child element
    per column) under `root`, validated against `schema` (an XSD in dbt_project/schemas/) before
    anything is published. `references`: (column, other report, its column): every value of the
    column must be one of the other report's, on the same date (a cross-file check)."""

    root: str
    row: str
    schema: str
    references: tuple[tuple[str, str, str], ...] = ()
    # A customer id column whose person the supervisor must know: `<prefix>_name` and
    # `<prefix>_tax_id` follow it in the file, read from the restricted raw layer at delivery
    # (never stored in a report table analysts can read).
    identify: str | None = None


@dataclass(frozen=True)
class PdfSection:
    """How the report appears in the PDF pack: these columns of its rows; with `group_by`, one
    row per value of that column with the number of rows and the sums of the money `columns`."""

    columns: tuple[str, ...]
    group_by: str | None = None


@dataclass(frozen=True)
class ReportSpec:
    table: str
    title: str
    grain: str
    order: int
    money_columns: frozenset[str] = frozenset()  # integer USD cents, written as decimal dollars
    expected_rows: Bounds | None = None  # rows per business date (a volume check)
    value_ranges: Mapping[str, Bounds] | None = None  # per column (a distribution check)
    chart: Chart | None = None  # in the HTML summary
    sort_by: tuple[str, ...] = ()  # the readers' row order (the other columns break ties)
    table_schema: str | None = None  # its CSV must pass this Table Schema (dbt_project/schemas/)
    btc_columns: frozenset[str] = frozenset()  # integer satoshis, written as BTC with 8 decimals
    xml: XmlFile | None = None  # a regulatory file, besides the CSV and the workbook's sheet
    sources: tuple[str, ...] = ()  # the models and seeds it is built from (its dbt parents)
    pdf: PdfSection | None = None  # a section of the PDF pack

    @property
    def never_empty(self) -> bool:
        return self.expected_rows is not None and (self.expected_rows.min or 0) > 0

    @property
    def has_distribution_checks(self) -> bool:
        return self.expected_rows is not None or bool(self.value_ranges)


def reports_from_manifest(manifest: Mapping[str, Any]) -> tuple[ReportSpec, ...]:
    """Every model under models/reports/ with a `meta.delivery` block, in delivery order."""
    specs = [
        _spec(node)
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["fqn"][1:2] == [REPORTS_FOLDER]
        and "delivery" in node["config"].get("meta", {})
    ]
    orders = [s.order for s in specs]
    if len(set(orders)) != len(orders):
        raise ReportDeclarationError(f"two delivered reports share an order: {sorted(orders)}")
    return tuple(sorted(specs, key=lambda s: s.order))


class _Bounds(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min: int | None = None
    max: int | None = None


class _Chart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    value: str
    label: str | None = None
    kind: Literal["bar", "line", "histogram"] = "bar"
    series: str | None = None
    order: str | None = None
    where: dict[str, str] = {}


class _Xml(BaseModel):
    model_config = ConfigDict(extra="forbid")
    root: str
    row: str
    schema_: str = Field(alias="schema")
    references: dict[str, str] = {}
    identify: str | None = None


class _Pdf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    columns: list[str]
    group_by: str | None = None


class _Delivery(BaseModel):
    """A report's `meta.delivery` block as declared in its YAML (ReportSpec says what each means)."""

    model_config = ConfigDict(extra="forbid")
    title: str
    grain: str
    order: int
    money_columns: list[str] = []
    btc_columns: list[str] = []
    expected_rows: _Bounds | None = None
    value_ranges: dict[str, _Bounds] = {}
    chart: _Chart | None = None
    sort_by: list[str] = []
    table_schema: str | None = None
    xml: _Xml | None = None
    pdf: _Pdf | None = None


def _spec(node: Mapping[str, Any]) -> ReportSpec:
    name = node["name"]
    try:
        declared = _Delivery.model_validate(node["config"]["meta"]["delivery"])
    except ValidationError as invalid:
        raise ReportDeclarationError(f"{name}: meta.delivery {_said(invalid)}") from None
    spec = ReportSpec(
        table=name,
        title=declared.title,
        grain=declared.grain,
        order=declared.order,
        money_columns=frozenset(declared.money_columns),
        expected_rows=Bounds(**declared.expected_rows.model_dump()) if declared.expected_rows else None,
        value_ranges={c: Bounds(**b.model_dump()) for c, b in declared.value_ranges.items()} or None,
        chart=_chart(declared.chart),
        sort_by=tuple(declared.sort_by),
        table_schema=declared.table_schema,
        btc_columns=frozenset(declared.btc_columns),
        xml=_xml_file(name, declared.xml),
        pdf=PdfSection(tuple(declared.pdf.columns), declared.pdf.group_by) if declared.pdf else None,
        sources=tuple(sorted(p.split(".")[-1] for p in node.get("depends_on", {}).get("nodes", []))),
    )
    _check(spec, set(node["columns"]))
    return spec


def _said(invalid: ValidationError) -> str:
    """A declaration's errors in a reader's words: what it lacks, else what is wrong where."""
    errors = invalid.errors()
    missing = sorted(str(e["loc"][0]) for e in errors if e["type"] == "missing" and len(e["loc"]) == 1)
    if missing:
        return f"lacks {', '.join(missing)}"
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)


def _chart(declared: _Chart | None) -> Chart | None:
    if declared is None:
        return None
    return Chart(**{**declared.model_dump(), "where": tuple(declared.where.items())})


def _check(spec: ReportSpec, described: set[str]) -> None:
    """What the declaration names exists: its columns in the model's YAML, its schema files."""
    chart, xml, pdf = spec.chart, spec.xml, spec.pdf
    named = spec.money_columns | spec.btc_columns | set(spec.value_ranges or {}) | set(spec.sort_by)
    named |= chart.columns if chart else set()
    named |= {column for column, _, _ in xml.references} | {xml.identify} - {None} if xml else set()
    named |= {*pdf.columns, *([pdf.group_by] if pdf.group_by else [])} if pdf else set()
    if unknown := named - described:
        unknown_columns = ", ".join(sorted(unknown))
        raise ReportDeclarationError(
            f"{spec.table}: meta.delivery names columns its YAML does not describe: {unknown_columns}"
        )
    if chart and chart.kind != "histogram" and chart.value not in spec.money_columns:
        raise ReportDeclarationError(
            f"{spec.table}: its chart's value {chart.value} is not one of its money_columns"
        )
    if chart and chart.kind != "histogram" and chart.label is None:
        raise ReportDeclarationError(f"{spec.table}: its {chart.kind} chart needs a label")
    for schema in (spec.table_schema, xml.schema if xml else None):
        if schema and not schema_path(schema).is_file():
            raise ReportDeclarationError(f"{spec.table}: its schema {schema_path(schema)} does not exist")


def _xml_file(name: str, declared: _Xml | None) -> XmlFile | None:
    if not declared:
        return None
    references = []
    for column, target in declared.references.items():
        report, _, target_column = target.partition(".")
        if not target_column:
            raise ReportDeclarationError(f"{name}: reference {target!r} is not <report>.<column>")
        references.append((column, report, target_column))
    return XmlFile(declared.root, declared.row, declared.schema_, tuple(references), declared.identify)


def delivered_reports(manifest_path: Path | None = None) -> tuple[ReportSpec, ...]:
    """The delivered reports of the project's manifest (parsed first when there is none)."""
    from orchestration.transform.dbt_manifest import prepare_manifest  # dagster-dbt: only when parsing

    path = manifest_path or prepare_manifest()
    return reports_from_manifest(json.loads(path.read_text()))


def reports_table(reports: tuple[ReportSpec, ...]) -> str:
    """The table of delivered reports (docs/finance.md (tests/unit/test_report_catalog.py keeps it true)."""
    lines = [
        "| Files (each also a sheet of the workbook) | Sheet | Grain (per business date) "
        "| Checked against | Built from |",
        "|---|---|---|---|---|",
    ]
    for r in reports:
        xml = f"restricted/{r.table}.xml" if r.xml and r.xml.identify else f"{r.table}.xml"
        files = f"`{r.table}.csv`" + (f", `{xml}`" if r.xml else "")
        schemas = [f"`schemas/{s}`" for s in (r.table_schema, r.xml.schema if r.xml else None) if s]
        built_from = ", ".join(f"`{s}`" for s in r.sources if s != "int_report_date")
        lines.append(f"| {files} | {r.title} | {r.grain} | {', '.join(schemas) or '-'} | {built_from} |")
    return "\n".join(lines)


# The finance readers' page of the documentation holds the table of delivered reports.
FINANCE_PAGE = Path(__file__).resolve().parents[2] / "docs" / "finance.md"
TABLE_MARKERS = ("<!-- delivered-reports:start -->\n", "\n<!-- delivered-reports:end -->")


def page_with_table(page: str, reports: tuple[ReportSpec, ...]) -> str:
    """`page` with the text between its delivered-reports markers replaced by the table."""
    start, end = TABLE_MARKERS
    if start not in page or end not in page:
        raise ReportDeclarationError(f"{FINANCE_PAGE.name} lacks the markers {start.strip()}, {end.strip()}")
    head, rest = page.split(start, 1)
    tail = rest.split(end, 1)[1]
    return f"{head}{start}{reports_table(reports)}{end}{tail}"


if __name__ == "__main__":  # python -m orchestration.delivery.catalog: rewrite the docs' table
    from orchestration.transform.dbt_manifest import prepare_manifest

    table = page_with_table(FINANCE_PAGE.read_text(), delivered_reports(prepare_manifest(force=True)))
    FINANCE_PAGE.write_text(table)
    print(f"{FINANCE_PAGE}: table of delivered reports rewritten")
