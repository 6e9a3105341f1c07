"""Report files rendered by a child interpreter (orchestration/rendering.py)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from orchestration.delivery import render_process as rendering


def test_a_child_that_fails_says_why() -> None:
    expected = r"rendering the chart failed \(exit 1\): Traceback(.|\n)*KeyError: 'chart'$"
    with pytest.raises(rendering.RenderingFailed, match=re.compile(expected)):
        rendering.render("chart", [], date(2025, 2, 28))


def test_a_child_renders_the_file_alone_on_its_channel() -> None:
    content = rendering.render("workbook", [], date(2025, 2, 28))
    assert content.startswith(b"PK\x03\x04")  # an XLSX is a zip file: nothing before it
