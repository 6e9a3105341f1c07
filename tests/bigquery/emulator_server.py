"""Start the `bqemulator` BigQuery emulator with the workarounds our clients need.

Runs with the emulator's own virtualenv (its pins clash with ours), never imported by the project:
    <venv>/bin/python emulator_server.py --rest-port P --grpc-port G --token-port T --project ID

Each workaround below is a gap of bqemulator 1.4.0 that our production clients hit, patched here
at start-up (the emulator's files are not edited):

1. It insists on installing DuckDB's `spatial` extension, downloaded at run time from DuckDB's
   site: nothing is downloaded (extension auto-install is off too), and spatial is loaded only if
   already on the machine (else no GEOGRAPHY; we use none).
2. The Python BigQuery client sends small load-job media as `*/*` in a multipart upload, which
   the emulator refuses ("unsupported Content-Type"): any media type is accepted.
3. target-bigquery's `batch_job` method gzips its load files, which BigQuery detects and the
   emulator reads as text ("Malformed JSON ... at byte 1"): a gzipped JSON file is decompressed
   before it is loaded.
4. target-bigquery's upsert is a `MERGE ... WHEN MATCHED THEN UPDATE SET target.col = ...`,
   valid BigQuery that DuckDB's parser rejects: the alias is stripped from the assignments.
5. It tries to download DuckDB's `avro` extension at start-up (best effort): turned off.
6. `CAST(<string> AS BYTES)` (the UTF-8 bytes, in BigQuery) becomes DuckDB's `CAST(... AS BLOB)`,
   which refuses any non-ASCII character ("Invalid byte encountered in STRING -> BLOB"): such
   casts become DuckDB's `encode()`, which is UTF-8; and `CONCAT` of BYTES values is translated
   with a cast to text around it, which makes SHA256 and TO_HEX read the blob's escaped rendering:
   that cast is dropped (both are what the keyed pseudonyms of personal data use).

For tests of failure handling, `--reject-loads-into NAME --while-file PATH` makes every load job into
a table whose name contains NAME fail while PATH exists, as BigQuery fails a load it cannot apply.

It also serves the OAuth token endpoint of the fake service-account key the tests write
(`token_uri`), so every Google client authenticates without the internet.
"""

import argparse
import gzip
import json
import os
import re
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import sqlglot
from bqemulator.api.routes import upload
from bqemulator.config import PersistenceMode, Settings
from bqemulator.domain.errors import InvalidQueryError
from bqemulator.domain.result import Ok
from bqemulator.jobs import executor
from bqemulator.server import run_forever
from bqemulator.sql.translator import SQLTranslator
from bqemulator.storage.engine import DuckDBEngine
from sqlglot import exp

GZIP_MAGIC = b"\x1f\x8b"


def _offline_session(original):
    def apply_session_pragmas(self) -> None:
        original(self)
        self._connection.execute("SET autoinstall_known_extensions = false")

    return apply_session_pragmas


def _spatial_if_present(self) -> None:
    try:
        self._connection.execute("LOAD spatial")
    except Exception:
        print("bqemulator: DuckDB's spatial extension is not installed: no GEOGRAPHY", flush=True)


def _any_media(part) -> bytes:
    return bytes(part.get_payload(decode=True) or b"")


def _gunzipped_first(original, reject: str | None, while_file: str | None):
    def load_json(path: str, target_ref: str, ctx) -> None:
        if reject and while_file and reject in target_ref and os.path.exists(while_file):
            raise InvalidQueryError(f"load into {target_ref} rejected (fault injected by the test)")
        with open(path, "rb") as handle:
            if handle.read(2) != GZIP_MAGIC:
                return original(path, target_ref, ctx)
            handle.seek(0)
            plain = f"{path}.json"
            with gzip.open(handle) as packed, open(plain, "wb") as out:
                shutil.copyfileobj(packed, out)
        try:
            return original(plain, target_ref, ctx)
        finally:
            os.unlink(plain)

    return load_json


_QUALIFIED_ASSIGNMENT = re.compile(r"(UPDATE\s+SET\s+|,\s*)target\.(`[^`]+`\s*=)", re.IGNORECASE)


def _unqualified_assignments(original):
    def translate(self, bq_sql: str, **kwargs):
        return original(self, _QUALIFIED_ASSIGNMENT.sub(r"\1\2", bq_sql), **kwargs)

    return translate


def _is_bytes(node) -> bool:
    return isinstance(node, exp.Encode | exp.Unhex) or (
        isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.VARBINARY
    )


def _bytes_semantics(tree):
    # CAST(<column> AS BLOB) -> ENCODE(<column>): BigQuery's CAST(STRING AS BYTES) is UTF-8.
    tree = tree.transform(
        lambda node: (
            exp.Encode(this=node.this, charset=exp.Literal.string("utf-8"))
            if isinstance(node, exp.Cast)
            and node.to.this == exp.DataType.Type.VARBINARY
            and not isinstance(node.this, exp.Literal)
            else node
        )
    )
    # CAST(<bytes> || <bytes> AS TEXT) -> <bytes> || <bytes>: BigQuery's CONCAT of BYTES is BYTES,
    # which the translation turns into text (so SHA256/TO_HEX would see its escaped rendering).
    for cast in list(tree.find_all(exp.Cast)):
        concat = cast.this
        if (
            cast.to.this == exp.DataType.Type.TEXT
            and isinstance(concat, exp.DPipe)
            and any(_is_bytes(side) for side in (concat.this, concat.expression))
        ):
            cast.replace(concat)
    return tree


def _utf8_bytes(original):
    def translate(self, bq_sql: str, **kwargs):
        result = original(self, bq_sql, **kwargs)
        if not isinstance(result, Ok) or "AS BLOB" not in result.value.upper():
            return result
        return Ok(_bytes_semantics(sqlglot.parse_one(result.value, read="duckdb")).sql(dialect="duckdb"))

    return translate


class _TokenEndpoint(BaseHTTPRequestHandler):
    """OAuth 2 token endpoint: every request gets a fake bearer token."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"access_token": "emulator", "token_type": "Bearer", "expires_in": 3600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # quiet
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rest-port", type=int, required=True)
    parser.add_argument("--grpc-port", type=int, required=True)
    parser.add_argument("--token-port", type=int, required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--reject-loads-into")
    parser.add_argument("--while-file")
    args = parser.parse_args()

    DuckDBEngine._apply_session_pragmas = _offline_session(DuckDBEngine._apply_session_pragmas)
    DuckDBEngine._load_spatial = _spatial_if_present
    upload._parse_media_part = _any_media
    for source_format in ("NEWLINE_DELIMITED_JSON", "JSON"):
        handlers = executor._LOAD_FORMAT_HANDLERS
        handlers[source_format] = _gunzipped_first(
            handlers[source_format], args.reject_loads_into, args.while_file
        )
    SQLTranslator.translate = _utf8_bytes(_unqualified_assignments(SQLTranslator.translate))

    tokens = ThreadingHTTPServer(("127.0.0.1", args.token_port), _TokenEndpoint)
    threading.Thread(target=tokens.serve_forever, daemon=True).start()
    run_forever(
        Settings(
            rest_host="127.0.0.1",
            rest_port=args.rest_port,
            grpc_host="127.0.0.1",
            grpc_port=args.grpc_port,
            persistence_mode=PersistenceMode.EPHEMERAL,
            default_project_id=args.project,
            enable_format_extensions=False,
            log_level="warning",
            metrics_enabled=False,
            tracing_enabled=False,
        )
    )


if __name__ == "__main__":
    main()
