"""One business date's delivery: every file made from the report tables, checked, then published
under `<reports folder>/<date>/` with a manifest of checksums, whole or not at all.

Files are written beside their final names and renamed, so a reader never sees half a file; a
file that names people goes to the delivery's restricted folder (0700, files 0600).
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path

from orchestration.delivery import render_process
from orchestration.delivery.catalog import ReportSpec
from orchestration.delivery.csv_file import csv_file
from orchestration.delivery.html_summary import html_summary
from orchestration.delivery.regulatory_xml import xml_document
from orchestration.delivery.table import ReportTables, Table, read_reports
from orchestration.delivery.validation import DeliveryRefused, delivery_errors

# The subfolder of a delivery holding the files that name people: 0700, its files 0600.
RESTRICTED = "restricted"
MANIFEST = "manifest.json"


def write_report_files(
    warehouse: ReportTables, out_dir: Path, business_date: date, reports: tuple[ReportSpec, ...]
) -> dict:
    """Write every file for `business_date` under `out_dir/<date>/`; returns the manifest."""
    tables = read_reports(warehouse, business_date, reports)
    # The workbook and the PDF pack take the longest: rendered in processes of their own while
    # this one writes and checks the rest (render_process.py).
    with ThreadPoolExecutor(max_workers=2) as renderers:
        rendered: dict[str, Future[bytes]] = {
            f"finance-reports-{business_date.isoformat()}.xlsx": renderers.submit(
                render_process.render, "workbook", tables, business_date
            ),
            f"finance-pack-{business_date.isoformat()}.pdf": renderers.submit(
                render_process.render, "pdf_pack", tables, business_date
            ),
        }
        files = _files(warehouse, tables, business_date)
        errors = delivery_errors(tables, files, xml_name)
        files |= {name: future.result() for name, future in rendered.items()}
    if errors:
        raise DeliveryRefused(
            f"delivery for {business_date.isoformat()} refused, nothing published: " + "; ".join(errors),
            errors,
        )
    return publish(out_dir / business_date.isoformat(), files, tables, business_date)


def _files(warehouse: ReportTables, tables: list[Table], business_date: date) -> dict[str, bytes]:
    """The CSV per report, the HTML summary and the regulatory XML files, by their names."""
    files = {f"{t.spec.table}.csv": csv_file(t) for t in tables}
    files[f"summary-{business_date.isoformat()}.html"] = html_summary(tables, business_date).encode()
    for table in tables:
        if table.spec.xml:
            people = _people(warehouse, table, business_date) if table.spec.xml.identify else None
            files[xml_name(table)] = xml_document(table, business_date, people)
    return files


def publish(folder: Path, files: dict[str, bytes], tables: list[Table], business_date: date) -> dict:
    """The files, then the manifest (last: readers take the date as delivered once it is there),
    then what an earlier delivery of the date had and this one has not is removed."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        _write_atomically(folder / name, content, private=_restricted(name))
    manifest = {
        "business_date": business_date.isoformat(),
        "rows": {t.spec.table: len(t.rows) for t in tables},
        "files": [
            {
                "name": name,
                "bytes": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
                **({"restricted": True} if _restricted(name) else {}),
            }
            for name, content in sorted(files.items())
        ],
    }
    _write_atomically(folder / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
    _remove_stale(folder, set(files) | {MANIFEST})
    return manifest


def xml_name(table: Table) -> str:
    """A file that names people (borrowers' names and tax ids) lies in the delivery's restricted
    folder, which only the delivery's owner can open; the rest is for finance readers."""
    assert table.spec.xml is not None
    name = f"{table.spec.table}.xml"
    return f"{RESTRICTED}/{name}" if table.spec.xml.identify else name


def _restricted(name: str) -> bool:
    return name.startswith(f"{RESTRICTED}/")


def _people(warehouse: ReportTables, table: Table, business_date: date) -> dict:
    assert table.spec.xml is not None and table.spec.xml.identify is not None
    index = table.columns.index(table.spec.xml.identify)
    return warehouse.identities(sorted({str(r[index]) for r in table.rows}), business_date)


def _write_atomically(path: Path, content: bytes, private: bool = False) -> None:
    if private:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        path.parent.chmod(0o700)  # whatever the umask, or an older delivery, made it
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    if private:
        partial.chmod(0o600)  # an older partial file keeps its mode through O_CREAT
    partial.replace(path)


def _remove_stale(folder: Path, delivered: set[str]) -> None:
    """Files of an earlier delivery of the date that this one no longer has (an identities file
    an older version wrote outside the restricted folder among them)."""
    for path in folder.rglob("*"):
        name = str(path.relative_to(folder))
        if path.is_file() and not path.name.startswith(".") and name not in delivered:
            path.unlink()
