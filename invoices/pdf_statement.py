"""The showback statement as a PDF: a team's month of AI spend against its budget.

First page: the summary a budget holder reads (total, budget variance, change against last
month split into volume and unit cost, the recommendation). Then the usage lines, production
apart from non-production, each running across pages with carried-forward totals; overhead
shares (charged ones add to the total, central ones are shown only); outcomes and cost per
accepted outcome; what changed in the period; and the closing totals. A last page holds the
team's KPI review and the promoted changes with their measured effect (`invoices.pdf_review`).
Labels are in the statement's language (`invoices.labels`); use cases, models, pools and rules
are printed as given.
"""

from __future__ import annotations

from decimal import Decimal
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
    format_unit_price,
)
from invoices.labels import Labels, labels
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
from invoices.pdf_review import review_page
from invoices.pdf_service_levels import service_levels
from invoices.pdf_use_cases import production_note, team_ownership, use_cases
from invoices.running_table import Column, RunningTable


def production_columns(words: Labels) -> tuple[Column, ...]:
    """The production usage table's columns, headed in the statement's language."""
    return (Column(words.use_case, 100), Column(words.model, 88), Column(words.tier, 36),
            Column(words.requests, 48, "RIGHT"), Column(words.input_tokens, 56, "RIGHT"),
            Column(words.output_tokens, 56, "RIGHT"), Column(words.cached_tokens, 56, "RIGHT"),
            Column(words.amount, 75, "RIGHT"))


def non_production_columns(words: Labels) -> tuple[Column, ...]:
    """The non-production usage table's columns: the production ones and the environment."""
    return (Column(words.use_case, 84), Column(words.environment, 68), Column(words.model, 72),
            Column(words.tier, 30), Column(words.requests, 46, "RIGHT"),
            Column(words.input_tokens, 50, "RIGHT"), Column(words.output_tokens, 50, "RIGHT"),
            Column(words.cached_tokens, 50, "RIGHT"), Column(words.amount, 65, "RIGHT"))


def _line_cells(line: StatementLine, locale: str, money: partial, with_env: bool) -> list[str]:
    cells = [line.use_case or labels(locale).unattributed]
    if with_env:
        cells.append(labels(locale).environment_name(line.environment))
    return [*cells, line.model, line.tier or "-", format_integer(line.requests, locale),
            format_integer(line.input_tokens, locale), format_integer(line.output_tokens, locale),
            format_integer(line.cached_input_tokens, locale), money(line.amount)]


def _lines_table(statement: ShowbackStatement, lines: tuple[StatementLine, ...],
                 production: bool, money: partial) -> RunningTable:
    words = labels(statement.locale)
    columns = production_columns(words) if production else non_production_columns(words)
    rows = [_line_cells(line, statement.locale, money, not production) for line in lines]
    label = words.subtotal_production if production else words.subtotal_non_production
    return RunningTable(columns, rows, [line.amount for line in lines], money, total_label=label,
                        words=words)


def _summary(statement: ShowbackStatement, money: partial, words: Labels) -> Table:
    locale = statement.locale
    spend = [
        (words.production_usage, money(statement.production_total)),
        (words.non_production_usage, money(statement.non_production_total)),
        *([(words.contract_total, money(statement.contract_total))]
          if statement.contract else []),
        (words.charged_overhead, money(statement.charged_overhead_total)),
        (words.total, money(statement.total)),
    ]
    budget: list[tuple[str, str]] = []
    if statement.budget is not None:
        budget.append((words.budget, money(statement.budget)))
        for label, amount, share in (
                (words.variance, statement.variance, statement.variance_percent),
                (words.variance_total, statement.total_variance,
                 statement.total_variance_percent)):
            budget.append((label, variance_text(amount, share, money, words, locale)))
    if statement.last_month_total is not None:
        budget += [(words.last_month, money(statement.last_month_total)),
                   (words.change, money(statement.change_vs_last_month, signed=True))]
        if statement.other_effect is not None:
            budget += [(words.of_volume, money(statement.volume_effect, signed=True)),
                       (words.of_unit_cost, money(statement.price_effect, signed=True)),
                       (words.of_other, money(statement.other_effect, signed=True))]
    half = CONTENT_WIDTH / 2 - 8
    left = totals_table(spend, width=half, room=half)
    right = (totals_table(budget, strong_last=False, width=half, label_share=0.45, room=half)
             if budget else Spacer(1, 1))
    table = Table([[left, right]], colWidths=[CONTENT_WIDTH / 2, CONTENT_WIDTH / 2])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def variance_text(amount: Decimal, share: Decimal | None, money: partial, words: Labels,
                  locale: str) -> str:
    """'280.28 USD over budget (+12.3 %)': the size of the gap, then the side it is on."""
    side = (words.over_budget if amount > 0 else words.under_budget if amount < 0
            else words.on_budget)
    text_ = f"{money(abs(amount))} {side}"
    if share is not None and amount != 0:
        text_ += f" ({format_percent(share, locale, signed=True)})"
    return text_


def _contract(statement: ShowbackStatement, money: partial, words: Labels) -> list[Flowable]:
    """The team card's discounts and true-up, each a line, then the rule behind each."""
    if not statement.contract:
        return []
    rows = [(line.description, money(line.amount)) for line in statement.contract]
    rows.append((words.contract_total, money(statement.contract_total)))
    return [KeepTogether([text(words.contract_terms, "heading"),
                          totals_table(rows, width=CONTENT_WIDTH, label_share=0.8),
                          *[text(note, "small") for note in statement.contract_notes]])]


