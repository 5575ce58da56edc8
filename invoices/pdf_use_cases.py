"""What a statement says about ownership and use cases, as flowables: who owns the team's
spend (RACI), each use case's owner, outcome, acceptance rule and guardrail metric, and which
environments count as production. What the policy leaves out is printed "not defined"."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Table, TableStyle

from invoices.documents import Ownership, ShowbackStatement
from invoices.labels import Labels
from invoices.layout import CONTENT_WIDTH, RULE, text

WIDTHS = (0.17, 0.17, 0.25, 0.25, 0.16)


def raci_text(ownership: Ownership, words: Labels) -> str:
    """'Responsible: engineering · Accountable: dana@example.com · ...' in the document's words."""
    def names(role: tuple[str, ...]) -> str:
        return ", ".join(role) or words.not_defined

    return words.raci.format(responsible=names(ownership.responsible),
                             accountable=names(ownership.accountable),
                             consulted=names(ownership.consulted),
                             informed=names(ownership.informed))


def team_ownership(statement: ShowbackStatement, words: Labels) -> list[Flowable]:
    if statement.ownership is None:
        return []
    return [text(raci_text(statement.ownership, words), "small")]


def production_note(statement: ShowbackStatement, words: Labels) -> Flowable:
    return text(words.production_environments.format(
        environments=", ".join(words.environment_name(name)
                               for name in statement.production_environments)
        or words.not_defined), "small")


def _cell(value: str | None, words: Labels, bold: bool = False) -> Paragraph:
    return text(value or words.not_defined, "strong" if bold else "body")


def use_cases(statement: ShowbackStatement, words: Labels) -> list[Flowable]:
    """The "Use cases" section: one row per use case on the statement, RACI beneath it."""
    if not statement.use_cases:
        return []
    rows: list[list] = [[text(label, "strong") for label in (
        words.use_case, words.owner, words.outcome, words.acceptance_rule, words.guardrail)]]
    spans = []
    for note in statement.use_cases:
        rows.append([_cell(note.use_case, words, bold=True), _cell(note.owner, words),
                     _cell(note.outcome, words), _cell(note.acceptance_rule, words),
                     _cell(note.guardrail, words)])
        if note.ownership is not None:
            rows.append([text(raci_text(note.ownership, words), "small"), "", "", "", ""])
            spans.append(len(rows) - 1)
    table = Table(rows, colWidths=[CONTENT_WIDTH * share for share in WIDTHS], repeatRows=1,
                  hAlign="LEFT")
    commands: list[tuple] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF1F4")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for row in range(1, len(rows)):
        if row + 1 not in spans:
            commands.append(("LINEBELOW", (0, row), (-1, row), 0.25, RULE))
    commands += [("SPAN", (0, row), (-1, row)) for row in spans]
    table.setStyle(TableStyle(commands))
    return [KeepTogether([text(words.use_cases, "heading"), table])]
