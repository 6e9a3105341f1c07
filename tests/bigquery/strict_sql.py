"""GoogleSQL validation of the BigQuery-compiled dbt project, offline, with Google's ZetaSQL analyzer.

The emulator runs on DuckDB and accepts SQL that BigQuery rejects (`ILIKE`, `generate_series`,
`->>`, `varchar(16)`, `'1' = 1`), so it cannot tell us that our SQL is BigQuery's. ZetaSQL is the
analyzer behind BigQuery: every model is analyzed in dependency order against a catalog holding
what it reads (the raw tables as target-bigquery creates them, the seeds with their configured
column types, and each parent model with the output schema ZetaSQL resolved for it), then every
data test. Differences from BigQuery itself, all on the lenient side:
- open-source ZetaSQL lacks BigQuery's type aliases (BIGINT, INTEGER, DECIMAL ...): they are
  rewritten to their canonical names in casts before analysis;
- all released language features are on (BigQuery has most of them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tap_lana_events.tables import TABLES

# Columns target-bigquery adds to every raw table.
SDC_COLUMNS = {
    "_sdc_extracted_at": "TIMESTAMP",
    "_sdc_received_at": "TIMESTAMP",
    "_sdc_batched_at": "TIMESTAMP",
    "_sdc_deleted_at": "TIMESTAMP",
    "_sdc_sequence": "INT64",
    "_sdc_table_version": "INT64",
}
# BigQuery's names for its scalar types (what a seed's column_types may say), canonical name.
BIGQUERY_TYPES = {
    "string": "STRING",
    "int64": "INT64",
    "integer": "INT64",
    "int": "INT64",
    "bigint": "INT64",
    "smallint": "INT64",
    "numeric": "NUMERIC",
    "decimal": "NUMERIC",
    "bignumeric": "BIGNUMERIC",
    "float64": "DOUBLE",
    "bool": "BOOL",
    "boolean": "BOOL",
    "date": "DATE",
    "datetime": "DATETIME",
    "timestamp": "TIMESTAMP",
    "json": "JSON",
    "bytes": "BYTES",
}
_ALIAS_IN_CAST = re.compile(
    r"\bas\s+(bigint|integer|int|smallint|tinyint|byteint|decimal|bigdecimal)\b", re.IGNORECASE
)
_CANONICAL = {"decimal": "numeric", "bigdecimal": "bignumeric"}


@dataclass(frozen=True)
class Problem:
    node: str
    message: str

    def __str__(self) -> str:
        return f"{self.node}: {self.message}"


def canonical_types(sql: str) -> str:
    return _ALIAS_IN_CAST.sub(lambda m: "as " + _CANONICAL.get(m.group(1).lower(), "int64"), sql)


def _order(nodes: dict[str, dict]) -> list[str]:
    """Models in dependency order (parents first)."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(unique_id: str) -> None:
        if unique_id in seen:
            return
        seen.add(unique_id)
        for parent in nodes[unique_id]["depends_on"]["nodes"]:
            if parent in nodes:
                visit(parent)
        done.append(unique_id)

    for unique_id in sorted(nodes):
        visit(unique_id)
    return done


class Catalog:
    """Tables as BigQuery would name them: project, dataset, table (nested ZetaSQL catalogs)."""

    def __init__(self) -> None:
        from zetasql.types import LanguageOptions, ZetaSQLBuiltinFunctionOptions
        from zetasql.types.proto_model import ProductMode

        self.language = LanguageOptions.maximum_features()
        self.language.product_mode = ProductMode.PRODUCT_EXTERNAL  # BigQuery's mode
        self.datasets: dict[tuple[str, str], object] = {}
        from zetasql.types import SimpleCatalog

        self.root = SimpleCatalog(
            name="bigquery",
            table=[],
            catalog=[],
            builtin_function_options=ZetaSQLBuiltinFunctionOptions(language_options=self.language),
        )

    def _dataset(self, project: str, dataset: str):
        from zetasql.types import SimpleCatalog

        key = (project, dataset)
        if key not in self.datasets:
            project_catalog = next((c for c in self.root.catalog if c.name == project), None)
            if project_catalog is None:
                project_catalog = SimpleCatalog(name=project, table=[], catalog=[])
                self.root.catalog.append(project_catalog)
            self.datasets[key] = SimpleCatalog(name=dataset, table=[], catalog=[])
            project_catalog.catalog.append(self.datasets[key])
            if not any(c.name == dataset for c in self.root.catalog):  # `dataset.table`: default project
                self.root.catalog.append(self.datasets[key])
        return self.datasets[key]

    def add(self, project: str, dataset: str, table: str, columns: Iterable[tuple[str, object]]) -> None:
        from zetasql.api import TableBuilder

        builder = TableBuilder(table)
        for name, kind in columns:
            builder.add_column(name, kind)
        self._dataset(project, dataset).table.append(builder.build())

    def analyzer(self):
        from zetasql.api import Analyzer
        from zetasql.types import AnalyzerOptions

        return Analyzer(AnalyzerOptions(language_options=self.language), self.root)


