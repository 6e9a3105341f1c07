"""Shared fixtures: a real PostgreSQL server and one fresh, migrated database per test.

The server is the embedded one (started if needed) unless LANA_DATABASE_URL names another; each
test database is a copy of a template migrated once per session, which is much faster than
migrating every time.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest

from core_app.adapters.schema import prepare_database
from core_app.application.bank import Bank
from core_app.application.clock import BusinessClock, SeededIds
from core_app.config import resolve_databases, with_database

START = date(2025, 1, 1)

# The local SMTP server and webhook receiver the alert tests deliver to.
pytest_plugins = ["tests.alert_receivers"]


def pytest_configure(config: pytest.Config) -> None:
    """Tests run side by side in workers (pytest-xdist, `-n`): each worker gets, before anything
    reads where they are, an embedded database server of its own (transaction ids are a server's:
    a transaction left open by one worker's test would hold back the settlement and the tap's
    watermark in the other's databases), a dbt target folder, and a Meltano folder (its system
    database, and the run files Meltano names alike for every run, such as the state it hands the
    tap). Unless LANA_DATABASE_URL names a server: then the workers share it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        repo = Path(__file__).resolve().parents[1]
        os.environ.setdefault("LANA_HOME", str(repo / ".lana" / "workers" / worker))
        os.environ["DBT_TARGET_PATH"] = f"target/{worker}"
        meltano = repo / ".meltano" / "workers" / worker
        meltano.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.environ["MELTANO_SYS_DIR_ROOT"] = str(meltano)
        os.environ["MELTANO_DATABASE_URI"] = f"sqlite:///{meltano / 'meltano.db'}"


@pytest.fixture(scope="session")
def admin_url() -> str:
    return with_database(resolve_databases().admin_url, "postgres")


@pytest.fixture(scope="session")
def template_name(admin_url: str) -> Iterator[str]:
    name = f"lana_test_template_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    prepare_database(with_database(admin_url, name))
    yield name
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _database_factory(admin_url: str, template_name: str) -> Iterator[callable]:
    created: list[str] = []

    def create(migrated: bool = True) -> str:
        name = f"lana_test_{uuid.uuid4().hex[:12]}"
        template = f' TEMPLATE "{template_name}"' if migrated else ""
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{template}')
        created.append(name)
        return with_database(admin_url, name)

    yield create
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def new_database(admin_url: str, template_name: str) -> Iterator[callable]:
    """A factory of fresh migrated databases, dropped after the test."""
    yield from _database_factory(admin_url, template_name)


@pytest.fixture(scope="module")
def module_database(admin_url: str, template_name: str) -> Iterator[callable]:
    """The same, for fixtures shared by the tests of one module."""
    yield from _database_factory(admin_url, template_name)


@pytest.fixture
def core_url(new_database) -> str:
    return new_database()


@pytest.fixture
def warehouse_url(new_database) -> str:
    """An empty database playing the warehouse."""
    return new_database(migrated=False)


@pytest.fixture
def clock() -> BusinessClock:
    return BusinessClock.at_start_of(START)


@pytest.fixture
def bank(core_url: str, clock: BusinessClock) -> Iterator[Bank]:
    bank = Bank.connect(core_url, clock, SeededIds(1))
    yield bank
    bank.close()


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """dbt's manifest of the project as it is now (parsed once per session; no warehouse needed)."""
    from orchestration.transform.dbt_manifest import prepare_manifest

    return prepare_manifest(force=True)
