"""Where the core's database is: LANA_DATABASE_URL, or the embedded default server."""

from __future__ import annotations

import os
from dataclasses import dataclass

from core_app.adapters.embedded_server import EmbeddedPostgres, default_home

DATABASE_URL_ENV = "LANA_DATABASE_URL"
WAREHOUSE_URL_ENV = "LANA_WAREHOUSE_URL"


@dataclass(frozen=True)
class Databases:
    core_url: str
    warehouse_url: str
    embedded: bool

    def environment(self) -> dict[str, str]:
        """The variables the extract/load (meltano.yml) and the warehouse tools read."""
        return {DATABASE_URL_ENV: self.core_url, **warehouse_environment(self.warehouse_url)}


def warehouse_environment(warehouse_url: str) -> dict[str, str]:
    """The warehouse as the loader (a SQLAlchemy URL) and dbt's profile (the parts) want it."""
    from psycopg.conninfo import conninfo_to_dict

    warehouse = conninfo_to_dict(warehouse_url)
    return {
        WAREHOUSE_URL_ENV: warehouse_url,
        "LANA_WAREHOUSE_SQLALCHEMY_URL": sqlalchemy_url(warehouse_url),
        "LANA_DW_HOST": str(warehouse.get("host") or "127.0.0.1"),
        "LANA_DW_PORT": str(warehouse.get("port") or "5432"),
        "LANA_DW_USER": str(warehouse.get("user") or "postgres"),
        "LANA_DW_PASSWORD": str(warehouse.get("password") or ""),
        "LANA_DW_DBNAME": str(warehouse.get("dbname") or "lana_dw"),
    }


def sqlalchemy_url(conninfo: str) -> str:
    """A libpq URL or key=value string as a SQLAlchemy URL for the psycopg 3 driver."""
    from psycopg.conninfo import conninfo_to_dict
    from sqlalchemy.engine import URL

    params = conninfo_to_dict(conninfo)
    known = {"host", "port", "user", "password", "dbname"}
    return URL.create(
        "postgresql+psycopg",
        username=params.get("user"),
        password=params.get("password"),
        host=params.get("host"),
        port=int(params["port"]) if params.get("port") else None,
        database=params.get("dbname"),
        query={k: str(v) for k, v in params.items() if k not in known},
    ).render_as_string(hide_password=False)


def resolve_databases(start_embedded: bool = True) -> Databases:
    """The configured server if LANA_DATABASE_URL is set, else the embedded one (started on demand).

    The warehouse database sits beside the core database unless LANA_WAREHOUSE_URL says otherwise.
    """
    configured = os.environ.get(DATABASE_URL_ENV)
    if configured:
        warehouse = os.environ.get(WAREHOUSE_URL_ENV) or with_database(configured, "lana_dw")
        return Databases(core_url=configured, warehouse_url=warehouse, embedded=False)
    server = EmbeddedPostgres(default_home())
    port = server.start() if start_embedded else server.running_port()
    if port is None:
        raise RuntimeError("the embedded PostgreSQL server is not running: run `lana-core db start`")
    return Databases(
        core_url=server.url("lana", port),
        warehouse_url=os.environ.get(WAREHOUSE_URL_ENV) or server.url("lana_dw", port),
        embedded=True,
    )


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params["dbname"] = database
    return make_conninfo(**params)
