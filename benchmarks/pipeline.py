"""The daily run at scale: each stage timed on a core of N events, first run and a 1% new day.

    python benchmarks/pipeline.py --events 1000000

1. A base bank is simulated once (200 customers x 365 days by default, the simulator's mix of
   events and ledger postings; kept as a template database between runs of this script).
2. The core is filled fast by COPY with as many copies of the base bank as N events need: every
   identifier of a customer, account, facility, transaction... is replaced by one of the copy's
   own (inside event payloads too), the bank's shared rows (chart of accounts, omnibus accounts,
   business days, bitcoin prices) are kept once, and the omnibus accounts' balance history is
   recomputed over all copies. The result is one bank with N events that passes the same checks.
   Rows are written day by day, in transactions of a core's size that never span two days.
3. The daily job (`daily_reports`: extract/load, raw checks, dbt build with its tests, report
   checks, report files) runs in process for the business date before the base's last
   `--new-days` days, then those days are added (about 1% of the events) and it runs for the last
   date, then once more for that date with nothing new (what a daily run costs whatever the day
   brought: every model and test runs, none has new rows). Last, the sensor's job
   `refresh_raw_layer` runs with nothing new in the core. Each Dagster step's duration is printed,
   grouped by stage, with rows/s where it applies, dbt's ratios to its first build, and the peak
   memory (max RSS) during the runs of this process and of its children (Meltano, the tap, the
   loader, dbt).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import re
import resource
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tap_lana_events.tables import TABLES, Table

from core_app.adapters.schema import prepare_database
from core_app.config import resolve_databases, with_database
from core_app.domain.ledger import OMNIBUS_ACCOUNTS
from core_app.simulator import SimulationConfig, simulate

BASE = SimulationConfig(customers=200, days=365, seed=7)
UUID_TEXT = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# The bank's own rows: one bank, whatever the number of customers.
SHARED_TABLES = ("ledger_journals", "ledger_account_sets")
SHARED_AGGREGATES = ("business_day", "btc_price")
# Columns the copies get from the target's defaults: their own positions and transaction ids.
RENUMBERED = ("global_position", "tx_id")
# A busy core's transactions: a command writes a few rows, the end of day a few thousand.
ROWS_PER_TRANSACTION = 2_000


def _seconds(started: float) -> str:
    return f"{time.perf_counter() - started:.1f} s"


def template_database(admin: str) -> str:
    """The simulated base bank, simulated once and kept (a database named after its settings)."""
    name = f"lana_bench_base_{BASE.customers}c_{BASE.days}d_{BASE.seed}"
    with psycopg.connect(admin, autocommit=True) as conn:
        ready = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') = 'complete' FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
        if ready and ready[0]:
            return with_database(admin, name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = with_database(admin, name)
    prepare_database(url)
    started = time.perf_counter()
    print(f"simulating the base bank ({BASE.customers} customers x {BASE.days} days), once ...")
    simulate(url, BASE, progress=lambda _: None)
    print(f"  done in {_seconds(started)}")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS 'complete'").format(sql.Identifier(name)))
    return url


@dataclass(frozen=True)
class Phase:
    """The base bank's rows recorded in [start, end)."""

    start: datetime | None
    end: datetime | None

    def where(self, column: str) -> sql.Composable:
        parts = []
        if self.start is not None:
            parts.append(sql.SQL("{} >= {}").format(sql.Identifier(column), sql.Literal(self.start)))
        if self.end is not None:
            parts.append(sql.SQL("{} < {}").format(sql.Identifier(column), sql.Literal(self.end)))
        return sql.SQL(" AND ").join(parts) if parts else sql.SQL("true")


def _time_column(table: Table) -> str:
    return "recorded_at" if any(c.name == "recorded_at" for c in table.columns) else "created_at"


def _shared_ids(base: str) -> set[bytes]:
    with psycopg.connect(base) as conn:
        ids = {str(a.id) for a in OMNIBUS_ACCOUNTS}
        for table in SHARED_TABLES:
            ids |= {
                str(r[0]) for r in conn.execute(sql.SQL("SELECT id FROM {}").format(sql.Identifier(table)))
            }
        for aggregate in SHARED_AGGREGATES:
            events = sql.Identifier(f"{aggregate}_events")
            ids |= {str(r[0]) for r in conn.execute(sql.SQL("SELECT DISTINCT id FROM {}").format(events))}
    return {i.encode() for i in ids}


