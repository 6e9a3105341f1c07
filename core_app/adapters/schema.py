"""Versioned schema migrations: the SQL files in `migrations/`, applied in order, each once.

A checksum per applied file catches an edited migration (write a new one instead). An advisory
lock lets several processes call `migrate` at the same time safely.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources import files

import psycopg

_LOCK_KEY = 7_431_902  # any constant; identifies "schema migration" among advisory locks


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available_migrations() -> list[Migration]:
    folder = files("core_app.adapters") / "migrations"
    found = [
        Migration(entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    ]
    return sorted(found, key=lambda m: m.version)


def prepare_database(conninfo: str) -> list[str]:
    """Apply pending migrations and install the chart of accounts; safe to run any number of times."""
    from datetime import UTC, datetime

    from core_app.adapters.access import grant_core_access
    from core_app.adapters.ledger_store import install_chart_of_accounts

    applied = migrate(conninfo)
    grant_core_access(conninfo)
    with psycopg.connect(conninfo) as conn:
        install_chart_of_accounts(conn, datetime(2000, 1, 1, tzinfo=UTC))
    return applied


def migrate(conninfo: str) -> list[str]:
    """Apply every pending migration; returns the versions applied now."""
    applied_now: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = dict(conn.execute("SELECT version, checksum FROM schema_migrations").fetchall())
            for migration in available_migrations():
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise MigrationError(
                            f"migration {migration.version} was changed after it was applied; "
                            "add a new migration instead of editing an applied one"
                        )
                    continue
                with conn.transaction():
                    conn.execute(migration.sql)  # type: ignore[arg-type]
                    conn.execute(
                        "INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)",
                        (migration.version, migration.checksum),
                    )
                applied_now.append(migration.version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied_now
