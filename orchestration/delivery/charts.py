"""The reports' declared charts (`meta.delivery.chart`), drawn with matplotlib: inline SVG for the
HTML summary, PNG for the PDF pack; the same figure for both.

Figures are made without pyplot (no global state) and saved without dates or random ids, so the
same rows give the same bytes. Money is plotted in dollars; the labels show it exactly.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # no screen: render to files only
from matplotlib import rcParams
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

if TYPE_CHECKING:
    from orchestration.delivery.catalog import Chart
    from orchestration.delivery.table import Table

rcParams["svg.hashsalt"] = "lana"  # fixed element ids: the same chart gives the same SVG
rcParams["svg.fonttype"] = "none"  # text stays text (searchable, smaller)
rcParams["font.family"] = "DejaVu Sans"  # shipped with matplotlib: the same glyphs everywhere
CENTS = Decimal(100)
NAVY = "#1f3864"
SERIES_COLOURS = ("#1f3864", "#f1c40f", "#e67e22", "#d35400", "#c0392b")  # current .. 90+


@dataclass(frozen=True)
class ChartData:
    title: str
    kind: str  # bar, stacked, line, histogram
    labels: list[str]
    series: list[tuple[str, list[float]]]  # (name, one value per label); histogram: the values
    unit: str


def chart_data(table: Table, chart: Chart) -> ChartData:
    """The values to draw, from the report's rows (money in dollars)."""
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
    rows = [row for row in rows if chart.plots(row)]
    if chart.kind == "histogram":
        percent = chart.value.endswith("_bps")
        values = [float(r[chart.value]) / (100 if percent else 1) for r in rows if r[chart.value] is not None]
        return ChartData(chart.title, "histogram", [], [(chart.value, values)], "%" if percent else "")
    assert chart.label is not None
    if chart.series is None:
        totals: dict[str, Decimal] = {}
        order: dict[str, object] = {}
        for row in rows:
            label = _label(row[chart.label])
            totals[label] = totals.get(label, Decimal(0)) + _dollars(row[chart.value])
            order[label] = row[chart.order] if chart.order else label
        labels = sorted(totals, key=lambda label: (order[label], label))
        return ChartData(
            chart.title, chart.kind, labels, [(chart.value, [float(totals[x]) for x in labels])], "USD"
        )
    stacks: dict[str, dict[str, Decimal]] = {}
    series_order: dict[str, object] = {}
    for row in rows:
        name = str(row[chart.series])
        stacks.setdefault(_label(row[chart.label]), {})[name] = _dollars(row[chart.value])
        series_order[name] = row[chart.order] if chart.order else name
    labels = sorted(stacks)
    names = sorted(series_order, key=lambda name: (series_order[name], name))
    series = [(name, [float(stacks[x].get(name, 0)) for x in labels]) for name in names]
    return ChartData(chart.title, "stacked", labels, series, "USD")


def figure(data: ChartData, width_inches: float = 8.0) -> Figure:
    fig = Figure(figsize=(width_inches, 3.6), layout="constrained")
    ax = fig.subplots()
    ax.set_title(data.title, loc="left", fontsize=11, fontweight="bold", color=NAVY)
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(y=0.08)  # the tallest column clear of the top
    money = FuncFormatter(lambda value, _: f"{value:,.0f}")
    if data.kind == "histogram":
        values = data.series[0][1]
        ax.hist(values, bins=20, color=NAVY, edgecolor="white")
        ax.set_xlabel(f"{data.series[0][0].removesuffix('_bps')} ({data.unit or 'value'})")
        ax.set_ylabel("rows")
    elif data.kind == "line":
        positions = range(len(data.labels))
        ax.plot(positions, data.series[0][1], color=NAVY, marker="o", markersize=3)
        ax.set_xticks(positions, data.labels, rotation=45, ha="right", fontsize=8)
        ax.yaxis.set_major_formatter(money)
        ax.set_ylabel(data.unit)
    elif data.kind == "stacked":
        positions = range(len(data.labels))
        bottom = [0.0] * len(data.labels)
        for i, (name, values) in enumerate(data.series):
            ax.bar(
                positions, values, bottom=bottom, label=name, color=SERIES_COLOURS[i % len(SERIES_COLOURS)]
            )
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_xticks(positions, data.labels, rotation=45, ha="right", fontsize=8)
        ax.yaxis.set_major_formatter(money)
        ax.set_ylabel(data.unit)
        # Above the plot, beside the title: never over a column.
        fig.legend(ncols=len(data.series), fontsize=8, loc="outside upper right", frameon=False)
    else:
        values = data.series[0][1]
        bars = ax.barh(range(len(data.labels)), values, color=[NAVY if v >= 0 else "#c0392b" for v in values])
        ax.set_yticks(range(len(data.labels)), data.labels, fontsize=9)
        ax.invert_yaxis()  # the first label on top
        ax.xaxis.set_major_formatter(money)
        ax.set_xlabel(data.unit)
        ax.bar_label(bars, labels=[f"{v:,.2f}" for v in values], fontsize=8, padding=3)
        ax.margins(x=0.25)
    return fig


def svg(data: ChartData) -> str:
    """The chart as inline SVG (no scripts; the XML declaration and DOCTYPE left out)."""
    buffer = io.StringIO()
    figure(data).savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def png(data: ChartData, width_inches: float = 10.0, dpi: int = 150) -> bytes:
    buffer = io.BytesIO()
    figure(data, width_inches).savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def _label(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _dollars(cents: object) -> Decimal:
    return Decimal(cents or 0) / CENTS  # type: ignore[arg-type]
