"""The delivery's HTML summary: the reports' charts as inline SVG (no scripts, opens offline)."""

from __future__ import annotations

import html
from datetime import date

from orchestration.delivery.charts import chart_data, svg
from orchestration.delivery.table import Table


def html_summary(tables: list[Table], business_date: date) -> str:
    charts = [
        f"<figure>{svg(chart_data(t, t.spec.chart))}</figure>" for t in tables if t.spec.chart is not None
    ]
    files = "".join(f"<li>{html.escape(t.spec.title)}: {len(t.rows)} rows</li>" for t in tables)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Finance summary {business_date.isoformat()}</title>"
        "<style>body{font-family:sans-serif;margin:2em;color:#222}figure{margin:1.5em 0}"
        "figure svg{max-width:100%;height:auto}</style></head><body>"
        f"<h1>Finance summary as of {business_date.isoformat()}</h1>"
        + "".join(charts)
        + f"<h2>Reports in this delivery</h2><ul>{files}</ul></body></html>\n"
    )