def _type_kind(bigquery_type: str):
    from zetasql.types import TypeKind

    return getattr(TypeKind, f"TYPE_{bigquery_type}")


def seed_type_problems(manifest: dict) -> list[Problem]:
    """Seeds whose configured column types BigQuery does not know (a load job would refuse them)."""
    problems = []
    for seed in (n for n in manifest["nodes"].values() if n["resource_type"] == "seed"):
        declared = seed["config"].get("column_types") or {}
        unknown = {c: t for c, t in declared.items() if str(t).lower() not in BIGQUERY_TYPES}
        if unknown:
            problems.append(
                Problem(seed["unique_id"], f"column types that are not BigQuery types: {unknown}")
            )
    return problems


class GoogleSqlCheck:
    """A `dbt compile --target bigquery` manifest, analyzed node by node."""

    def __init__(self, manifest: dict) -> None:
        self.manifest = manifest
        self.catalog = Catalog()
        raw = {table.name: table for table in TABLES}
        for source in manifest["sources"].values():
            if source["identifier"] in raw:
                table = raw[source["identifier"]]
                columns = [(c.name, _type_kind(c.kind.bigquery_type)) for c in table.columns]
                columns += [(name, _type_kind(kind)) for name, kind in SDC_COLUMNS.items()]
            else:  # not loaded by the tap (the private key): its YAML declares its columns
                columns = [
                    (c["name"], _type_kind(c["data_type"].upper())) for c in source["columns"].values()
                ]
            self.catalog.add(source["database"], source["schema"], source["identifier"], columns)
        for seed in (n for n in manifest["nodes"].values() if n["resource_type"] == "seed"):
            columns = _seed_columns(seed)
            self.catalog.add(seed["database"], seed["schema"], seed["alias"], columns)
        self.analyzer = self.catalog.analyzer()

    def problem(self, sql: str) -> str | None:
        """Why `sql` is not valid GoogleSQL against the catalog so far (None: it is)."""
        try:
            self.analyzer.analyze_statement(canonical_types(sql))
        except Exception as exc:
            return _first_line(exc)
        return None

    def run(self) -> tuple[int, list[Problem]]:
        """Every model in dependency order (each then readable by its children), then every data test.

        Returns how many nodes were analyzed and the problems found (empty: all valid GoogleSQL).
        """
        nodes = self.manifest["nodes"]
        problems = seed_type_problems(self.manifest)
        models = {k: n for k, n in nodes.items() if n["resource_type"] == "model"}
        analyzed = 0
        for unique_id in _order(models):
            model = models[unique_id]
            try:
                statement = self.analyzer.analyze_statement(canonical_types(model["compiled_code"]))
            except Exception as exc:
                problems.append(Problem(unique_id, _first_line(exc)))
                continue
            analyzed += 1
            columns = [(c.name, c.column.type) for c in statement.output_column_list]
            self.catalog.add(model["database"], model["schema"], model["alias"], columns)
            self.analyzer = self.catalog.analyzer()
        for test in (n for n in nodes.values() if n["resource_type"] == "test"):
            message = self.problem(test["compiled_code"])
            if message:
                problems.append(Problem(test["unique_id"], message))
            else:
                analyzed += 1
        return analyzed, problems


def _seed_columns(seed: dict) -> list[tuple[str, object]]:
    """A seed's columns in file order, typed as configured (STRING where nothing is declared)."""
    import csv
    from pathlib import Path

    declared = seed["config"].get("column_types") or {}
    with (Path(seed["root_path"]) / seed["original_file_path"]).open() as handle:
        header = next(csv.reader(handle))
    return [
        (name, _type_kind(BIGQUERY_TYPES.get(str(declared.get(name, "string")).lower(), "STRING")))
        for name in header
    ]


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:500]
