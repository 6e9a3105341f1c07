"""`lana-flow`: run the whole flow through Dagster, or prepare the shell for `dagster dev`.

lana-flow run [--date YYYY-MM-DD]   EL, checks, dbt build, reports for one business date
                                    (default: the last business date the core has closed)
lana-flow el [--reread S1,S2]       the extract/load alone, then its completeness check
                                    (other options go to `meltano run`); scripts/el.sh runs it
eval "$(lana-flow env)"             DAGSTER_HOME and the instance's storage, for `dagster ...`

A user's mistake or an unreachable database is one line on stderr and exit code 2; `--debug`
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from datetime import date

import psycopg
from dagster_postgres.utils import DagsterPostgresException
from sqlalchemy.exc import OperationalError
from tap_lana_events.tables import TABLES

from core_app.adapters.embedded_server import EmbeddedServerError
from core_app.config import Databases, resolve_databases

# A database out of reach: ours (psycopg), or Dagster's run storage lost mid-run (SQLAlchemy's
# error, or dagster-postgres' after its retries).
DatabaseUnreachable = (psycopg.OperationalError, OperationalError, DagsterPostgresException)


class UsageError(Exception):
    """Something the user can fix; the message says what."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lana-flow", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="materialise every asset for one business date")
    run.add_argument("--date", type=_business_date, help="business date (YYYY-MM-DD)")
    el = commands.add_parser(
        "el", help="extract/load the core into the raw layer, then check that it is complete"
    )
    el.add_argument(
        "--reread",
        type=_stream_list,
        metavar="STREAM[,STREAM...]",
        help="load these streams again from the start, replacing their raw tables (the repair "
        "the completeness check names)",
    )
    commands.add_parser("env", help="print the variables `dagster dev` needs (for eval)")
    args, meltano_options = parser.parse_known_args(argv)
    if meltano_options and args.command != "el":
        parser.error(f"unrecognized arguments: {' '.join(meltano_options)}")
    try:
        if args.command == "el":
            return _el(args.reread, meltano_options)
        return _main(args)
    except (UsageError, EmbeddedServerError, *DatabaseUnreachable) as exc:
        if args.debug:
            raise
        print(f"lana-flow: error: {_one_line(exc)}", file=sys.stderr)
        return 2


