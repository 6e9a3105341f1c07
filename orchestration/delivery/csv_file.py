"""A report as a CSV file: its header names money columns with their currency, values exact."""

from __future__ import annotations

import csv
import io

from orchestration.delivery.table import Table


def csv_file(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.header())
    for row in table.values():
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode()
