"""The page every document shares: A4, issuer header, address blocks, totals, "Page n of m".

Statements, invoices and credit notes differ in their tables; the frame around them is the
same, so it lives here. Output is deterministic: the PDF's creation date is the document's own
date and reportlab's invariant mode fixes the file id, so rendering the same document twice
gives the same bytes.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from invoices.documents import Party
from invoices.fonts import fit, fonts, printable, renderable
from invoices.labels import ENGLISH, Labels, language_of
from invoices.tax_ids import tax_id_text

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 40.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
TOP, BOTTOM = 46.0, 44.0
MUTED = colors.HexColor("#5F6B76")
RULE = colors.HexColor("#D5D8DC")


def style(name: str) -> ParagraphStyle:
    """The paragraph styles documents use: title, heading, body, strong, small, right, and
    cells of a table whose text must wrap."""
    face = fonts()
    base = {"fontName": face.regular, "fontSize": 8.5, "leading": 11, "alignment": TA_LEFT}
    variants = {
        "title": {"fontName": face.bold, "fontSize": 17, "leading": 21, "alignment": TA_RIGHT},
        "heading": {"fontName": face.bold, "fontSize": 10.5, "leading": 14, "spaceBefore": 10,
                    "spaceAfter": 4, "keepWithNext": 1},
        "body": {},
        "strong": {"fontName": face.bold},
        "small": {"fontSize": 7.5, "leading": 9.5, "textColor": MUTED},
        "right": {"alignment": TA_RIGHT},
        "small_right": {"fontSize": 7.5, "leading": 9.5, "textColor": MUTED,
                        "alignment": TA_RIGHT},
        "cell": {"fontSize": 7.5, "leading": 9},
        "cell_bold": {"fontName": face.bold, "fontSize": 7.5, "leading": 9},
        "cell_bold_right": {"fontName": face.bold, "fontSize": 7.5, "leading": 9,
                            "alignment": TA_RIGHT},
    }
    return ParagraphStyle(name, **{**base, **variants[name]})


def text(value: str, name: str = "body") -> Paragraph:
    """A paragraph of plain text (escaped, glyphs the font lacks swapped)."""
    return Paragraph(escape(printable(value)), style(name))


def plain(value: str, fallback: str) -> str:
    """value when the font can draw it, else fallback (``2026-10`` for ``2026年10月``)."""
    return value if renderable(value) else fallback


def period_text(named: str, period: str) -> str:
    """``October 2026 (2026-10)``, or just ``2026-10`` when the name cannot be drawn."""
    return f"{named} ({period})" if renderable(named) else period


def party_lines(party: Party, words: Labels = ENGLISH) -> list[str]:
    lines = [*party.address]
    if party.email:
        lines.append(party.email)
    if party.tax_id:
        lines.append(tax_id_text(party.tax_id_type, party.tax_id, language_of(words)))
    return lines


def party_block(party: Party, label: str | None = None,
                words: Labels = ENGLISH) -> list[Flowable]:
    block: list[Flowable] = [text(label, "small")] if label else []
    block.append(text(party.name, "strong"))
    block += [text(line) for line in party_lines(party, words)]
    return block


def facts_table(rows: Sequence[tuple[str, str]], width: float) -> Table:
    """Label / value pairs, values right-aligned (and wrapped if long): number, period, dates."""
    face = fonts()
    data = [[printable(label), text(value, "right")] for label, value in rows]
    table = Table(data, colWidths=[width * 0.45, width * 0.55])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), face.regular, 8.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]))
    return table


def header(issuer: Party, title: str, facts: Sequence[tuple[str, str]],
           words: Labels = ENGLISH) -> Table:
    """Issuer name and address on the left; title and the document's facts on the right."""
    half = CONTENT_WIDTH / 2
    right: list[Flowable] = [text(title, "title"), Spacer(1, 6), facts_table(facts, half - 10)]
    table = Table([[party_block(issuer, words=words), right]], colWidths=[half, half])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
    ]))
    return table


def _column_widths(data: Sequence[Sequence[str]], strong_last: bool, width: float,
                   label_share: float, room: float) -> list[float]:
    """Label and value widths: the shares asked for, widened (up to room) so neither is cut."""
    face = fonts()

    def needed(column: int) -> float:
        return max(stringWidth(row[column], face.bold if strong_last and n == len(data) - 1
                               else face.regular, 10 if strong_last and n == len(data) - 1
                               else 9) for n, row in enumerate(data)) + 8

    value = max(width * (1 - label_share), needed(1))
    label = max(width * label_share, needed(0))
    if label + value > room:
        label = max(room - value, width * label_share)
    return [label, value]


