"""Running the extract/load: `meltano run tap-lana-events <loader>` and what it loaded, per stream.

One runner for the Dagster asset, the tests and the benchmark. Meltano is a separate program with
its own state (the tap's gap-safe bookmarks, kept in Meltano's system database), so re-running is
always safe: an interrupted run resumes from the last committed bookmark.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from tap_lana_events.snapshot import SOURCE_ID_SQL
from tap_lana_events.streams import DISTRUSTED_BOOKMARK
from tap_lana_events.tables import TABLES
from tap_lana_events.warehouse import prepare_raw_schema

from core_app.config import DATABASE_URL_ENV, EXTRACTOR_URL_ENV, Databases

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # meltano, the tap and the loader live in this environment

# Meltano writes each plugin's configuration, database URLs included, to .meltano/run/ and leaves
# it there when a run is killed: only the owner may read what it writes.
PRIVATE_FILES = 0o077
LOADERS = {"postgres": ("dev", "target-postgres"), "bigquery": ("prod", "target-bigquery")}


class ExtractLoadError(RuntimeError):
    """`meltano run` failed; the message carries the errors it logged."""


@dataclass(frozen=True)
class LoadResult:
    records_per_stream: dict[str, int]  # sent by the tap, per stream
    loaded_per_stream: dict[str, int]  # acknowledged by the loader (empty if it reports none)
    log: str = ""  # what Meltano and the plugins logged
    warnings: tuple[str, ...] = ()  # what the tap warned of (e.g. a bookmark it did not trust)

    @property
    def total(self) -> int:
        return sum(self.records_per_stream.values())


def el_environment(
    core_url: str, warehouse_url: str | None, loader_url: str | None = None, **extra: str
) -> dict[str, str]:
    """`core_url` is read by the tap; the loader writes with `loader_url` (default: `warehouse_url`)."""
    environment = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    if warehouse_url:
        databases = Databases(core_url, warehouse_url, embedded=False, loader_url=loader_url or "")
        environment.update(databases.environment())
    else:  # BigQuery: the loader's settings come from the LANA_BQ_* variables (meltano.yml)
        environment.update({DATABASE_URL_ENV: core_url, EXTRACTOR_URL_ENV: core_url})
    environment.update(extra)
    return environment


class ExtractLoad:
    """The core's tables into the warehouse's raw layer (PostgreSQL or BigQuery).

    `state_suffix` gives the run a Meltano state of its own (tests use one per test); without it
    the run shares its bookmarks with `scripts/el.sh`.
    """

    def __init__(
        self,
        core_url: str,
        warehouse_url: str | None,
        *,
        warehouse_kind: str = "postgres",
        raw_schema: str = "raw",
        state_suffix: str | None = None,
        extra_env: dict[str, str] | None = None,
        loader_url: str | None = None,
    ) -> None:
        if warehouse_kind not in LOADERS:
            raise ValueError(f"unknown warehouse kind {warehouse_kind!r}: expected one of {sorted(LOADERS)}")
        if warehouse_kind == "postgres" and not warehouse_url:
            raise ValueError("a PostgreSQL warehouse needs its URL")
        self.warehouse_url = warehouse_url
        self.loader_url = loader_url or warehouse_url
        self.warehouse_kind = warehouse_kind
        self.raw_schema = raw_schema
        self.state_suffix = state_suffix
        # The loader writes to the schema the raw tables were prepared in (meltano.yml's `raw` is
        # only the default).
        schema = {"TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": raw_schema} if warehouse_kind == "postgres" else {}
        self.env = el_environment(core_url, warehouse_url, loader_url, **schema, **(extra_env or {}))

    @property
    def state_id(self) -> str:
        """Meltano's name for this extract/load's bookmarks."""
        environment, loader = LOADERS[self.warehouse_kind]
        base = f"{environment}:tap-lana-events-to-{loader}"
        return f"{base}:{self.state_suffix}" if self.state_suffix else base

    def watermarks(self) -> dict[str, int]:
        """Per stream, the transaction id below which the last completed run loaded every row:
        read from Meltano's system database when that can be trusted (no Meltano start), else
        through `meltano state get`."""
        bookmarks = self.stored_bookmarks()
        if bookmarks is None:
            bookmarks = self._bookmarks_through_meltano()
        return {
            stream: int(bookmark["replication_key_value"])
            for stream, bookmark in bookmarks.items()
            if bookmark.get("replication_key_value") is not None
        }

    def _bookmarks_through_meltano(self) -> dict[str, dict]:
        result = self._meltano("state", "get", self.state_id)
        if result.returncode != 0:
            raise ExtractLoadError(f"cannot read the state {self.state_id}: {result.stderr.strip()[-2000:]}")
        return json.loads(result.stdout).get("singer_state", {}).get("bookmarks", {})

    def stored_bookmarks(self) -> dict[str, dict] | None:
        """The tap's bookmarks as Meltano last committed them, read straight from its system
        database (no Meltano start); None when they cannot be trusted to decide a skip: an
        interrupted run's partial state, a system database other than the local SQLite file, or
        one Meltano has not finished creating (a run killed while it made its tables)."""
        uri = self.env.get("MELTANO_DATABASE_URI", "")
        path = (
            Path(uri.removeprefix("sqlite:///"))
            if uri.startswith("sqlite:///")
            else meltano_dir() / "meltano.db"
        )
        if (uri and not uri.startswith("sqlite:///")) or not path.exists():
            return None
        import sqlite3

        try:
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                row = db.execute(
                    "SELECT completed_state, partial_state FROM state WHERE state_id = ?", (self.state_id,)
                ).fetchone()
        except sqlite3.Error:  # no `state` table yet, a locked or damaged file: Meltano decides
            return None
        if row is None or not row[0] or (row[1] and json.loads(row[1]) not in ({}, {"singer_state": {}})):
            return None
        return json.loads(row[0]).get("singer_state", {}).get("bookmarks") or None

    def nothing_new(self) -> bool:
        """True only when a run could load nothing: every stream has a bookmark from this very
        database and no row of the core at or above it (the rows a run would read, late commits
        included). Index look-ups, well under a second; any doubt answers False."""
        bookmarks = self.stored_bookmarks()
        if not bookmarks:
            return False
        passfile = {"passfile": self.env["PGPASSFILE"]} if self.env.get("PGPASSFILE") else {}
        with psycopg.connect(self.env[EXTRACTOR_URL_ENV], connect_timeout=10, **passfile) as conn:
            source_id = conn.execute(SOURCE_ID_SQL).fetchone()[0]
            # A mark the last run wrote and the core no longer holds: a restore (the tap re-reads).
            marks = sorted({str(m["history_mark"]) for m in bookmarks.values() if m.get("history_mark")})
            held = conn.execute(
                "SELECT count(*) FROM extraction_marks WHERE id = ANY(%s::uuid[])", (marks,)
            ).fetchone()[0]
            if held != len(marks):
                return False
            for table in TABLES:
                mark = bookmarks.get(table.name, {})
                start = mark.get("replication_key_value")
                if start is None or mark.get("source_id") != source_id:
                    return False
                query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE tx_id >= %s::text::xid8)").format(
                    sql.Identifier(table.name)
                )
                if conn.execute(query, (str(start),)).fetchone()[0]:
                    return False
        return True

    def _prepare_warehouse(self) -> None:
        _make_private(meltano_dir())
        if self.warehouse_kind == "postgres":
            assert self.loader_url is not None
            prepare_raw_schema(self.loader_url, self.raw_schema)

    def command(self, *options: str, log_format: str = "uncolored") -> list[str]:
        environment, loader = LOADERS[self.warehouse_kind]
        suffix = ["--state-id-suffix", self.state_suffix] if self.state_suffix else []
        return [
            str(BIN / "meltano"),
            "--log-level",
            "info",
            "--log-format",
            log_format,
            "--environment",
            environment,
            "run",
            *suffix,
            *options,
            "tap-lana-events",
            loader,
        ]

    def run(self, *options: str, timeout: float = 3600) -> LoadResult:
        """Run to completion; the records the tap sent, per stream. Raises ExtractLoadError."""
        self._prepare_warehouse()
        result = subprocess.run(
            self.command(*options, log_format="json"),
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            umask=PRIVATE_FILES,
        )
        _make_private(meltano_dir())  # what Meltano chmods itself (its `run/bin` shim) too
        lines = [_parse(line) for line in result.stderr.splitlines()]
        if result.returncode != 0:
            errors = [e.event for e in lines if e.level in ("error", "critical")] or [
                e.event for e in lines[-20:]
            ]
            # Meltano logs only "Loader failed"; the plugin's own last words say why.
            plugins = [e.event for e in lines if e.producer or e.consumer][-15:]
            raise ExtractLoadError(
                f"meltano run failed (exit {result.returncode}):\n" + "\n".join(errors[-20:] + plugins)
            )
        sent = _record_counts(e.event for e in lines if e.producer)
        loaded = _record_counts(e.event for e in lines if e.consumer)
        if loaded and {s: n for s, n in loaded.items() if n} != {s: n for s, n in sent.items() if n}:
            raise ExtractLoadError(f"the loader acknowledged {loaded} but the tap sent {sent}")
        warnings = tuple(e.event for e in lines if e.producer and DISTRUSTED_BOOKMARK in e.event)
        return LoadResult(sent, loaded, result.stderr, warnings)

    def reread(self, streams: list[str], *options: str, timeout: float = 3600) -> LoadResult:
        """Load `streams` again from the start, replacing their raw tables: the repair of a raw
        table that differs from the core (the completeness check names them).

        Their bookmarks are removed first, then their raw tables emptied, then the run: a run
        interrupted after the emptying resumes from what it had loaded, never from the old
        bookmark."""
        unknown = sorted(set(streams) - {table.name for table in TABLES})
        if unknown or not streams:
            known = ", ".join(table.name for table in TABLES)
            raise ExtractLoadError(
                f"no such stream: {', '.join(unknown) or '(none given)'}; the streams: {known}"
            )
        self._forget_bookmarks(streams)
        self._empty_raw_tables(streams)
        return self.run(*options, timeout=timeout)

    def _forget_bookmarks(self, streams: list[str]) -> None:
        result = self._meltano("state", "get", self.state_id)
        if result.returncode != 0:  # no state yet: nothing to forget
            return
        state = json.loads(result.stdout or "{}")
        bookmarks = state.get("singer_state", {}).get("bookmarks", {})
        if not any(stream in bookmarks for stream in streams):
            return
        for stream in streams:
            bookmarks.pop(stream, None)
        result = self._meltano("state", "set", "--force", self.state_id, json.dumps(state))
        if result.returncode != 0:
            raise ExtractLoadError(f"cannot write the state {self.state_id}: {result.stderr.strip()[-2000:]}")

    def _empty_raw_tables(self, streams: list[str]) -> None:
        if self.warehouse_kind == "postgres":
            assert self.loader_url is not None
            self._prepare_warehouse()
            with psycopg.connect(self.loader_url) as conn:
                conn.execute(
                    sql.SQL("TRUNCATE {}").format(
                        sql.SQL(", ").join(sql.Identifier(self.raw_schema, s) for s in sorted(streams))
                    )
                )
            return
        from google.cloud import bigquery

        project = self.env.get("LANA_BQ_PROJECT", "")
        client = bigquery.Client(project=project)
        for stream in sorted(streams):  # the raw dataset: the warehouse's, as the loader writes it
            client.query(f"TRUNCATE TABLE `{project}.{self.raw_schema}.{stream}`").result()

    def _meltano(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "meltano"), *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            umask=PRIVATE_FILES,
        )

    def start(self, *options: str) -> subprocess.Popen[str]:
        """Start in the background (its own process group, so that it can be killed whole)."""
        self._prepare_warehouse()
        return subprocess.Popen(
            self.command(*options),
            cwd=REPO,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
            umask=PRIVATE_FILES,
        )


def meltano_dir() -> Path:
    """Meltano's own folder (its system database, run files, installed plugins): `.meltano`, or
    where MELTANO_SYS_DIR_ROOT says."""
    return Path(os.environ.get("MELTANO_SYS_DIR_ROOT") or REPO / ".meltano")


def _make_private(folder: Path) -> None:
    """Files written by older versions (0644) become the owner's only."""
    folder.mkdir(exist_ok=True)
    for path in [folder, *(folder / "run").rglob("*")]:
        mode = path.stat().st_mode
        if mode & 0o077:
            path.chmod(mode & 0o700)


@dataclass(frozen=True)
class _LogLine:
    level: str
    event: str
    producer: bool = False  # logged by the tap
    consumer: bool = False  # logged by the loader


def _parse(line: str) -> _LogLine:
    try:
        record = json.loads(line)
    except ValueError:
        return _LogLine("", line)
    if not isinstance(record, dict):
        return _LogLine("", line)
    return _LogLine(
        str(record.get("level", "")),
        str(record.get("event", "")),
        record.get("producer") is True,
        record.get("consumer") is True,
    )


def _record_counts(events) -> dict[str, int]:
    """Sum the Singer SDK's `record_count` metrics (logged per stream by the tap and the loader)."""
    counts: Counter[str] = Counter()
    for event in events:
        if not event.startswith("METRIC: "):
            continue
        try:
            metric = json.loads(event.removeprefix("METRIC: "))
        except ValueError:
            continue
        if metric.get("metric") == "record_count":
            counts[metric["tags"]["stream"]] += int(metric["value"])
    return dict(sorted(counts.items()))