def _overhead(statement: ShowbackStatement, money: partial, words: Labels) -> list[Flowable]:
    if not statement.overhead:
        return []
    rows = [[words.pool, words.driver, words.treatment, words.amount]]
    rows += [[share.pool, words.driver_name(share.driver),
              words.charged if share.treatment == "charged" else words.central,
              money(share.amount)] for share in statement.overhead]
    rows += [[words.charged_overhead_total, "", "", money(statement.charged_overhead_total)],
             [words.central_overhead_total, "", "", money(statement.central_overhead_total)]]
    how = [text(f"• {share.explanation}", "small") for share in statement.overhead
           if share.explanation]
    if how:
        how.insert(0, text(words.overhead_how, "small"))
    return [KeepTogether([text(words.overhead_pools, "heading"),
                          grid(rows, [205, 100, 135, 75], right=[3], summary_rows=2), *how])]


def _outcomes(statement: ShowbackStatement, money: partial, words: Labels) -> list[Flowable]:
    if not statement.outcomes:
        return []
    locale = statement.locale
    rows = [[words.use_case, words.accepted, words.outcome_count, words.pass_rate, words.cost,
             words.cost_per_accepted]]
    for outcome in statement.outcomes:
        rate = outcome.pass_rate
        each = outcome.cost_per_accepted(statement.currency)
        rows.append([
            outcome.use_case, format_integer(outcome.accepted, locale),
            format_integer(outcome.total, locale),
            "-" if rate is None else format_percent(rate, locale),
            money(outcome.cost), words.no_accepted_outcomes if each is None
            else format_unit_price(each, statement.currency, locale),
        ])
    return [KeepTogether([text(words.outcomes, "heading"),
                          grid(rows, [155, 60, 60, 60, 80, 100], right=[1, 2, 3, 4, 5]),
                          text(words.outcome_definition, "small")])]


def _closing(statement: ShowbackStatement, money: partial, words: Labels) -> list[Flowable]:
    rows = [(words.subtotal_production, money(statement.production_total)),
            (words.subtotal_non_production, money(statement.non_production_total)),
            (words.usage_total, money(statement.usage_total)),
            *([(words.contract_total, money(statement.contract_total))]
              if statement.contract else []),
            (words.charged_overhead, money(statement.charged_overhead_total)),
            (words.total_in.format(currency=statement.currency), money(statement.total))]
    return [Spacer(1, 10), totals_table(rows, width=280)]


def statement_story(statement: ShowbackStatement) -> list[Flowable]:
    """The flowables of a statement, in reading order."""
    locale = statement.locale
    words = labels(locale)
    money = partial(format_money, currency=statement.currency, locale=locale)
    facts = [(words.statement_no, statement.statement_number), (words.team, statement.team),
             (words.owner, statement.owner or words.not_defined),
             (words.period,
              period_text(format_period(statement.period, locale), statement.period)),
             (words.generated, plain(format_datetime(statement.generated_at, locale),
                                     statement.generated_at.isoformat())),
             (words.currency, statement.currency)]
    versions = ", ".join(statement.card_versions) or words.no_card_versions
    story: list[Flowable] = [
        header(statement.issuer, words.statement, facts, words), Spacer(1, 6),
        text(words.statement_note, "small"),
        text(words.card_versions.format(versions=versions), "small"),
        *([text(words.policy_versions.format(versions=", ".join(statement.policy_versions)),
                "small")] if statement.policy_versions else []),
        *team_ownership(statement, words),
        text(words.summary, "heading"), _summary(statement, money, words),
    ]
    if statement.recommendation:
        action = words.action(statement.recommendation.action)
        story += [Spacer(1, 6), text(words.recommendation.format(action=action), "strong"),
                  text(words.rule.format(rule=statement.recommendation.rule), "small")]
    story += [text(words.production_usage, "heading"), production_note(statement, words)]
    if statement.production_lines:
        story.append(_lines_table(statement, statement.production_lines, True, money))
    else:
        story.append(text(words.no_production))
    story.append(text(words.non_production_heading, "heading"))
    if statement.non_production_lines:
        story.append(_lines_table(statement, statement.non_production_lines, False, money))
    else:
        story.append(text(words.no_non_production))
    story += _contract(statement, money, words)
    story += _overhead(statement, money, words) + _outcomes(statement, money, words)
    story += use_cases(statement, words) + service_levels(statement, words)
    if statement.changes:
        story.append(KeepTogether([text(words.changes, "heading"),
                                   *[text(f"• {change}") for change in statement.changes]]))
    return story + _closing(statement, money, words) + review_page(statement)


def render_statement(statement: ShowbackStatement, path: Path | str) -> Path:
    """Write the statement's PDF to path and return the path."""
    words = labels(statement.locale)
    title = f"{words.statement} {statement.statement_number}"
    return build(path, statement_story(statement), title=title,
                 running_title=f"{title} · {statement.team} · {statement.period}",
                 issuer=statement.issuer, moment=statement.generated_at,
                 subject=words.statement_subject.format(team=statement.team,
                                                        period=statement.period),
                 words=words)
