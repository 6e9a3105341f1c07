"""The files behind the tap's BATCH messages, private to the user running Meltano.

Two formats, both one row per line, written by the core's database with `COPY ... TO STDOUT`:
- `jsonl`, Singer's: each row a JSON object (any Singer loader reads it);
- `postgres_copy_text`: PostgreSQL's own COPY text format, the stream schema's properties in
  order, tab-separated, `\\N` for NULL, backslash escapes (newlines and tabs inside values never
  appear raw). A PostgreSQL loader `COPY`s it straight into typed columns: no JSON is written or
  parsed for a row (only its JSON columns'), which costs the two databases about 40% less.

They hold the core's rows, personal data included, until the loader has loaded them (it deletes
each file then): a folder of the owner's only, files of the owner's only.
"""

from __future__ import annotations

import gzip
import os
import re
import time
import uuid
from pathlib import Path
from typing import IO
from urllib.parse import urlparse

from psycopg import sql
from singer_sdk.helpers._batch import BatchConfig

# A JSON line holds no raw control character (JSON escapes them), so CSV with control characters
# as quote and delimiter passes each line through unchanged, one field per line, no escaping.
JSON_LINES = sql.SQL("(FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')")

COPY_TEXT = "postgres_copy_text"
FILE_SUFFIXES = {"jsonl": ".jsonl", COPY_TEXT: ".copy"}
# The escapes `COPY ... TO` writes in text format (it writes no octal or hex ones).
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_ESCAPED = re.compile(r"\\(.)")


def copy_text_fields(line: bytes) -> list[str | None]:
    """The values of one line of PostgreSQL's COPY text format (None for `\\N`)."""
    fields = line.decode().removesuffix("\n").split("\t")
    return [
        None if field == "\\N" else _ESCAPED.sub(lambda m: _ESCAPES.get(m[1], m[1]), field)
        for field in fields
    ]


# A run that died leaves its files behind; the next run removes those older than this.
ABANDONED_AFTER_SECONDS = 24 * 3600


def batch_folder(batch_config: BatchConfig) -> Path:
    root = batch_config.storage.root
    parsed = urlparse(root)
    if parsed.scheme not in ("", "file"):
        raise ValueError(f"batch_config.storage.root must be a local folder (file://...), not {root}")
    folder = Path(parsed.path if parsed.scheme else root)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    _remove_abandoned(folder)
    return folder


def _remove_abandoned(folder: Path) -> None:
    cutoff = time.time() - ABANDONED_AFTER_SECONDS
    for path in (p for suffix in FILE_SUFFIXES.values() for p in folder.glob(f"*{suffix}*")):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # another run's loader removed it meanwhile
            pass


class BatchFile:
    """One batch file being written: counts its lines and keeps the last one."""

    def __init__(self, folder: Path, stream: str, suffix: str, *, compress: bool = False) -> None:
        name = f"{stream}-{uuid.uuid4().hex}{suffix}" + (".gz" if compress else "")
        self.path = folder / name
        raw: IO[bytes] = os.fdopen(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
        self._file: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) if compress else raw
        self._raw = raw
        self.rows = 0
        self._last = b""

    @property
    def url(self) -> str:
        return self.path.as_uri()

    def write(self, line: bytes | memoryview) -> None:
        self._file.write(line)
        self._last = line
        self.rows += 1

    def close(self) -> bytes:
        """Close the file; the last line written."""
        self._file.close()
        if self._raw is not self._file:
            self._raw.close()
        return bytes(self._last)