def _shared_rows(table: Table) -> sql.Composable:
    """Which of a table's rows belong to the bank itself (copied once)."""
    omnibus = sql.SQL(", ").join(sql.Literal(str(a.id)) for a in OMNIBUS_ACCOUNTS)
    if table.name in SHARED_TABLES:
        return sql.SQL("true")
    if table.name == "ledger_accounts":
        return sql.SQL("id IN ({})").format(omnibus)
    if table.name == "ledger_balance_history":
        return sql.SQL("false")  # the omnibus accounts' history is recomputed; the rest is copied
    if table.name == "outbox_events":
        return sql.SQL("aggregate_type IN ({})").format(
            sql.SQL(", ").join(map(sql.Literal, SHARED_AGGREGATES))
        )
    if table.name.removesuffix("_events") in SHARED_AGGREGATES:
        return sql.SQL("true")
    return sql.SQL("false")


def _copied_rows(table: Table) -> sql.Composable:
    omnibus = sql.SQL(", ").join(sql.Literal(str(a.id)) for a in OMNIBUS_ACCOUNTS)
    if table.name == "ledger_balance_history":
        return sql.SQL("account_id NOT IN ({})").format(omnibus)
    return sql.SQL("NOT ({})").format(_shared_rows(table))


class Renamer:
    """Copy k's identifier for each of the base's: a hash of both, except the bank's own."""

    def __init__(self, shared: set[bytes]) -> None:
        self.shared = shared

    def rename(self, data: bytes, copy: int) -> bytes:
        salt = f"{copy}:".encode()

        def new(match: re.Match[bytes]) -> bytes:
            old = match.group(0)
            if old in self.shared:
                return old
            return str(uuid.UUID(bytes=hashlib.md5(salt + old).digest())).encode()

        return UUID_TEXT.sub(new, data)


