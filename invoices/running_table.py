"""A running table: line items that split across pages and add up on every page.

Where the table breaks, the page ends with "Page subtotal" (the lines on that page) and
"Carried forward" (everything so far), and the next page repeats the column headings and opens
with "Brought forward" of the same figure. The last part ends with the table's subtotal. Rows
have one fixed height and cells are cut to their column with an ellipsis, so the split is plain
arithmetic and no row ever overflows its column. Text is cut with an ellipsis (the JSON twin
keeps it whole); a number is never cut, it is set smaller when it would not fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Table, TableStyle

from invoices.fonts import fit as fit_text
from invoices.fonts import fonts, printable
from invoices.labels import ENGLISH, Labels

FONT_SIZE = 7.5
ROW_HEIGHT = 12.0
HEADER_HEIGHT = 21.0
PADDING = 3.0
RULE = colors.HexColor("#D5D8DC")
HEADER_FILL = colors.HexColor("#EEF1F4")
SUBTOTAL_FILL = colors.HexColor("#F7F8F9")


@dataclass(frozen=True)
class Column:
    heading: str  # a "\n" breaks it onto a second line
    width: float
    align: str = "LEFT"  # LEFT or RIGHT; numbers are RIGHT


def fit(text: str, font: str, size: float, width: float) -> str:
    """Text cut with an ellipsis so it fits a column of width points (after padding)."""
    return fit_text(text, font, size, width - 2 * PADDING)


def shrink(text: str, font: str, width: float) -> float:
    """The font size at which a number fits its column: numbers are never cut, only smaller."""
    needed = stringWidth(text, font, FONT_SIZE)
    room = width - 2 * PADDING
    return FONT_SIZE if needed <= room else max(4.0, FONT_SIZE * room / needed)


class RunningTable(Flowable):
    """Rows of cell texts with one amount each (the last column), split with running totals.

    `money` formats an amount for this document's currency and locale; `words` are the
    document's labels (brought forward, page subtotal, carried forward); `total_label` closes it.
    """

    def __init__(
        self,
        columns: Sequence[Column],
        rows: Sequence[Sequence[str]],
        amounts: Sequence[Decimal],
        money: Callable[[Decimal], str],
        *,
        total_label: str,
        brought_forward: Decimal | None = None,
        closing: bool = True,
        words: Labels = ENGLISH,
    ) -> None:
        super().__init__()
        if len(rows) != len(amounts):
            raise ValueError("each row needs exactly one amount")
        self.columns = tuple(columns)
        self.rows = tuple(tuple(row) for row in rows)
        self.amounts = tuple(amounts)
        self.money = money
        self.total_label = total_label
        self.brought_forward = brought_forward
        self.closing = closing
        self.words = words

    # -- geometry ------------------------------------------------------------------------------
    def _extra_rows(self, closing: bool) -> int:
        opening = 1 if self.brought_forward is not None else 0
        if closing:
            return opening + (1 if self.brought_forward is not None else 0) + 1
        return opening + 2

    def _height(self, count: int, closing: bool) -> float:
        return HEADER_HEIGHT + ROW_HEIGHT * (count + self._extra_rows(closing))

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self.width = sum(column.width for column in self.columns)
        self.height = self._height(len(self.rows), self.closing)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        if self._height(len(self.rows), self.closing) <= availHeight:
            return [self]
        fits = int((availHeight - self._height(0, closing=False)) // ROW_HEIGHT)
        fits = min(fits, len(self.rows) - 1)
        if fits < 1:
            return []
        start = self.brought_forward or Decimal(0)
        here = sum(self.amounts[:fits], Decimal(0))
        head = RunningTable(self.columns, self.rows[:fits], self.amounts[:fits], self.money,
                            total_label=self.total_label, brought_forward=self.brought_forward,
                            closing=False, words=self.words)
        rest = RunningTable(self.columns, self.rows[fits:], self.amounts[fits:], self.money,
                            total_label=self.total_label, brought_forward=start + here,
                            closing=self.closing, words=self.words)
        return [head, rest]

    # -- drawing -------------------------------------------------------------------------------
    def _summary(self, label: str, amount: Decimal) -> list[str]:
        blanks = [""] * (len(self.columns) - 2)
        return [label, *blanks, self.money(amount)]

    def _table(self) -> Table:
        face = fonts()
        start = self.brought_forward or Decimal(0)
        here = sum(self.amounts, Decimal(0))
        data: list[list[str]] = [[column.heading for column in self.columns]]
        summary_rows: list[int] = []
        if self.brought_forward is not None:
            summary_rows.append(len(data))
            data.append(self._summary(self.words.brought_forward, start))
        data.extend(list(row) for row in self.rows)
        if self.brought_forward is not None or not self.closing:
            summary_rows.append(len(data))
            data.append(self._summary(self.words.page_subtotal, here))
        if not self.closing:
            summary_rows.append(len(data))
            data.append(self._summary(self.words.carried_forward, start + here))
        else:
            data.append(self._summary(self.total_label, start + here))
        label_width = sum(column.width for column in self.columns[:-1])
        last = len(data) - 1
        cells = [["\n".join(fit(part, face.bold, FONT_SIZE, column.width)
                             for part in column.heading.split("\n"))
                   for column in self.columns]]
        cells += [
            [fit(text, face.regular, FONT_SIZE, column.width) if column.align == "LEFT"
             else printable(text) for text, column in zip(row, self.columns, strict=True)]
            for row in data[1:]
        ]
        for r in [*summary_rows, last]:
            cells[r][0] = fit(data[r][0], face.bold, FONT_SIZE, label_width)
        self._shrink = [
            (c, r, size) for r, row in enumerate(cells) if r > 0
            for c, (cell, column) in enumerate(zip(row, self.columns, strict=True))
            if column.align == "RIGHT" and (size := shrink(
                cell, face.bold if r in summary_rows or r == last else face.regular,
                column.width)) < FONT_SIZE
        ]
        heights = [HEADER_HEIGHT] + [ROW_HEIGHT] * (len(cells) - 1)
        table = Table(cells, colWidths=[c.width for c in self.columns], rowHeights=heights,
                      repeatRows=1)
        table.setStyle(self._style(len(cells), summary_rows))
        return table

    def _style(self, count: int, summary_rows: list[int]) -> TableStyle:
        face = fonts()
        last = count - 1
        commands: list[tuple] = [
            ("FONT", (0, 0), (-1, -1), face.regular, FONT_SIZE),
            ("FONT", (0, 0), (-1, 0), face.bold, FONT_SIZE),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
            ("LEADING", (0, 0), (-1, 0), FONT_SIZE + 1.5),
            ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ("LINEBELOW", (0, 1), (-1, last - 1), 0.25, RULE),
            ("FONT", (0, last), (-1, last), face.bold, FONT_SIZE),
            ("LINEABOVE", (0, last), (-1, last), 0.75, colors.black),
        ]
        for index, column in enumerate(self.columns):
            commands.append(("ALIGN", (index, 0), (index, -1), column.align))
        for row in summary_rows:
            commands += [("FONT", (0, row), (-1, row), face.bold, FONT_SIZE),
                         ("BACKGROUND", (0, row), (-1, row), SUBTOTAL_FILL)]
        for row in [*summary_rows, last]:
            commands += [("SPAN", (0, row), (-2, row)), ("ALIGN", (0, row), (0, row), "LEFT")]
        commands += [("FONTSIZE", (c, r), (c, r), size) for c, r, size in self._shrink]
        return TableStyle(commands)

    def draw(self) -> None:
        table = self._table()
        table.wrapOn(self.canv, self.width, self.height)
        table.drawOn(self.canv, 0, 0)
