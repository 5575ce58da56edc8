"""The showback statement as a PDF: a team's month of AI spend against its budget.

First page: the summary a budget holder reads (total, budget variance, change against last
month split into volume and unit cost, the recommendation). Then the usage lines, production
apart from non-production, each running across pages with carried-forward totals; overhead
shares (charged ones add to the total, central ones are shown only); outcomes and cost per
accepted outcome; what changed in the period; and the closing totals.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from invoices.documents import ShowbackStatement, StatementLine
from invoices.formatting import (
    format_datetime,
    format_integer,
    format_money,
    format_percent,
    format_period,
)
from invoices.layout import (
    CONTENT_WIDTH,
    build,
    grid,
    header,
    period_text,
    plain,
    text,
    totals_table,
)
from invoices.running_table import Column, RunningTable

PRODUCTION_COLUMNS = (
    Column("Use case", 100), Column("Model", 88), Column("Tier", 36),
    Column("Requests", 48, "RIGHT"), Column("Input\ntokens", 56, "RIGHT"),
    Column("Output\ntokens", 56, "RIGHT"), Column("Cached\ntokens", 56, "RIGHT"),
    Column("Amount", 75, "RIGHT"),
)
NON_PRODUCTION_COLUMNS = (
    Column("Use case", 88), Column("Environment", 64), Column("Model", 72), Column("Tier", 30),
    Column("Requests", 46, "RIGHT"), Column("Input\ntokens", 50, "RIGHT"),
    Column("Output\ntokens", 50, "RIGHT"), Column("Cached\ntokens", 50, "RIGHT"),
    Column("Amount", 65, "RIGHT"),
)
ACTION_WORDS = {"approve": "Approve", "adjust": "Adjust", "stop": "Stop"}


def _line_cells(line: StatementLine, locale: str, money: partial, with_env: bool) -> list[str]:
    cells = [line.use_case or "unattributed"]
    if with_env:
        cells.append(line.environment)
    return [*cells, line.model, line.tier or "-", format_integer(line.requests, locale),
            format_integer(line.input_tokens, locale), format_integer(line.output_tokens, locale),
            format_integer(line.cached_input_tokens, locale), money(line.amount)]


def _lines_table(statement: ShowbackStatement, lines: tuple[StatementLine, ...],
                 production: bool, money: partial) -> RunningTable:
    columns = PRODUCTION_COLUMNS if production else NON_PRODUCTION_COLUMNS
    rows = [_line_cells(line, statement.locale, money, not production) for line in lines]
    label = "Subtotal production" if production else "Subtotal non-production"
    return RunningTable(columns, rows, [line.amount for line in lines], money, total_label=label)


def _summary(statement: ShowbackStatement, money: partial) -> Table:
    locale = statement.locale
    spend = [
        ("Production usage", money(statement.production_total)),
        ("Non-production usage", money(statement.non_production_total)),
        ("Charged overhead", money(statement.charged_overhead_total)),
        ("Total", money(statement.total)),
    ]
    budget: list[tuple[str, str]] = []
    if statement.budget is not None:
        budget.append(("Budget", money(statement.budget)))
        variance = money(statement.variance, signed=True)
        if statement.variance_percent is not None:
            percent = format_percent(statement.variance_percent, locale, signed=True)
            variance = f"{variance} ({percent})"
        budget.append(("Variance to budget (usage)", variance))
    if statement.last_month_total is not None:
        budget += [("Last month", money(statement.last_month_total)),
                   ("Change vs last month", money(statement.change_vs_last_month, signed=True))]
        if statement.other_effect is not None:
            budget += [("  of which volume", money(statement.volume_effect, signed=True)),
                       ("  of which unit cost", money(statement.price_effect, signed=True)),
                       ("  of which other", money(statement.other_effect, signed=True))]
    half = CONTENT_WIDTH / 2 - 8
    left = totals_table(spend, width=half)
    right = (totals_table(budget, strong_last=False, width=half, label_share=0.45)
             if budget else Spacer(1, 1))
    table = Table([[left, right]], colWidths=[CONTENT_WIDTH / 2, CONTENT_WIDTH / 2])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _overhead(statement: ShowbackStatement, money: partial) -> list[Flowable]:
    if not statement.overhead:
        return []
    rows = [["Pool", "Driver", "Treatment", "Amount"]]
    rows += [[share.pool, share.driver,
              "charged (in total)" if share.treatment == "charged" else "central (not charged)",
              money(share.amount)] for share in statement.overhead]
    rows += [["Charged overhead (added to total)", "", "", money(statement.charged_overhead_total)],
             ["Central overhead (shown, not charged)", "", "",
              money(statement.central_overhead_total)]]
    return [KeepTogether([text("Overhead pools", "heading"),
                          grid(rows, [205, 100, 135, 75], right=[3], summary_rows=2)])]


def _outcomes(statement: ShowbackStatement, money: partial) -> list[Flowable]:
    if not statement.outcomes:
        return []
    locale = statement.locale
    rows = [["Use case", "Accepted", "Outcomes", "Pass rate", "Cost", "Cost per accepted"]]
    for outcome in statement.outcomes:
        rate = outcome.pass_rate
        each = outcome.cost_per_accepted(statement.currency)
        rows.append([
            outcome.use_case, format_integer(outcome.accepted, locale),
            format_integer(outcome.total, locale),
            "-" if rate is None else format_percent(rate, locale),
            money(outcome.cost), "no accepted outcomes" if each is None else money(each),
        ])
    return [KeepTogether([text("Outcomes", "heading"),
                          grid(rows, [155, 60, 60, 60, 80, 100], right=[1, 2, 3, 4, 5])])]


def _closing(statement: ShowbackStatement, money: partial) -> list[Flowable]:
    rows = [("Subtotal production", money(statement.production_total)),
            ("Subtotal non-production", money(statement.non_production_total)),
            ("Usage total", money(statement.usage_total)),
            ("Charged overhead", money(statement.charged_overhead_total)),
            (f"Total ({statement.currency})", money(statement.total))]
    return [Spacer(1, 10), totals_table(rows, width=280)]


def statement_story(statement: ShowbackStatement) -> list[Flowable]:
    """The flowables of a statement, in reading order."""
    locale = statement.locale
    money = partial(format_money, currency=statement.currency, locale=locale)
    facts = [("Statement no.", statement.statement_number), ("Team", statement.team),
             ("Period", period_text(format_period(statement.period, locale), statement.period)),
             ("Generated", plain(format_datetime(statement.generated_at, locale),
                                 statement.generated_at.isoformat())),
             ("Currency", statement.currency)]
    story: list[Flowable] = [
        header(statement.issuer, "Showback statement", facts), Spacer(1, 6),
        text("Showback: what the team's AI use cost the company this period. No money moves. "
             "Each line is rounded half-up to the currency's minor unit; totals are sums of "
             "the rounded lines.", "small"),
        text("Rate card versions: " + (", ".join(statement.card_versions) or "none"), "small"),
        text("Summary", "heading"), _summary(statement, money),
    ]
    if statement.recommendation:
        action = ACTION_WORDS[statement.recommendation.action]
        story += [Spacer(1, 6), text(f"Recommendation: {action}", "strong"),
                  text(f"Rule: {statement.recommendation.rule}", "small")]
    story.append(text("Production usage", "heading"))
    if statement.production_lines:
        story.append(_lines_table(statement, statement.production_lines, True, money))
    else:
        story.append(text("No production usage in this period."))
    story.append(text("Non-production usage (staging, development, test)", "heading"))
    if statement.non_production_lines:
        story.append(_lines_table(statement, statement.non_production_lines, False, money))
    else:
        story.append(text("No non-production usage in this period."))
    story += _overhead(statement, money) + _outcomes(statement, money)
    if statement.changes:
        story.append(KeepTogether([text("Changes in the period", "heading"),
                                   *[text(f"• {change}") for change in statement.changes]]))
    return story + _closing(statement, money)


def render_statement(statement: ShowbackStatement, path: Path | str) -> Path:
    """Write the statement's PDF to path and return the path."""
    return build(path, statement_story(statement),
                 title=f"Showback statement {statement.statement_number}",
                 running_title=f"Showback statement {statement.statement_number} · "
                               f"{statement.team} · {statement.period}",
                 issuer=statement.issuer, moment=statement.generated_at,
                 subject=f"Showback for team {statement.team}, {statement.period}")

