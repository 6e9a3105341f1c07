"""The house's corridors: no import circle anywhere in the project, no function over 50 lines
outside tests and benchmarks, and only the delivery's assets module of it imports Dagster."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Each package of ours: its import name and its folder.
PACKAGES = {
    "core_app": REPO / "core_app",
    "orchestration": REPO / "orchestration",
    "tap_lana_events": REPO / "extractors/tap-lana-events/tap_lana_events",
    "lana_target_postgres": REPO / "loaders/lana-target-postgres/lana_target_postgres",
    "lana_target_bigquery": REPO / "loaders/lana-target-bigquery/lana_target_bigquery",
}
LONGEST_FUNCTION = 50


def _modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            name = ".".join((package, *parts)).removesuffix(".__init__")
            modules[name] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project's modules that `name` imports, wherever the import stands (a function body, a
    TYPE_CHECKING block): an import hidden there is still a dependency."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {t for t in targets if t in modules and t != name}
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_module_of_the_project_imports_itself_through_others() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    # A package's __init__ importing its own submodules is how packages work, not a circle.
    graph = {name: {t for t in targets if not name.startswith(f"{t}.")} for name, targets in graph.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def _functions(path: Path) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node.end_lineno - node.lineno + 1  # type: ignore[operator]


def test_no_function_is_longer_than_fifty_lines() -> None:
    long = [
        f"{path.relative_to(REPO)}:{name} ({lines} lines)"
        for path in sorted(_modules().values())
        for name, lines in _functions(path)
        if lines > LONGEST_FUNCTION
    ]
    assert long == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_delivery_imports_dagster_only_in_its_assets_module() -> None:
    folder = PACKAGES["orchestration"] / "delivery"
    importing = sorted(
        path.name
        for path in folder.glob("*.py")
        if any(
            (isinstance(n, ast.Import) and any(a.name.split(".")[0] == "dagster" for a in n.names))
            or (isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "dagster")
            for n in ast.walk(ast.parse(path.read_text()))
        )
    )
    assert importing in (["assets.py"], ["assets.py", "definitions.py"])