def totals_table(rows: Sequence[tuple[str, str]], *, strong_last: bool = True,
                 width: float = 250.0, label_share: float = 0.58,
                 room: float = CONTENT_WIDTH) -> Table:
    """A right-hand totals block; the last row (the amount that counts) bold and ruled.

    Labels are long in some languages: the block grows to the left (up to room) to fit them.
    """
    face = fonts()
    data = [[printable(label), printable(value)] for label, value in rows]
    widths = _column_widths(data, strong_last, width, label_share, room)
    table = Table(data, colWidths=widths, hAlign="RIGHT")
    commands: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), face.regular, 9),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, 0), (-1, -2), 0.25, RULE),
    ]
    if strong_last:
        commands += [("FONT", (0, -1), (-1, -1), face.bold, 10),
                     ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
                     ("LINEBELOW", (0, -1), (-1, -1), 1, colors.black)]
    table.setStyle(TableStyle(commands))
    return table


def grid(data: Sequence[Sequence[str | Flowable]], widths: Sequence[float],
         right: Sequence[int] = (), summary_rows: int = 0) -> Table:
    """A small table with a heading row (overhead, outcomes): numbers right-aligned.

    The last `summary_rows` rows are totals: bold, label spanning to the amount column.
    """
    face = fonts()
    cells = [[printable(cell) if isinstance(cell, str) else cell for cell in row]
             for row in data]
    table = Table(cells, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    commands: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), face.regular, 7.5),
        ("FONT", (0, 0), (-1, 0), face.bold, 7.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF1F4")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    commands += [("ALIGN", (index, 0), (index, -1), "RIGHT") for index in right]
    if summary_rows:
        first = len(cells) - summary_rows
        commands += [("FONT", (0, first), (-1, -1), face.bold, 7.5),
                     ("LINEABOVE", (0, first), (-1, first), 0.75, colors.black)]
        commands += [("SPAN", (0, row), (-2, row)) for row in range(first, len(cells))]
    table.setStyle(TableStyle(commands))
    return table


def _fix_timestamp(canvas: Canvas, moment: datetime) -> None:
    """Make the PDF's CreationDate and ModDate the document's own moment (UTC)."""
    stamp = canvas._doc._timeStamp
    seconds = calendar.timegm(moment.astimezone(UTC).timetuple())
    stamp.t = seconds
    stamp.lt = time.gmtime(seconds)
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = stamp.dmm = 0
    stamp.tzname = "UTC"


def _canvas_maker(running_title: str, issuer: str, moment: datetime,
                  words: Labels) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        """Holds every page until the end so each can say "Page n of m"."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            _fix_timestamp(self, moment)
            self._held: list[dict] = []

        def showPage(self) -> None:  # noqa: N802  (reportlab's name)
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            count = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                self._decorate(count)
                super().showPage()
            super().save()

        def _decorate(self, count: int) -> None:
            face = fonts()
            page = self._pageNumber
            self.saveState()
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, 30, PAGE_WIDTH - MARGIN, 30)
            self.setFont(face.regular, 7.5)
            self.setFillColor(MUTED)
            number = words.page_of.format(page=page, count=count)
            room = CONTENT_WIDTH - stringWidth(number, face.regular, 7.5) - 12
            self.drawString(MARGIN, 20, fit(f"{issuer} · {running_title}", face.regular, 7.5,
                                            room))
            self.drawRightString(PAGE_WIDTH - MARGIN, 20, number)
            if page > 1:
                self.drawString(MARGIN, PAGE_HEIGHT - 28,
                                fit(f"{issuer} · {running_title}", face.regular, 7.5, room)
                                + " " + words.continued)
                self.line(MARGIN, PAGE_HEIGHT - 33, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 33)
            self.restoreState()

    return NumberedCanvas


def moment_of(day: date | datetime) -> datetime:
    """A document date as the moment stamped into the PDF (midnight UTC for a plain date)."""
    if isinstance(day, datetime):
        return day
    return datetime.combine(day, clock(0, 0), tzinfo=UTC)


def build(path: Path | str, story: list[Flowable], *, title: str, running_title: str,
          issuer: Party, moment: datetime, subject: str = "",
          words: Labels = ENGLISH) -> Path:
    """Lay the story out on A4 pages and write the PDF; returns the path written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    document = BaseDocTemplate(
        str(target), pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=TOP,
        bottomMargin=BOTTOM, title=title, author=issuer.name, subject=subject,
        creator="ai-chargeback invoices", producer="ai-chargeback invoices", invariant=1,
    )
    frame = Frame(MARGIN, BOTTOM, CONTENT_WIDTH, PAGE_HEIGHT - TOP - BOTTOM, leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0, id="content")
    document.addPageTemplates([PageTemplate("page", frames=[frame])])
    document.build(story, canvasmaker=_canvas_maker(running_title, issuer.name, moment,
                                                           words))
    return target
