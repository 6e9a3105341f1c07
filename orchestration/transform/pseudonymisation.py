"""The key that pseudonymises personal data in the warehouse (HMAC-SHA256), and where dbt finds it.

Staging replaces a customer's name, email, phone and tax id by HMAC-SHA256(key, value): stable, so
analysts can join and count on it, but not reversible by hashing candidate values without the key.
The key comes from LANA_PII_KEY_FILE (production: a file mounted from the secret store); on the
embedded default it is generated once into `.lana/secrets/pii.key` (0600). It is never in the
repository, a dbt variable or compiled SQL: it is written as query parameters into a private
relation (`lana_private.pseudonymisation_key`) that only dbt's role can read, as the two HMAC pads
(key XOR ipad, key XOR opad), so that the SQL needs only SHA-256, which both warehouses have.

Rotating: write a new key to the file, then `lana-flow run` (or `bash scripts/dbt.sh build
--full-refresh`) rebuilds every pseudonym. Old pseudonyms stop matching new ones: that is the point.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import psycopg

from core_app.adapters.embedded_server import default_home

KEY_FILE_ENV = "LANA_PII_KEY_FILE"
PRIVATE_SCHEMA_ENV = "LANA_PRIVATE_SCHEMA"  # PostgreSQL schema / BigQuery dataset
DEFAULT_PRIVATE_SCHEMA = "lana_private"
KEY_TABLE = "pseudonymisation_key"
BLOCK = 64  # SHA-256's block size in bytes (RFC 2104)


class PseudonymisationKeyError(RuntimeError):
    pass


def key_file() -> Path:
    configured = os.environ.get(KEY_FILE_ENV)
    return Path(configured) if configured else default_home() / "secrets" / "pii.key"


def load_key() -> bytes:
    """The key (at least 32 bytes, hex in the file); generated on first use only at the default place."""
    path = key_file()
    if not path.exists():
        if os.environ.get(KEY_FILE_ENV):
            raise PseudonymisationKeyError(f"{KEY_FILE_ENV} names {path}, which does not exist")
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    if path.stat().st_mode & 0o077:
        raise PseudonymisationKeyError(
            f"{path} (the pseudonymisation key) is readable by others: chmod 600 it"
        )
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError:
        raise PseudonymisationKeyError(f"{path} does not hold a hex key") from None
    if len(key) < 32:
        raise PseudonymisationKeyError(f"{path} holds a key of {len(key)} bytes: at least 32 are needed")
    return key


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """(key XOR ipad, key XOR opad): HMAC(key, m) = SHA256(outer || SHA256(inner || m))."""
    if len(key) > BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def private_schema() -> str:
    return os.environ.get(PRIVATE_SCHEMA_ENV, DEFAULT_PRIVATE_SCHEMA)


def install_key_postgres(conninfo: str, key: bytes | None = None) -> None:
    """As dbt's role: the pads into the private schema, which no other role may use."""
    inner, outer = hmac_pads(key or load_key())
    schema = psycopg.sql.Identifier(private_schema())
    with psycopg.connect(conninfo) as conn:
        conn.execute(psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
        conn.execute(psycopg.sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(schema))
        table = psycopg.sql.SQL("{}.{}").format(schema, psycopg.sql.Identifier(KEY_TABLE))
        conn.execute(
            psycopg.sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (inner_pad bytea NOT NULL, outer_pad bytea NOT NULL)"
            ).format(table)
        )
        conn.execute(psycopg.sql.SQL("DELETE FROM {}").format(table))
        conn.execute(psycopg.sql.SQL("INSERT INTO {} VALUES (%s, %s)").format(table), (inner, outer))


def install_key_bigquery(project: str, location: str, key: bytes | None = None) -> None:
    """The pads into the private dataset (grant dbt's service account alone on it: docs/security.md).
    Production's key comes from secret storage: never one generated on this machine."""
    from google.cloud import bigquery

    if key is None and not os.environ.get(KEY_FILE_ENV):
        raise PseudonymisationKeyError(
            f"BigQuery needs the personal-data key from secret storage: set {KEY_FILE_ENV} (docs/security.md)"
        )
    inner, outer = hmac_pads(key or load_key())
    client = bigquery.Client(project=project)
    dataset = bigquery.Dataset(f"{project}.{private_schema()}")
    dataset.location = location
    client.create_dataset(dataset, exists_ok=True)
    # Hex text parameters (BYTES ones travel base64-encoded, which not every endpoint decodes).
    client.query(
        f"CREATE OR REPLACE TABLE `{project}.{private_schema()}.{KEY_TABLE}` AS "
        "SELECT FROM_HEX(@inner_pad) AS inner_pad, FROM_HEX(@outer_pad) AS outer_pad",
        job_config=bigquery.QueryJobConfig(
            query_parameters=[
                bigquery.ScalarQueryParameter("inner_pad", "STRING", inner.hex()),
                bigquery.ScalarQueryParameter("outer_pad", "STRING", outer.hex()),
            ]
        ),
    ).result()


if __name__ == "__main__":  # scripts/dbt.sh: before dbt runs by hand
    import sys

    if os.environ.get("DBT_TARGET", "postgres") == "bigquery":
        install_key_bigquery(os.environ["LANA_BQ_PROJECT"], os.environ.get("LANA_BQ_LOCATION", "US"))
    else:
        install_key_postgres(os.environ["LANA_WAREHOUSE_URL"])
    sys.exit(0)
