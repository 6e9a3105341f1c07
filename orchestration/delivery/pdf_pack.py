"""The PDF report pack finance teams print and archive: a cover with the date and the key figures,
then each report declared for it (`meta.delivery.pdf`) as a formatted table, with its chart.

Landscape A4, built with reportlab; charts are the same matplotlib figures as the HTML summary's.
Written without the wall clock (reportlab's invariant mode), so the same rows give the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from orchestration.delivery.charts import chart_data, png

if TYPE_CHECKING:
    from orchestration.delivery.table import Table

NAVY = colors.HexColor("#1f3864")
PAGE = landscape(A4)
MARGIN = 14 * mm
WIDTH = PAGE[0] - 2 * MARGIN
STYLES = getSampleStyleSheet()
CELL = ParagraphStyle("cell", parent=STYLES["BodyText"], fontSize=7.5, leading=9)
CELL_BOLD = ParagraphStyle("cell_bold", parent=CELL, fontName="Helvetica-Bold")
HEAD = ParagraphStyle("head", parent=CELL, textColor=colors.white, fontName="Helvetica-Bold")
HEAD_RIGHT = ParagraphStyle("head_right", parent=HEAD, alignment=2)
TOTALS = ("Total ", "Net income")  # rows naming a total are set in bold
PERCENT = Decimal("0.01")


@dataclass(frozen=True)
class Figure:
    label: str
    value: str


def key_figures(tables: list[Table]) -> list[Figure]:
    """The cover's figures, from the delivered reports (a figure whose report is not delivered
    is left out)."""
    by_name = {t.spec.table: [dict(zip(t.columns, r, strict=True)) for r in t.rows] for t in tables}
    figures: list[Figure] = []
    lines = {r["line_code"]: r["amount_cents"] for r in by_name.get("balance_sheet", [])}
    for code, label in (("1200", "Loans (gross)"), ("2100", "Customer deposits"), ("3999", "Total equity")):
        if code in lines:
            figures.append(Figure(label, _usd(lines[code])))
    net = [
        r["amount_cents"]
        for r in by_name.get("income_statement", [])
        if r["period"] == "year_to_date" and r["line_code"] == "9999"
    ]
    if net:
        figures.append(Figure("Net income, year to date", _usd(net[0])))
    provisions = by_name.get("loan_loss_provisions", [])
    if provisions:
        exposure = sum(r["exposure_cents"] for r in provisions)
        npl = sum(r["exposure_cents"] for r in provisions if r["is_non_performing"])
        allowance = sum(r["required_provision_cents"] for r in provisions)
        figures.append(Figure("NPL ratio (over 90 days past due / gross exposure)", _ratio(npl, exposure)))
        figures.append(Figure("Coverage (allowance / NPL)", _ratio(allowance, npl)))
    collateral = by_name.get("collateral_monitoring", [])
    if collateral:
        at_risk = sum(1 for r in collateral if r["collateral_status"] in ("margin_call", "liquidation"))
        figures.append(
            Figure(
                "Facilities in margin call or liquidation",
                f"{at_risk} of {len(collateral)} ({_ratio(at_risk, len(collateral))})",
            )
        )
    return figures


def pdf_pack(tables: list[Table], business_date: date) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Finance report pack as of {business_date.isoformat()}",
        author="Lana data platform",
        invariant=1,
    )
    story = _cover(tables, business_date)
    for table in tables:
        story += _section(table)

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, 8 * mm, f"Lana — finance report pack as of {business_date.isoformat()}")
        canvas.drawRightString(PAGE[0] - MARGIN, 8 * mm, f"page {doc.page}")
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _cover(tables: list[Table], business_date: date) -> list:
    return [
        Spacer(1, 30 * mm),
        Paragraph("Finance report pack", STYLES["Title"]),
        Paragraph(f"As of the close of business on {business_date:%A %-d %B %Y}", STYLES["Heading2"]),
        Spacer(1, 10 * mm),
        _grid(
            [["Key figure", "Value"], *[[f.label, f.value] for f in key_figures(tables)]],
            [WIDTH * 0.45, WIDTH * 0.25],
            right_aligned={1},
        ),
        Spacer(1, 8 * mm),
        Paragraph(
            "Amounts in USD. Figures are derived from the bank's events and ledger as of the date above; "
            "the same date always gives the same pack.",
            STYLES["Italic"],
        ),
    ]


def _section(table: Table) -> list:
    """A report's pages: its chart and its table, each if it declares one; nothing otherwise."""
    if table.spec.pdf is None and table.spec.chart is None:
        return []
    story: list = [PageBreak(), Paragraph(table.spec.title, STYLES["Heading1"])]
    grain = table.spec.grain  # "one row per ...", as the catalog declares it
    story.append(Paragraph(f"{grain[:1].upper()}{grain[1:]}.", STYLES["Italic"]))
    if table.spec.chart is not None:
        share = 0.62 if table.spec.pdf is not None else 0.9  # alone on its page: larger
        picture = png(chart_data(table, table.spec.chart), width_inches=10.0, dpi=120)
        story += [
            Spacer(1, 3 * mm),
            Image(io.BytesIO(picture), width=WIDTH * share, height=WIDTH * share * 0.36),
        ]
    if table.spec.pdf is not None:
        story += [Spacer(1, 4 * mm), _report_table(table)]
    return story