def fill(base: str, core: str, copies: int, phase: Phase, renamer: Renamer) -> int:
    """Copy the base bank's rows of `phase` into the core, `copies` times; the events written."""
    events = 0
    with psycopg.connect(base) as source, psycopg.connect(core) as target:
        source.execute("SET TimeZone = 'UTC'")  # business dates are UTC: a time's date part is its day
        target.execute("SET session_replication_role = replica")  # the rows are checked in the base
        target.execute("SET synchronous_commit = off")
        first_tx = target.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()[0]
        target.commit()
        for table in TABLES:
            columns = [c.name for c in table.columns if c.name not in RENUMBERED]
            names = sql.SQL(", ").join(map(sql.Identifier, columns))
            order = sql.SQL(", ").join(map(sql.Identifier, table.order_by))
            into = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table.name), names)
            for rows, shared in ((_shared_rows(table), True), (_copied_rows(table), False)):
                query = sql.SQL("COPY (SELECT {} FROM {} WHERE {} AND {} ORDER BY {}) TO STDOUT").format(
                    names, sql.Identifier(table.name), rows, phase.where(_time_column(table)), order
                )
                with source.cursor().copy(query) as reader:
                    data = b"".join(bytes(chunk) for chunk in reader)
                if not data:
                    continue
                times = 1 if shared else copies
                if shared:  # the bank's own rows: the migrations may have written some already
                    _insert_missing(target, table, names, data)
                else:
                    _write_copies(target, into, data, copies, renamer, columns.index(_time_column(table)))
                if table.name.endswith("_events") and table.name != "outbox_events":
                    events += data.count(b"\n") * times
        _write_omnibus_history(target, first_tx)
    with psycopg.connect(core, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return events


def _write_copies(
    target: psycopg.Connection,
    into: sql.Composable,
    data: bytes,
    copies: int,
    renamer: Renamer,
    day_column: int,
) -> None:
    """The copies of a table's rows, day by day (each day's rows of every copy together), in
    transactions of a core's size that never span two business days, as a real core's: the tap and
    the incremental models follow transaction ids, and each build re-reads the last transaction it
    counted (a transaction spanning the last week would make each daily build redo the week)."""
    for day in _by_day(data.splitlines(keepends=True), day_column):  # COPY escapes newlines in values
        base_rows = b"".join(day)
        rows = b"".join(renamer.rename(base_rows, k) for k in range(copies)).splitlines(keepends=True)
        for start in range(0, len(rows), ROWS_PER_TRANSACTION):
            with target.cursor().copy(into) as writer:
                writer.write(b"".join(rows[start : start + ROWS_PER_TRANSACTION]))
            target.commit()


def _by_day(lines: list[bytes], day_column: int) -> Iterator[list[bytes]]:
    """Consecutive lines of COPY text grouped by the date part of their time column."""
    group: list[bytes] = []
    day = b""
    for line in lines:
        line_day = line.split(b"\t", day_column + 1)[day_column][:10]
        if group and line_day != day:
            yield group
            group = []
        group.append(line)
        day = line_day
    if group:
        yield group


def _write_omnibus_history(target: psycopg.Connection, first_tx: int) -> None:
    """In transactions of a core's size too: a real core writes an omnibus account's history row in
    the transaction of its entry, and one huge last transaction would be re-read by every
    incremental build (they re-read the last transaction they saw)."""
    target.execute(OMNIBUS_HISTORY, {"omnibus": [a.id for a in OMNIBUS_ACCOUNTS], "first_tx": first_tx})
    target.execute("CREATE UNIQUE INDEX ON omnibus_history (position)")  # each chunk by index, not a scan
    target.commit()
    rows = target.execute("SELECT count(*) FROM omnibus_history").fetchone()[0]
    for start in range(0, rows, ROWS_PER_TRANSACTION):
        target.execute(
            f"INSERT INTO ledger_balance_history ({HISTORY_COLUMNS}) SELECT {HISTORY_COLUMNS}"
            " FROM omnibus_history WHERE position > %s AND position <= %s ORDER BY position",
            (start, start + ROWS_PER_TRANSACTION),
        )
        target.commit()
    target.execute("DROP TABLE omnibus_history")
    target.commit()


def _insert_missing(target: psycopg.Connection, table: Table, names: sql.Composable, data: bytes) -> None:
    target.execute(
        sql.SQL("CREATE TEMPORARY TABLE shared_rows (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(
            sql.Identifier(table.name)
        )
    )
    with target.cursor().copy(sql.SQL("COPY shared_rows ({}) FROM STDIN").format(names)) as writer:
        writer.write(data)
    target.execute(
        sql.SQL("INSERT INTO {} ({}) SELECT {} FROM shared_rows ON CONFLICT DO NOTHING").format(
            sql.Identifier(table.name), names, names
        )
    )
    target.execute("DROP TABLE shared_rows")


# The omnibus accounts' balance history over every copy's entries written by this fill,
# continuing from their last version, in the order the entries were recorded (`position`).
HISTORY_COLUMNS = (
    "account_id, version, transaction_id, currency, debit_total, credit_total, balance,"
    " effective_date, recorded_at"
)
OMNIBUS_HISTORY = f"""
CREATE TEMPORARY TABLE omnibus_history ON COMMIT PRESERVE ROWS AS
SELECT row_number() OVER (ORDER BY recorded_at, account_id, version) AS position, {HISTORY_COLUMNS}
  FROM (
SELECT account_id, version, transaction_id, currency, debit_total, credit_total,
       CASE WHEN normal_side = 'debit' THEN debit_total - credit_total ELSE credit_total - debit_total END
           AS balance,
       effective_date, recorded_at
  FROM (
    SELECT e.account_id, e.transaction_id, e.currency, e.effective_date, e.recorded_at, a.normal_side,
           coalesce(p.version, 0) + row_number() OVER w AS version,
           coalesce(p.debit_total, 0) + sum(CASE WHEN e.side = 'debit' THEN e.amount ELSE 0 END) OVER w
               AS debit_total,
           coalesce(p.credit_total, 0) + sum(CASE WHEN e.side = 'credit' THEN e.amount ELSE 0 END) OVER w
               AS credit_total
      FROM ledger_entries AS e
      JOIN ledger_transactions AS t ON t.id = e.transaction_id
      JOIN ledger_accounts AS a ON a.id = e.account_id
      LEFT JOIN LATERAL (
        SELECT h.version, h.debit_total, h.credit_total FROM ledger_balance_history AS h
         WHERE h.account_id = e.account_id ORDER BY h.version DESC LIMIT 1
      ) AS p ON true
     WHERE e.account_id = ANY(%(omnibus)s) AND e.tx_id >= %(first_tx)s::text::xid8
    WINDOW w AS (PARTITION BY e.account_id ORDER BY t.recorded_at, t.global_position, e.entry_index
                 ROWS UNBOUNDED PRECEDING)
  ) AS moved
  ) AS history
"""


def _base_facts(base: str) -> tuple[int, date]:
    """The base bank's events and its last business date."""
    with psycopg.connect(base) as conn:
        counts = []
        for table in TABLES:
            if table.name.endswith("_events") and table.name != "outbox_events":
                counts.append(
                    conn.execute(
                        sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table.name))
                    ).fetchone()[0]
                )
        last = conn.execute("SELECT max(recorded_at)::date FROM business_day_events").fetchone()[0]
    return sum(counts), last