def _business_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _stream_list(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _el(reread: list[str] | None, meltano_options: list[str]) -> int:
    """`meltano run` of the tap and the warehouse's loader, then the completeness check the flow
    runs after it: exit 1, naming the streams and the command that repairs them, when the raw
    layer does not equal the core below the bookmarks just saved."""
    from orchestration.ingest.completeness import incomplete_streams, repair_command
    from orchestration.ingest.extract_load import ExtractLoad, ExtractLoadError
    from orchestration.resources import warehouse_from_environment

    databases = resolve_databases()
    os.environ.update(databases.environment())
    warehouse = warehouse_from_environment(resolved_now=True)
    extract_load = ExtractLoad(
        databases.extractor_url,
        warehouse.url or None,
        warehouse_kind=warehouse.kind,
        raw_schema=warehouse.raw_schema,
        loader_url=warehouse.loader_url or None,
    )
    try:
        if reread:
            result = extract_load.reread(reread, *meltano_options)
        else:
            result = extract_load.run(*meltano_options)
    except ExtractLoadError as failed:
        print(f"lana-flow el: {failed}", file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"lana-flow el: warning: {warning}", file=sys.stderr)
    loaded = ", ".join(f"{stream} {count:,}" for stream, count in result.records_per_stream.items() if count)
    print(f"extract/load: {result.total:,} records ({loaded or 'nothing new'})")
    different = incomplete_streams(databases.extractor_url, warehouse, extract_load.watermarks())
    if different:
        print("lana-flow el: the raw layer does not equal the core:", file=sys.stderr)
        for stream, what in sorted(different.items()):
            print(f"  {stream}: {what}", file=sys.stderr)
        print(f"Repair (reads only these streams again): {repair_command(different)}", file=sys.stderr)
        return 1
    print(f"complete: every raw table equals the core below its bookmark ({len(TABLES)} streams)")
    if reread:
        try:
            _rebuild_downstream(reread, warehouse)
        except RuntimeError as failed:
            print(f"lana-flow el: the raw layer is repaired, but {failed}", file=sys.stderr)
            return 1
    return 0


def _rebuild_downstream(streams: list[str], warehouse) -> None:
    """What dbt built from the replaced raw tables is rebuilt from them, if it was ever built."""
    from orchestration.transform.dbt_manifest import rebuild_from_sources

    if (
        warehouse.kind == "postgres"
        and not warehouse.fetch_row(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'staging'"
        )[0]
    ):
        return  # dbt never ran here: its first build reads everything
    warehouse.install_pseudonymisation_key()
    print(f"==> rebuilding the warehouse's models downstream of {', '.join(streams)} (dbt, reports excepted)")
    print(rebuild_from_sources(streams, warehouse.dbt_environment(), warehouse.dbt_target))
    print("Reports already built keep their rows: rebuild a date with `lana-flow run --date <date>`.")


def _one_line(exc: Exception) -> str:
    if isinstance(exc, DatabaseUnreachable):
        first = (str(exc).strip().splitlines() or ["connection failed"])[0]
        return (
            f"cannot reach the database ({first}): start the embedded server with `lana-core db start`, "
            "or check LANA_DATABASE_URL"
        )
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _checked_date(core_url: str, wanted: date | None) -> date:
    """The business date to run: the one asked for, if the core has closed it; else the last closed."""
    from orchestration.resources import BusinessDayNotClosed, CoreDatabase, check_closed

    core = CoreDatabase(url=core_url)
    first = core.first_business_date()
    last_closed = core.last_closed_day()
    if first is None or last_closed is None:
        raise UsageError("the core has not closed any business day yet: nothing to report")
    business_date = wanted or last_closed
    if business_date < first:
        raise UsageError(
            f"no business date {business_date.isoformat()} in the core: its business dates run from "
            f"{first.isoformat()} to {last_closed.isoformat()}"
        )
    try:
        check_closed(business_date, last_closed)
    except BusinessDayNotClosed as refused:
        raise UsageError(str(refused)) from None
    return business_date


def _main(args: argparse.Namespace) -> int:
    databases = resolve_databases()
    business_date = _checked_date(databases.extractor_url, args.date) if args.command == "run" else None
    environment = {**databases.environment(), **_prepare(databases)}
    if args.command == "env":
        for name, value in environment.items():
            print(f"export {name}={shlex.quote(value)}")
        return 0
    os.environ.update(environment)
    assert business_date is not None
    return _run(business_date)


def _prepare(databases: Databases) -> dict[str, str]:
    from orchestration.instance import prepare_instance
    from orchestration.transform.dbt_manifest import prepare_manifest

    prepare_manifest(force=True)  # the models as they are now, not as last parsed
    return prepare_instance(databases.dagster_url, databases.admin_url)


def _run(business_date: date) -> int:
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.monitoring.run_health import become_worker, fail_orphaned_runs
    from orchestration.monitoring.run_reports import SENT_TAG, report_run
    from orchestration.resources import ReportOutput, resources_from_environment

    defs = build_definitions(resources_from_environment())
    partition = business_date.isoformat()
    print(f"==> Dagster job daily_reports, business date {partition}")
    with dg.DagsterInstance.get() as instance:
        for orphan in fail_orphaned_runs(instance):
            print(f"marked run {orphan} failed: the process that ran it is gone")
        result = defs.resolve_job_def("daily_reports").execute_in_process(
            partition_key=partition,
            instance=instance,
            tags={**become_worker(), SENT_TAG: "lana-flow"},  # this command sends the run's messages
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
        _print_outcome(result)
        message = report_run(instance, result.run_id)  # the summary, or the failure alert
        print(message.text)
        print(f"run {result.run_id}: {'succeeded' if result.success else 'FAILED'}")
        if not result.success:
            return 1
    output = defs.resources["report_output"]
    assert isinstance(output, ReportOutput)
    folder = output.path / partition
    print(f"Reports for {partition} are in {folder}")
    for entry in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        name = entry.relative_to(folder)
        private = " (names borrowers: its owner's only)" if entry.stat().st_mode & 0o077 == 0 else ""
        print(f"  {name}{private}")
    return 0


def check_evaluations(result) -> list:
    """The asset-check evaluations of a run (AssetCheckEvaluation: asset_key, passed, description)."""
    import dagster as dg

    return [
        e.event_specific_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]


def _print_outcome(result) -> None:
    checks = check_evaluations(result)
    passed = sum(1 for c in checks if c.passed)
    print(f"asset checks: {passed} of {len(checks)} passed")
    for check in checks:
        if not check.passed:
            subject = f"{check.asset_key.to_user_string()} {check.check_name}"
            print(f"  FAILED {subject}: {check.description or ''}")
    for event in result.all_events:
        if event.is_step_failure:
            print(f"  step {event.step_key} failed: {event.step_failure_data.error.message.strip()[:2000]}")


if __name__ == "__main__":
    sys.exit(main())
