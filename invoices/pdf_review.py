"""A statement's review page: the team's KPIs against their targets, and the promoted changes
with their measured effect. Starts a page of its own, so a budget holder can hand it on."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Table, TableStyle

from invoices.documents import ShowbackStatement
from invoices.fonts import fonts, printable
from invoices.formatting import format_date, format_percent, format_unit_price
from invoices.labels_review import ReviewLabels, review_labels
from invoices.layout import CONTENT_WIDTH, RULE, style, text
from invoices.review import KpiLine

STATUS_COLOURS = {"green": colors.HexColor("#D1FAE5"), "amber": colors.HexColor("#FEF3C7"),
                  "red": colors.HexColor("#FEE2E2")}
HUNDRED = Decimal(100)


def _percent(value: Decimal | None, locale: str, signed: bool = False) -> str:
    return "–" if value is None else format_percent(value / HUNDRED, locale, signed=signed)


def _target(kpi: KpiLine, words: ReviewLabels, locale: str) -> str:
    if kpi.target is None:
        return "–"
    side = words.at_least if kpi.sense == "min" else words.at_most
    return f"{side} {_percent(kpi.target, locale)}"


def _note(kpi: KpiLine, words: ReviewLabels, statement: ShowbackStatement) -> str:
    if kpi.cost_per_accepted is not None:
        return words.per_accepted.format(cost=format_unit_price(
            kpi.cost_per_accepted, statement.currency, statement.locale))
    if kpi.candidate:
        return words.against_baseline.format(candidate=kpi.candidate,
                                              baseline=kpi.baseline or "–")
    return ""


def _cell(value: str, name: str = "small_cell", *, right: bool = False) -> Paragraph:
    face = fonts()
    font = face.bold if name == "bold_cell" else face.regular
    paragraph_style = style("body").clone(name, fontName=font, fontSize=7.5, leading=9.5,
                                          alignment=TA_RIGHT if right else TA_LEFT)
    return Paragraph(escape(printable(value)), paragraph_style)


def _table(rows: list[list], widths: list[float], right: list[int],
           extra: list[tuple]) -> Table:
    face = fonts()
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), face.regular, 7.5),
        ("FONT", (0, 0), (-1, 0), face.bold, 7.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF1F4")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        *[("ALIGN", (index, 0), (index, -1), "RIGHT") for index in right],
        *extra,
    ]))
    return table


def _kpi_table(statement: ShowbackStatement, words: ReviewLabels) -> Table:
    locale = statement.locale
    rows: list[list] = [[_cell(name, "bold_cell", right=index in (1, 2)) for index, name in
                         enumerate((words.kpi, words.value, words.target, words.status,
                                    words.note))]]
    extra: list[tuple] = []
    subject: object = object()
    for kpi in statement.kpis:
        if kpi.subject != subject:
            subject = kpi.subject
            owner = f" · {words.owner}: {kpi.owner}" if kpi.owner else ""
            name = kpi.subject or f"{words.team_itself} {statement.team}"
            rows.append([_cell(name + owner, "bold_cell"), "", "", "", ""])
            extra += [("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)),
                      ("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1),
                       colors.HexColor("#F7F8FA"))]
        signed = kpi.kpi == "cost_per_outcome"
        rows.append([_cell(words.names[kpi.kpi]), _percent(kpi.value, locale, signed),
                     _target(kpi, words, locale), words.statuses[kpi.status],
                     _cell(_note(kpi, words, statement))])
        if kpi.status in STATUS_COLOURS:
            extra.append(("BACKGROUND", (3, len(rows) - 1), (3, len(rows) - 1),
                          STATUS_COLOURS[kpi.status]))
    widths = [170, 50, 55, 50, CONTENT_WIDTH - 325]
    return _table(rows, widths, [1, 2], extra)


def _before_after(before: Decimal | None, after: Decimal | None, shown) -> str:  # noqa: ANN001
    return f"{'–' if before is None else shown(before)} → {'–' if after is None else shown(after)}"


def _change_rows(statement: ShowbackStatement, words: ReviewLabels) -> Table:
    locale, currency = statement.locale, statement.currency

    def unit(value: Decimal) -> str:
        return format_unit_price(value, currency, locale)

    def percent(value: Decimal) -> str:
        return _percent(value, locale)

    def day(value: str) -> str:
        return format_date(date.fromisoformat(value), locale)

    rows: list[list] = [[_cell(name, "bold_cell") for name in (
        words.change, words.shipped, words.cost_per_call, words.pass_rate,
        words.cost_per_accepted)]]
    for change in statement.promoted_changes:
        rows.append([
            _cell(f"{change.use_case} · {change.candidate}"),
            _cell(day(change.shipped_on)),
            _cell(_before_after(change.cost_per_call_before, change.cost_per_call_after, unit)
                  + _delta(change.cost_per_call_change, locale)),
            _cell(_before_after(change.pass_rate_before, change.pass_rate_after, percent)
                  + ("" if change.pass_rate_points is None else
                     f" ({change.pass_rate_points:+} {words.points})")),
            _cell(_before_after(change.cost_per_accepted_before, change.cost_per_accepted_after,
                                unit) + _delta(change.cost_per_accepted_change, locale)),
        ])
    return _table(rows, [120, 70, 115, 100, CONTENT_WIDTH - 405], [], [])


def _windows(statement: ShowbackStatement, words: ReviewLabels) -> list[Flowable]:
    """Which days each change was measured on, one small line each."""
    def day(value: str | date) -> str:
        return format_date(date.fromisoformat(value) if isinstance(value, str) else value,
                           statement.locale)

    return [text(words.measured_window.format(
        change=f"{change.use_case} · {change.candidate}",
        before=f"{day(change.before_from)} – "
               f"{day(date.fromisoformat(change.shipped_on) - timedelta(days=1))}",
        after=f"{day(change.shipped_on)} – {day(change.measured_to)}"), "small")
        for change in statement.promoted_changes]


def _delta(change: Decimal | None, locale: str) -> str:
    return "" if change is None else f" ({_percent(change, locale, signed=True)})"


def review_page(statement: ShowbackStatement) -> list[Flowable]:
    """The page's flowables; nothing for a statement that carries neither KPIs nor changes
    (one built before the review existed)."""
    if not statement.kpis and not statement.promoted_changes:
        return []
    words = review_labels(statement.locale)
    story: list[Flowable] = [PageBreak(), text(words.heading, "heading"),
                             text(words.intro, "small")]
    story.append(_kpi_table(statement, words) if statement.kpis else text(words.no_kpis))
    changes: list[Flowable] = [text(words.changes_heading, "heading"),
                               text(words.changes_intro, "small")]
    if statement.promoted_changes:
        changes += [_change_rows(statement, words), *_windows(statement, words)]
    else:
        changes.append(text(words.no_changes))
    return [*story, KeepTogether(changes)]

