"""The documentation says nothing stale: every script, command, environment variable and file it
names exists (the site's links and anchors are checked by `mkdocs build --strict` in the test
command), and the README stays a front door."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
CODE_SUFFIXES = {".py", ".sh", ".yml", ".yaml", ".sql", ".toml", ".cfg", ".ini"}
CODE_FOLDERS = (
    "core_app",
    "orchestration",
    "extractors",
    "loaders",
    "dbt_project",
    "scripts",
    "tests",
    "benchmarks",
)


def _text() -> str:
    return "\n".join(page.read_text() for page in PAGES)


def _code() -> str:
    files = [REPO / "meltano.yml", REPO / "pyproject.toml", REPO / "Makefile", REPO / ".ci" / "run"]
    for folder in CODE_FOLDERS:
        files += [
            p for p in (REPO / folder).rglob("*") if p.suffix in CODE_SUFFIXES and ".venv" not in p.parts
        ]
    return "\n".join(p.read_text(errors="replace") for p in files if p.is_file())


def test_the_readme_is_a_front_door() -> None:
    assert len((REPO / "README.md").read_text().splitlines()) <= 200


def test_every_documented_script_exists() -> None:
    scripts = set(re.findall(r"scripts/([a-z_]+\.sh)", _text()))
    assert scripts and not [s for s in scripts if not (REPO / "scripts" / s).is_file()]


def test_every_documented_environment_variable_is_read_somewhere() -> None:
    code = _code()
    documented = set(re.findall(r"\b((?:LANA|DBT_LANA)_[A-Z0-9_]*[A-Z0-9])\b", _text()))
    assert documented and sorted(v for v in documented if v not in code) == []


@pytest.mark.parametrize("program", ["lana-core", "lana-flow"])
def test_every_documented_command_exists(program: str) -> None:
    from core_app import cli as core_cli
    from orchestration import cli as flow_cli

    main = {"lana-core": core_cli.main, "lana-flow": flow_cli.main}[program]
    documented = set(re.findall(rf"`{program} ([a-z][a-z-]*)", _text()))
    assert documented
    for command in sorted(documented):
        with pytest.raises(SystemExit) as help_shown:
            main([command, "--help"])
        assert help_shown.value.code == 0, f"{program} {command}"


def test_every_documented_make_target_exists() -> None:
    targets = set(re.findall(r"`make ([a-z-]+)`", _text())) | set(re.findall(r"\(make ([a-z-]+)\)", _text()))
    makefile = (REPO / "Makefile").read_text()
    assert sorted(t for t in targets if not re.search(rf"^{t}\b.*:|\b{t}\b.*:", makefile, re.MULTILINE)) == []


def test_every_documented_file_of_the_repository_exists() -> None:
    """Paths in inline code (`core_app/domain/money.py`), not the generated or per-date ones."""
    candidates = set(
        re.findall(r"`([a-zA-Z_.][\w./-]*/[\w.-]+\.(?:py|sql|sh|yml|yaml|md|csv|xsd|json|toml))`", _text())
    )
    missing = [
        path
        for path in sorted(candidates)
        if "<" not in path and not (REPO / path).exists() and not _found_below(path)
    ]
    assert missing == []


def _found_below(path: str) -> bool:
    """A path given relative to its own project folder (`macros/incremental.sql` in the dbt
    project, `tap_lana_events/tables.py` in the tap)."""
    return any(
        (REPO / folder / path).exists()
        for folder in (
            "dbt_project",
            "extractors/tap-lana-events",
            "loaders/lana-target-postgres",
            "loaders/lana-target-bigquery",
            "dbt_project/models",
            "dbt_project/schemas",
        )
    )


def test_every_module_the_scripts_and_docs_run_exists() -> None:
    """`python -m <module>` in the scripts and the documentation names a module that exists."""
    import importlib.util

    scripts = "\n".join(p.read_text() for p in (REPO / "scripts").glob("*.sh"))
    modules = set(re.findall(r"python -m ([a-z_][\w.]*)", _text() + scripts))
    assert modules and sorted(m for m in modules if importlib.util.find_spec(m) is None) == []
