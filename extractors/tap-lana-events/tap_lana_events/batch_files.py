"""The files behind the tap's BATCH messages: JSON lines, private to the user running Meltano.

They hold the core's rows, personal data included, until the loader has loaded them (it deletes
each file then): a folder of the owner's only, files of the owner's only.
"""

from __future__ import annotations

import gzip
import json
import os
import time
import uuid
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

from psycopg import sql
from singer_sdk.helpers._batch import BatchConfig

# A JSON line holds no raw control character (JSON escapes them), so CSV with control characters
# as quote and delimiter passes each line through unchanged, one field per line, no escaping.
JSON_LINES = sql.SQL("(FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')")

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
    for path in folder.glob("*.jsonl*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # another run's loader removed it meanwhile
            pass


class BatchFile:
    """One batch file being written: counts its lines and keeps the last one."""

    def __init__(self, folder: Path, stream: str, *, compress: bool = False) -> None:
        name = f"{stream}-{uuid.uuid4().hex}.jsonl" + (".gz" if compress else "")
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

    def close(self) -> dict[str, Any]:
        """Close the file; the last row written."""
        self._file.close()
        if self._raw is not self._file:
            self._raw.close()
        return json.loads(bytes(self._last))