def _report_table(table: Table) -> PdfTable:
    section = table.spec.pdf
    assert section is not None
    header = dict(zip(table.columns, table.header(), strict=True))
    rows = [dict(zip(table.columns, r, strict=True)) for r in table.values()]
    money = table.spec.money_columns
    if section.group_by:
        groups: dict[object, list[dict]] = {}
        for row in rows:
            groups.setdefault(row[section.group_by], []).append(row)
        columns = [section.group_by, "rows", *section.columns]
        header = {**header, "rows": "rows"}
        rows = [
            {
                section.group_by: key,
                "rows": len(members),
                **{c: sum(m[c] or 0 for m in members) for c in section.columns},
            }
            for key, members in sorted(groups.items(), key=lambda item: str(item[0]))
        ]
    else:
        columns = list(section.columns)
    numeric = {
        i for i, c in enumerate(columns) if c in money or (rows and isinstance(rows[0][c], int | Decimal))
    }
    cells = [[header[c] for c in columns]]
    cells += [[_cell(row[c], c in money) for c in columns] for row in rows]
    if not rows:
        cells.append(["(none on this date)"] + [""] * (len(columns) - 1))
    # Columns as wide as their longest text (within bounds), sharing the page's width.
    longest = [max(min(len(str(row[i])), 40) for row in cells) + 2 for i in range(len(columns))]
    widths = [WIDTH * n / sum(longest) for n in longest]
    return _grid(cells, widths, right_aligned=numeric)


def _grid(cells: list[list[object]], widths: list[float], right_aligned: set[int]) -> PdfTable:
    """A table with a navy header repeated on every page; text wraps in its column, numbers are
    right-aligned, rows naming a total are bold."""
    totals = {r for r, row in enumerate(cells[1:], start=1) if any(str(v).startswith(TOTALS) for v in row)}
    wrapped = [
        [Paragraph(str(v), HEAD_RIGHT if i in right_aligned else HEAD) for i, v in enumerate(cells[0])]
    ]
    wrapped += [
        [
            v if i in right_aligned else Paragraph(str(v), CELL_BOLD if r in totals else CELL)
            for i, v in enumerate(row)
        ]
        for r, row in enumerate(cells[1:], start=1)
    ]
    grid = PdfTable(wrapped, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("FONTSIZE", (0, 0), (-1, -1), 7.5),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#eef2f8")]),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, NAVY),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    style += [("ALIGN", (i, 1), (i, -1), "RIGHT") for i in right_aligned]
    style += [("FONTNAME", (0, r), (-1, r), "Helvetica-Bold") for r in totals]
    grid.setStyle(TableStyle(style))
    return grid


def _cell(value: object, is_money: bool) -> str:
    if value is None:
        return ""
    if is_money and isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _usd(cents: int) -> str:
    return f"{Decimal(cents) / 100:,.2f}"


def _ratio(part: int, whole: int) -> str:
    if not whole:
        return "n/a"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT)}%"
