"""Where the databases are, and as whom each component connects to them.

LANA_DATABASE_URL (and LANA_WAREHOUSE_URL) name another server; unset, the embedded default server
is used, and each component gets a URL for its own least-privilege role (core_app/adapters/
access.py). On another server the per-component URLs are optional (LANA_ADMIN_URL,
LANA_EXTRACTOR_URL, LANA_LOADER_URL, LANA_ANALYST_URL) and default to the two main ones.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from core_app.adapters.access import ANALYST, CORE_APP, EXTRACTOR, LOADER, ORCHESTRATOR, TRANSFORMER
from core_app.adapters.embedded_server import SUPERUSER, EmbeddedPostgres, EmbeddedServerError, default_home

DATABASE_URL_ENV = "LANA_DATABASE_URL"
WAREHOUSE_URL_ENV = "LANA_WAREHOUSE_URL"
ADMIN_URL_ENV = "LANA_ADMIN_URL"
EXTRACTOR_URL_ENV = "LANA_EXTRACTOR_URL"
LOADER_URL_ENV = "LANA_LOADER_URL"
ANALYST_URL_ENV = "LANA_ANALYST_URL"
DAGSTER_STORAGE_URL_ENV = "LANA_DAGSTER_STORAGE_URL"  # Dagster's runs; default: lana_dagster beside the core
WAREHOUSE_ADMIN_URL_ENV = "LANA_WAREHOUSE_ADMIN_URL"  # lets `lana-core migrate` grant the warehouse's roles


@dataclass(frozen=True)
class Databases:
    core_url: str  # the banking core (role lana_core_app)
    warehouse_url: str  # dbt and the data checks (lana_transformer)
    embedded: bool
    admin_url: str = ""  # migrations and grants; default: core_url
    extractor_url: str = ""  # the tap and the orchestrator's reads of the core; default: core_url
    loader_url: str = ""  # Meltano's loader; default: warehouse_url
    analyst_url: str = ""  # read marts and reports; default: none
    dagster_url: str = ""  # Dagster's run storage; default: database lana_dagster, as the admin

    def __post_init__(self) -> None:
        for name, default in (
            ("admin_url", self.core_url),
            ("extractor_url", self.core_url),
            ("loader_url", self.warehouse_url),
        ):
            if not getattr(self, name):
                object.__setattr__(self, name, default)
        if not self.dagster_url:
            object.__setattr__(self, "dagster_url", with_database(self.admin_url, "lana_dagster"))

    def environment(self) -> dict[str, str]:
        """The variables the extract/load (meltano.yml) and the warehouse tools read."""
        variables = {
            DATABASE_URL_ENV: self.core_url,
            EXTRACTOR_URL_ENV: self.extractor_url,
            LOADER_URL_ENV: self.loader_url,
            "LANA_LOADER_SQLALCHEMY_URL": sqlalchemy_url(self.loader_url),
            **warehouse_environment(self.warehouse_url),
        }
        if self.analyst_url:
            variables[ANALYST_URL_ENV] = self.analyst_url
        return variables


def warehouse_environment(warehouse_url: str) -> dict[str, str]:
    """The warehouse as the loader (a SQLAlchemy URL) and dbt's profile (the parts) want it."""
    from psycopg.conninfo import conninfo_to_dict

    warehouse = conninfo_to_dict(warehouse_url)
    variables = {
        WAREHOUSE_URL_ENV: warehouse_url,
        "LANA_DW_HOST": str(warehouse.get("host") or "127.0.0.1"),
        "LANA_DW_PORT": str(warehouse.get("port") or "5432"),
        "LANA_DW_USER": str(warehouse.get("user") or "postgres"),
        "LANA_DW_PASSWORD": str(warehouse.get("password") or ""),
        "LANA_DW_DBNAME": str(warehouse.get("dbname") or "lana_dw"),
    }
    if warehouse.get("passfile"):  # dbt's profile has no passfile setting; libpq reads this
        variables["PGPASSFILE"] = str(warehouse["passfile"])
    return variables


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
        return Databases(
            core_url=configured,
            warehouse_url=warehouse,
            embedded=False,
            admin_url=os.environ.get(ADMIN_URL_ENV, ""),
            extractor_url=os.environ.get(EXTRACTOR_URL_ENV, ""),
            loader_url=os.environ.get(LOADER_URL_ENV, ""),
            analyst_url=os.environ.get(ANALYST_URL_ENV, ""),
        )
    server = EmbeddedPostgres(default_home())
    port = server.start() if start_embedded else server.running_port()
    if port is None:
        raise EmbeddedServerError("the embedded PostgreSQL server is not running: run `lana-core db start`")
    return embedded_databases(server, port)


def embedded_databases(server: EmbeddedPostgres, port: int) -> Databases:
    """Every role's URL on the embedded server."""
    return Databases(
        core_url=server.url("lana", port, CORE_APP.name),
        warehouse_url=server.url("lana_dw", port, TRANSFORMER.name),
        embedded=True,
        admin_url=server.url("lana", port, SUPERUSER),
        extractor_url=server.url("lana", port, EXTRACTOR.name),
        loader_url=server.url("lana_dw", port, LOADER.name),
        analyst_url=server.url("lana_dw", port, ANALYST.name),
        dagster_url=server.url("lana_dagster", port, ORCHESTRATOR.name),
    )


def with_role(url: str, role: str) -> str:
    """The same server and database as another role (its password from the same password file)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params.pop("password", None)
    params["user"] = role
    return make_conninfo(**params)


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params["dbname"] = database
    return make_conninfo(**params)
