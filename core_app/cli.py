"""`lana-core`: run the embedded database, migrate, simulate and summarise."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from datetime import date

import psycopg

from core_app.adapters.access import grant_warehouse_access
from core_app.adapters.embedded_server import SUPERUSER, EmbeddedPostgres, EmbeddedServerError, default_home
from core_app.adapters.schema import MigrationError, prepare_database
from core_app.config import (
    ADMIN_URL_ENV,
    ANALYST_URL_ENV,
    DAGSTER_STORAGE_URL_ENV,
    DATABASE_URL_ENV,
    EXTRACTOR_URL_ENV,
    LOADER_URL_ENV,
    WAREHOUSE_ADMIN_URL_ENV,
    WAREHOUSE_URL_ENV,
    Databases,
    embedded_databases,
    resolve_databases,
    with_role,
)
from core_app.domain.errors import DomainError
from core_app.simulator import SimulationConfig, simulate
from core_app.summary import database_summary, format_summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lana-core", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="the embedded PostgreSQL server")
    db.add_argument("action", choices=["start", "stop", "reset", "url", "status", "env"])
    db.add_argument(
        "--role",
        choices=sorted(ROLE_URLS),
        default="admin",
        help="with `url`: the URL of this role (analyst: read-only, marts and reports)",
    )

    commands.add_parser("migrate", help="apply pending schema migrations")

    simulate = commands.add_parser("simulate", help="simulate bank activity through the services")
    simulate.add_argument("--customers", type=int, default=200)
    simulate.add_argument("--days", type=int, default=365)
    simulate.add_argument("--seed", type=int, default=7)
    simulate.add_argument("--start", type=date.fromisoformat, default=date(2025, 1, 1))
    simulate.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing (but print the summary) when the core database already holds events",
    )

    commands.add_parser("summary", help="print what the core database holds")

    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except (DomainError, EmbeddedServerError, MigrationError, psycopg.OperationalError) as exc:
        print(f"lana-core: error: {exc}", file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "db":
        return _db(args.action, args.role)
    databases = resolve_databases()
    if args.command == "migrate":
        applied = prepare_database(databases.admin_url)
        warehouse_admin = os.environ.get(WAREHOUSE_ADMIN_URL_ENV) or (
            with_role(databases.warehouse_url, SUPERUSER) if databases.embedded else ""
        )
        if warehouse_admin:
            grant_warehouse_access(warehouse_admin, os.environ.get("LANA_RAW_SCHEMA", "raw"))
        print(f"applied: {', '.join(applied) or 'nothing, the schema is up to date'}")
        return 0
    if args.command == "simulate":
        return _simulate(databases, args)
    if args.command == "summary":
        print(format_summary(database_summary(databases.core_url)))
        return 0
    raise AssertionError(args.command)


# Which URL of `Databases` each role connects with.
ROLE_URLS = {
    "admin": "admin_url",
    "core_app": "core_url",
    "extractor": "extractor_url",
    "loader": "loader_url",
    "transformer": "warehouse_url",
    "analyst": "analyst_url",
    "orchestrator": "dagster_url",
}


def _db(action: str, role: str) -> int:
    if action == "env":
        # For shells: eval "$(lana-core db env)" points Meltano, dbt, ... at the databases.
        databases = resolve_databases()
        for name, value in databases.environment().items():
            print(f"export {name}={shlex.quote(value)}")
        return 0
    server = EmbeddedPostgres(default_home())
    if action == "start":
        port = server.start()
        print(server.url("lana", port))
    elif action == "stop":
        print("stopped" if server.stop() else "not running")
    elif action == "reset":
        server.reset()
        print(f"deleted the embedded server's data under {server.runtime_dir}")
    elif action == "url":
        print(_role_url(server, role))
    elif action == "status":
        port = server.running_port()
        print(f"running on port {port}" if port else "not running")
        return 0 if port else 3
    return 0


# The variable that names each role's URL on a server of one's own (`Databases` falls back to
# another role's URL where one is unset: right for running, wrong for `db url --role`).
ROLE_URL_ENV = {
    "admin": ADMIN_URL_ENV,
    "core_app": DATABASE_URL_ENV,
    "extractor": EXTRACTOR_URL_ENV,
    "loader": LOADER_URL_ENV,
    "transformer": WAREHOUSE_URL_ENV,
    "analyst": ANALYST_URL_ENV,
    "orchestrator": DAGSTER_STORAGE_URL_ENV,
}


def _role_url(server: EmbeddedPostgres, role: str) -> str:
    """`role`'s URL, never another role's: on the embedded server (also when LANA_DATABASE_URL
    points at it, as after `eval "$(lana-core db env)"`), else from the role's own variable."""
    configured = os.environ.get(DATABASE_URL_ENV)
    port = server.running_port()
    if port is not None and (not configured or _same_server(configured, server.url("lana", port))):
        return getattr(embedded_databases(server, port), ROLE_URLS[role])
    if not configured:
        raise EmbeddedServerError("the embedded PostgreSQL server is not running: run `lana-core db start`")
    own = os.environ.get(ROLE_URL_ENV[role])
    if not own:
        raise DomainError(
            f"{ROLE_URL_ENV[role]} is not set: the {role} role's URL on the server of {DATABASE_URL_ENV} is "
            "not known (set it; docs/security.md#roles)"
        )
    return own


def _same_server(url: str, other: str) -> bool:
    from psycopg.conninfo import conninfo_to_dict

    first, second = conninfo_to_dict(url), conninfo_to_dict(other)
    return all(str(first.get(k)) == str(second.get(k)) for k in ("host", "port"))


def _simulate(databases: Databases, args: argparse.Namespace) -> int:
    if args.customers < 1 or args.days < 1:
        raise DomainError("--customers and --days must be at least 1")
    prepare_database(databases.admin_url)
    conninfo = databases.core_url
    if args.if_empty and database_summary(conninfo).events:
        print(
            "the core database already holds events: not simulating again (`lana-core db reset` starts over)"
        )
        print(format_summary(database_summary(conninfo)))
        return 0
    config = SimulationConfig(customers=args.customers, days=args.days, seed=args.seed, start=args.start)
    result = simulate(conninfo, config)
    print(
        f"simulated {result.customers} customers over {result.days} days "
        f"({result.start} to {result.end}, seed {result.seed}) in {result.seconds:.1f} s: "
        f"{result.events:,} events, {result.ledger_transactions:,} ledger transactions, "
        f"{result.ledger_entries:,} entries ({result.events_per_second:,.0f} events/s)"
    )
    print(format_summary(database_summary(conninfo)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
