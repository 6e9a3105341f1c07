"""The slowest report files rendered in processes of their own.

The workbook and the PDF pack are Python on one core each, and grow with the bank (a sheet row
per account and facility; at 4.9M events they took most of the files' 29 s). Each is rendered by
a child interpreter (`python -m orchestration.delivery.render_process`) while the calling process writes and
checks the other files: a plain new interpreter, so nothing depends on forking a process that
runs threads (Dagster's) or on re-importing the caller's main module. The tables go to the child
pickled on its standard input (ours, to our own code), the file comes back on a descriptor of its
own: whatever a library prints cannot end up inside it.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orchestration.delivery.table import Table


class RenderingFailed(RuntimeError):
    """A child rendering a file exited with an error (its last words are in the message)."""


def render(name: str, tables: list[Table], business_date: date) -> bytes:
    """The file `name` (`workbook` or `pdf_pack`) of `tables`, rendered by a child interpreter."""
    payload = pickle.dumps((name, tables, business_date), protocol=pickle.HIGHEST_PROTOCOL)
    child = subprocess.run([sys.executable, "-m", __name__], input=payload, capture_output=True, check=False)
    if child.returncode != 0:
        said = child.stderr.decode(errors="replace").strip()[-2000:]
        raise RenderingFailed(f"rendering the {name} failed (exit {child.returncode}): {said}")
    return child.stdout


def _renderers() -> dict[str, Callable[[list[Table], date], bytes]]:
    from orchestration.delivery.pdf_pack import pdf_pack
    from orchestration.delivery.xlsx import xlsx_workbook

    return {"workbook": xlsx_workbook, "pdf_pack": pdf_pack}


def main() -> None:
    result = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed while rendering, by Python or a C library, goes to stderr
    name, tables, business_date = pickle.load(sys.stdin.buffer)
    content = _renderers()[name](tables, business_date)
    with result:
        result.write(content)


if __name__ == "__main__":
    main()
