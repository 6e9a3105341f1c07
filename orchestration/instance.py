"""The Dagster instance: its home folder and its PostgreSQL storage, created on first use."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from core_app.adapters.embedded_server import default_home
from core_app.config import DAGSTER_STORAGE_URL_ENV, with_database

STORAGE_DATABASE = "lana_dagster"
TEMPLATE = Path(__file__).with_name("dagster.yaml")


def dagster_home() -> Path:
    """DAGSTER_HOME, else `.lana/dagster` beside the embedded server's data."""
    configured = os.environ.get("DAGSTER_HOME")
    return Path(configured) if configured else default_home() / "dagster"


def storage_url(dagster_url: str) -> str:
    """LANA_DAGSTER_STORAGE_URL, else `dagster_url` (the embedded server's `lana_dagster`)."""
    return os.environ.get(DAGSTER_STORAGE_URL_ENV) or postgres_url(dagster_url)


def postgres_url(conninfo: str) -> str:
    """A libpq URL or key=value string as the URL dagster-postgres takes (psycopg2 driver)."""
    params = conninfo_to_dict(conninfo)
    auth = quote(params.get("user", "postgres"), safe="") + (
        f":{quote(params['password'], safe='')}" if params.get("password") else ""
    )
    host, port = params.get("host", "127.0.0.1"), params.get("port", 5432)
    rest = {k: v for k, v in params.items() if k not in ("user", "password", "host", "port", "dbname")}
    query = ("?" + urlencode(rest, safe="/")) if rest else ""  # passfile=..., sslmode=...
    return f"postgresql://{auth}@{host}:{port}/{params.get('dbname', STORAGE_DATABASE)}{query}"


def prepare_instance(dagster_url: str, admin_url: str) -> dict[str, str]:
    """Create the storage database (as the administrator) and the home folder if needed; the
    variables Dagster needs."""
    url = storage_url(dagster_url)
    database = conninfo_to_dict(url).get("dbname") or STORAGE_DATABASE
    with psycopg.connect(with_database(admin_url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)  # run logs and compute logs: the owner's only
    shutil.copyfile(TEMPLATE, home / "dagster.yaml")
    return {"DAGSTER_HOME": str(home), DAGSTER_STORAGE_URL_ENV: url}
