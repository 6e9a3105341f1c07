"""The embedded server's passwords, in a libpq password file only the project's owner can read.

libpq clients (psql, psycopg, dbt, Meltano's loader, Dagster's storage) read it themselves when a
URL names it (`?passfile=`) or PGPASSFILE points at it, so a password never has to appear in a URL,
an environment variable, a log line or a file another program writes.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class PasswordFile:
    """`host:*:*:role:password` lines, one per role; a missing role gets a new random password."""

    def __init__(self, path: Path, host: str) -> None:
        self.path = path
        self.host = host

    def password(self, role: str) -> str:
        known = self._read()
        if role not in known:
            known[role] = secrets.token_urlsafe(32)  # no ':' or '\\': nothing to escape
            self._write(known)
        return known[role]

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return {}
        passwords = {}
        for line in text.splitlines():
            fields = line.split(":")
            if len(fields) == 5 and fields[0] == self.host:
                passwords[fields[3]] = fields[4]
        return passwords

    def _write(self, passwords: dict[str, str]) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path.parent.chmod(0o700)
        text = "".join(f"{self.host}:*:*:{role}:{password}\n" for role, password in passwords.items())
        # Created 0600 before anything is written (never readable by others, not even briefly),
        # then renamed over the old file so a reader sees the old or the new one whole.
        staging = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
        os.replace(staging, self.path)
