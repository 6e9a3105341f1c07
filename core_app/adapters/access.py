"""Who may do what on the project's PostgreSQL databases: one least-privilege role per component.

The roles are created (NOLOGIN) and granted their privileges by `lana-core migrate`: the core's
grants with the core's migrations, the warehouse's when the warehouse is prepared. The embedded
server lets each of them log in with a password of its own (embedded_server.py); on another server
an administrator grants them to login users (docs/security.md). On BigQuery the same split is
made with datasets and IAM (docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class Role:
    name: str
    purpose: str


CORE_APP = Role("lana_core_app", "the banking core: reads and appends to the core's tables")
EXTRACTOR = Role("lana_extractor", "Meltano's tap and the orchestrator: reads the core tables it extracts")
LOADER = Role("lana_loader", "Meltano's loader: owns and writes the warehouse's raw schema")
TRANSFORMER = Role("lana_transformer", "dbt and the data checks: reads raw, builds staging to reports")
ANALYST = Role("lana_analyst", "analysts and finance: read marts and reports only")
ORCHESTRATOR = Role("lana_orchestrator", "Dagster: owns its run storage database")
ROLES = (CORE_APP, EXTRACTOR, LOADER, TRANSFORMER, ANALYST, ORCHESTRATOR)

# The core's own bookkeeping, never extracted: the extractor may not read it.
CORE_PRIVATE_TABLES = ("schema_migrations", "ledger_current_balances", "ledger_settlement")
# The extract/load's own marks in the core (migrations/0006): its to write, nobody else's.
EXTRACTION_MARKS = "extraction_marks"


def ensure_roles(conn: psycopg.Connection) -> None:
    """Create the roles that do not exist yet (without login: granted to users or given one)."""
    for role in ROLES:
        conn.execute(
            sql.SQL(
                "DO $$ BEGIN CREATE ROLE {} NOLOGIN; "
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            ).format(sql.Identifier(role.name))
        )


def grant_core_access(conninfo: str) -> None:
    """The core database: the application reads and appends; the extractor reads what it extracts.
    Nobody else connects. Safe to repeat; run after every migration (new tables get their grants)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        ensure_roles(conn)
        app, extractor = sql.Identifier(CORE_APP.name), sql.Identifier(EXTRACTOR.name)
        database = sql.Identifier(conn.info.dbname)
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        published = sql.SQL(", ").join(sql.Identifier(t) for t in tables if t not in CORE_PRIVATE_TABLES)
        statements = [
            sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database),
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}, {}").format(database, app, extractor),
            sql.SQL("REVOKE ALL ON SCHEMA public FROM PUBLIC"),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}, {}").format(app, extractor),
            sql.SQL("GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO {}").format(app),
            sql.SQL("REVOKE INSERT ON schema_migrations, {} FROM {}").format(
                sql.Identifier(EXTRACTION_MARKS), app
            ),
            sql.SQL("GRANT UPDATE ON ledger_current_balances, ledger_settlement TO {}").format(app),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(app),
            sql.SQL("GRANT SELECT ON {} TO {}").format(published, extractor),
            sql.SQL("GRANT INSERT ON {} TO {}").format(sql.Identifier(EXTRACTION_MARKS), extractor),
        ]
        with conn.transaction():
            for statement in statements:
                conn.execute(statement)


def grant_warehouse_access(conninfo: str, raw_schema: str = "raw") -> None:
    """The warehouse database: the loader owns raw; dbt reads raw and creates its own schemas;
    analysts only connect here (dbt grants them marts and reports). Safe to repeat."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        ensure_roles(conn)
        loader, transformer = sql.Identifier(LOADER.name), sql.Identifier(TRANSFORMER.name)
        analyst, raw = sql.Identifier(ANALYST.name), sql.Identifier(raw_schema)
        database = sql.Identifier(conn.info.dbname)
        statements = [
            sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database),
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}, {}, {}").format(
                database, loader, transformer, analyst
            ),
            sql.SQL("GRANT CREATE, TEMPORARY ON DATABASE {} TO {}").format(database, transformer),
            # The loader merges each batch through a temporary table.
            sql.SQL("GRANT TEMPORARY ON DATABASE {} TO {}").format(database, loader),
            sql.SQL("REVOKE ALL ON SCHEMA public FROM PUBLIC"),
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(raw, loader),
            sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(raw, loader),
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(raw, transformer),
            sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(
                loader, raw, transformer
            ),
        ]
        with conn.transaction():
            for statement in statements:
                conn.execute(statement)
            _hand_over_older_schemas(conn, raw_schema)
            # Raw tables made before the loader owned the schema (older versions) become its own.
            for (table,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (raw_schema,)
            ).fetchall():
                relation = sql.SQL("{}.{}").format(raw, sql.Identifier(table))
                conn.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(relation, loader))
                conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(relation, transformer))


def _hand_over_older_schemas(conn: psycopg.Connection, raw_schema: str) -> None:
    """Schemas dbt built as the administrator (before the roles existed) become dbt's role's, so
    that it can rebuild them."""
    transformer = sql.Identifier(TRANSFORMER.name)
    schemas = conn.execute(
        "SELECT nspname FROM pg_namespace WHERE nspowner = current_user::regrole"
        " AND nspname NOT IN ('public', 'information_schema', %s) AND nspname NOT LIKE 'pg\\_%%'",
        (raw_schema,),
    ).fetchall()
    for (schema,) in schemas:
        conn.execute(sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(sql.Identifier(schema), transformer))
        relations = conn.execute(
            "SELECT c.relname, CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'"
            " WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END FROM pg_class c"
            " WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')",
            (schema,),
        ).fetchall()
        for name, kind in relations:
            relation = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(name))
            conn.execute(sql.SQL("ALTER " + kind + " {} OWNER TO {}").format(relation, transformer))
