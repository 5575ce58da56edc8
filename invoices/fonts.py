"""Fonts for documents: DejaVu Sans from the system when present, else built-in Helvetica.

DejaVu Sans draws euro, yen, accented letters and the narrow no-break space French grouping
uses; Helvetica (WinAnsi) draws most of those too. Neither draws CJK ideographs or the
fullwidth yen sign, so `printable` swaps a missing glyph for its nearest drawable twin
(``￥`` -> ``¥``, narrow space -> no-break space) and `renderable` tells a caller to fall back
to a plain form (an ISO date instead of ``2026年10月``). `fit` cuts text to a width.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFError, TTFont

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/share/fonts/TTF"))
SUBSTITUTES = {"\uffe5": "\u00a5", "\u202f": "\u00a0", "\u2009": " ", "\u2212": "-",
               "\uff04": "$", "\u2011": "-"}


@dataclass(frozen=True)
class FontSet:
    regular: str
    bold: str
    glyphs: frozenset[int] | None  # code points the regular face draws; None = WinAnsi

    def draws(self, char: str) -> bool:
        if self.glyphs is None:
            try:
                char.encode("cp1252")
            except UnicodeEncodeError:
                return False
            return True
        return ord(char) in self.glyphs


@lru_cache(maxsize=1)
def fonts() -> FontSet:
    """Register the document fonts once per process and say which were found."""
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            try:
                face = TTFont("DocSans", str(regular))
                pdfmetrics.registerFont(face)
                pdfmetrics.registerFont(TTFont("DocSans-Bold", str(bold)))
            except TTFError:
                continue
            return FontSet("DocSans", "DocSans-Bold", frozenset(face.face.charToGlyph))
    return FontSet("Helvetica", "Helvetica-Bold", None)


def renderable(text: str) -> bool:
    """True when every character of text can be drawn, after the usual substitutions."""
    face = fonts()
    return all(face.draws(SUBSTITUTES.get(char, char)) for char in text)


def printable(text: str) -> str:
    """Text with glyphs the font lacks replaced by drawable twins (``?`` as a last resort)."""
    face = fonts()
    out = []
    for char in text:
        if not face.draws(char):
            char = SUBSTITUTES.get(char, char)
            if not face.draws(char):
                char = "?"
        out.append(char)
    return "".join(out)


def fit(text: str, font: str, size: float, width: float) -> str:
    """Printable text cut with an ellipsis so it is at most width points wide."""
    text = printable(text)
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"