def run_job(
    core: str, warehouse: str, business_date: date | None, work: Path, state: str, job: str = "daily_reports"
) -> dict[str, float]:
    """A job in process (the daily job for `business_date` by default); seconds per Dagster step."""
    import dagster as dg
    from dagster_dbt import DbtCliResource

    from orchestration.cli import check_evaluations
    from orchestration.definitions import build_definitions
    from orchestration.resources import CoreDatabase, MeltanoState, ReportOutput, Warehouse
    from orchestration.transform.dbt_manifest import DBT_PROJECT

    defs = build_definitions(
        {
            "core": CoreDatabase(url=core),
            "warehouse": Warehouse(url=warehouse),
            "meltano_state": MeltanoState(suffix=state),
            "report_output": ReportOutput(directory=str(work / "reports")),
            "dbt": DbtCliResource(project_dir=DBT_PROJECT),
        }
    )
    with dg.DagsterInstance.ephemeral() as instance, contextlib.redirect_stdout(io.StringIO()):  # dbt's log
        result = defs.resolve_job_def(job).execute_in_process(
            partition_key=business_date.isoformat() if business_date else None,
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
        )
    seconds = {
        event.step_key: event.event_specific_data.duration_ms / 1000
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.STEP_SUCCESS
    }
    checks = check_evaluations(result)
    failed = [f"{c.asset_key.to_user_string()}:{c.check_name}" for c in checks if not c.passed]
    print(
        f"  {len(checks) - len(failed)} of {len(checks)} checks passed"
        + (f"; FAILED: {failed}" if failed else "")
    )
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
        print(f"  the job FAILED (steps {failed}); the timings below are of what ran")
    return seconds


# The daily job's steps (orchestration/jobs.py), by the stage of the run they belong to.
STAGES = {
    "extract_load": "extract/load",
    "raw_layer_": "raw checks",
    "dbt_": "dbt build (models + tests)",
    "report_expectations": "report checks",
    "finance_report_files": "report files",
}


def _stage(step: str) -> str:
    return next((stage for prefix, stage in STAGES.items() if step.startswith(prefix)), "other")


def _print_run(title: str, seconds: dict[str, float], wall: float, rows: int) -> None:
    per_stage: dict[str, float] = defaultdict(float)
    for step, took in seconds.items():
        per_stage[_stage(step)] += took
    print(f"\n{title}: {wall:.1f} s wall clock, {rows:,} new source rows")
    for stage, took in sorted(per_stage.items(), key=lambda item: -item[1]):
        rate = f"  {rows / took:>10,.0f} rows/s" if took and stage == "extract/load" else ""
        print(f"  {stage:<28} {took:>7.1f} s{rate}")
    for step, took in sorted(seconds.items(), key=lambda item: -item[1])[:8]:
        print(f"    step {step:<48} {took:>7.1f} s")


def _reset_peak_memory() -> float:
    """This process's peak RSS so far in MB, then reset (Linux), so that the peak printed at the
    end is the daily runs', not the fill's (which holds a table's copies in memory)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return peak


def _source_rows(core: str) -> int:
    with psycopg.connect(core) as conn:
        return sum(
            conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t.name))).fetchone()[0]
            for t in TABLES
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the core (approximately)")
    parser.add_argument("--new-days", type=int, default=4, help="business days added for the second run")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's databases")
    args = parser.parse_args()
    admin = with_database(resolve_databases().admin_url, "postgres")
    base = template_database(admin)
    base_events, last_day = _base_facts(base)
    copies = max(1, round(args.events / base_events))
    cutoff = last_day - timedelta(days=args.new_days - 1)
    first_date = cutoff - timedelta(days=1)
    renamer = Renamer(_shared_ids(base))

    suffix = uuid.uuid4().hex[:8]
    names = [f"lana_bench_core_{suffix}", f"lana_bench_dw_{suffix}"]
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    core, warehouse = (with_database(admin, n) for n in names)
    try:
        prepare_database(core)
        with psycopg.connect(core, autocommit=True) as conn:  # the copies' outbox rows get new positions too
            conn.execute(
                "ALTER TABLE outbox_events ALTER global_position SET DEFAULT nextval('event_global_position')"
            )
        started = time.perf_counter()
        cut = datetime.combine(cutoff, datetime.min.time(), tzinfo=UTC)  # business dates are UTC
        events = fill(base, core, copies, Phase(None, cut), renamer)
        filled_peak = _reset_peak_memory()
        rows = _source_rows(core)
        print(
            f"filled {events:,} events ({rows:,} source rows: {copies} copies of the base bank's "
            f"{base_events:,} events, up to {first_date}) in {_seconds(started)}"
        )
        with tempfile.TemporaryDirectory(prefix="lana-bench-") as work_dir:
            work = Path(work_dir)
            started = time.perf_counter()
            first = run_job(core, warehouse, first_date, work, f"bench{suffix}")
            _print_run(f"first run ({first_date})", first, time.perf_counter() - started, rows)

            started = time.perf_counter()
            new_events = fill(base, core, copies, Phase(cut, None), renamer)
            new_rows = _source_rows(core) - rows
            print(
                f"\nadded {args.new_days} business days: {new_events:,} events "
                f"({new_events / events:.1%}), {new_rows:,} source rows, in {_seconds(started)}"
            )
            started = time.perf_counter()
            second = run_job(core, warehouse, last_day, work, f"bench{suffix}")
            _print_run(f"second run ({last_day})", second, time.perf_counter() - started, new_rows)

            started = time.perf_counter()
            again = run_job(core, warehouse, last_day, work, f"bench{suffix}")
            _print_run(
                f"the same date again, nothing new ({last_day})", again, time.perf_counter() - started, 0
            )

            started = time.perf_counter()
            refresh = run_job(core, warehouse, None, work, f"bench{suffix}", job="refresh_raw_layer")
            _print_run("refresh_raw_layer with nothing new", refresh, time.perf_counter() - started, 0)

            print("\ndbt build against the first run's (all models built from nothing):")
            for title, run in (("+1% day", second), ("nothing new", again)):
                if "dbt_models" not in run or not first.get("dbt_models"):
                    print(f"  {title:<12} no ratio: a job failed before its dbt step (above)")
                    continue
                print(
                    f"  {title:<12} {run['dbt_models']:>6.1f} s / {first['dbt_models']:.1f} s = "
                    f"{run['dbt_models'] / first['dbt_models']:.2f}"
                )
        me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"\npeak memory (max RSS) during the runs: this process {me:,.0f} MB, largest child process "
            f"{children:,.0f} MB (the fill before them: {filled_peak:,.0f} MB)"
        )
    finally:
        if not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                for name in names:
                    conn.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                    )


if __name__ == "__main__":
    main()
