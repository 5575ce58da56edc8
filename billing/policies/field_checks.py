"""The field checks of a parties or use-cases document, each problem at its line and field.

The loaders (`billing.parties`, `billing.use_cases`) stop at the first problem and know no
lines; these checks walk the YAML nodes and report every problem where it is written, and
refuse keys a party or a use case does not have, so a typo never passes as an unused key.
"""

from __future__ import annotations

from collections.abc import Callable

import yaml
from babel import Locale, UnknownLocaleError

from billing.policies.billable import billable_problems
from billing.policies.environments import section_problems
from billing.policies.kpi_targets import target_problem
from billing.policies.ownership import raci_problems, webhook_problem
from billing.policies.yaml_nodes import key_nodes, locate, value
from billing.use_cases import guardrail_problem
from ratecards import is_currency

Report = Callable[[yaml.Node, str, str], None]
ISSUER_KEYS = ("name", "address", "email", "tax_id", "locale", "invoice_prefix",
               "credit_note_prefix", "country", "registrations", "payment")
TEAM_KEYS = ("locale", "currency", "owner", "raci", "webhook")
CUSTOMER_KEYS = ("name", "address", "email", "locale", "currency", "tax_rate", "tax_label",
                 "payment_terms_days", "tax_ids", "stripe_customer_id", "billable", "country",
                 "purchase_order", "reference")
USE_CASE_KEYS = ("team", "owner", "description", "outcome", "guardrail", "raci", "webhook",
                 "kpi_targets")
OUTCOME_KEYS = ("name", "start", "end", "quality_rule")


def _unknown(node: yaml.Node, allowed: tuple[str, ...], where: str, problem: Report) -> None:
    for name, (key, _) in key_nodes(node).items():
        if name not in allowed:
            problem(key, f"{where}.{name}", f"unknown key; use {', '.join(allowed)}")


def _nested(node: yaml.Node, where: str, found: list[tuple[str, str]],
            problem: Report) -> None:
    for field, message in found:
        problem(locate(node, field), f"{where}.{field}" if field else where, message)


def _entries(node: yaml.Node, section: str, problem: Report):  # noqa: ANN202
    if not isinstance(node, yaml.MappingNode):
        problem(node, section, "expected a mapping of name to entry")
        return []
    return [(name, entry) for name, (_, entry) in key_nodes(node).items()]


def _locale(fields: dict, where: str, problem: Report) -> None:
    if "locale" in fields:
        node = fields["locale"][1]
        try:
            Locale.parse(str(node.value))
        except (UnknownLocaleError, ValueError, TypeError):
            problem(node, f"{where}.locale", f"{node.value!r} is not a locale like en_US")


def _currency(fields: dict, where: str, problem: Report) -> None:
    if "currency" in fields:
        node = fields["currency"][1]
        if not isinstance(node.value, str) or not is_currency(node.value):
            problem(node, f"{where}.currency",
                    f"{node.value!r} is not an ISO 4217 currency code like USD or EUR")


def _ownership(fields: dict, where: str, problem: Report) -> None:
    if "raci" in fields:
        node = fields["raci"][1]
        _nested(node, f"{where}.raci", raci_problems(value(node)), problem)
    if "webhook" in fields:
        node = fields["webhook"][1]
        message = webhook_problem(value(node))
        if message:
            problem(node, f"{where}.webhook", message)


def check_parties(top: dict[str, tuple[yaml.Node, yaml.Node]], problem: Report) -> None:
    """Every problem of a parties body: issuer, teams, customers and environments."""
    if "issuer" in top:
        _unknown(top["issuer"][1], ISSUER_KEYS, "issuer", problem)
    for name, entry in _entries(top["teams"][1], "teams", problem) if "teams" in top else []:
        where = f"teams.{name}"
        _unknown(entry, TEAM_KEYS, where, problem)
        fields = key_nodes(entry)
        _locale(fields, where, problem)
        _currency(fields, where, problem)
        _ownership(fields, where, problem)
        if "kpi_targets" in fields:
            node = fields["kpi_targets"][1]
            message = target_problem(value(node))
            if message:
                problem(node, f"{where}.kpi_targets", message)
    customers = _entries(top["customers"][1], "customers", problem) if "customers" in top else []
    for name, entry in customers:
        where = f"customers.{name}"
        _unknown(entry, CUSTOMER_KEYS, where, problem)
        fields = key_nodes(entry)
        _locale(fields, where, problem)
        _currency(fields, where, problem)
        if "billable" in fields:
            node = fields["billable"][1]
            _nested(node, f"{where}.billable", billable_problems(value(node)), problem)
    if "billable" in top:
        node = top["billable"][1]
        _nested(node, "billable", billable_problems(value(node)), problem)
    if "environments" in top:
        node = top["environments"][1]
        _nested(node, "environments", section_problems(value(node)), problem)


def _outcome(node: yaml.Node, where: str, problem: Report) -> None:
    """An outcome says where it starts and ends and the quality rule that accepts it."""
    if not isinstance(node, yaml.MappingNode):
        problem(node, where, "expected a mapping with name, start, end and quality_rule")
        return
    _unknown(node, OUTCOME_KEYS, where, problem)
    given = value(node)
    for key in OUTCOME_KEYS[1:]:
        if not given.get(key):
            problem(node, f"{where}.{key}", "missing; an outcome needs start, end and "
                    "quality_rule (what makes an outcome accepted)")


def check_use_cases(top: dict[str, tuple[yaml.Node, yaml.Node]], problem: Report) -> None:
    """Every problem of a use-cases body: each use case's keys, outcome, guardrail, owner."""
    if "use_cases" not in top:
        return
    for name, entry in _entries(top["use_cases"][1], "use_cases", problem):
        where = f"use_cases.{name}"
        if not isinstance(entry, yaml.MappingNode):
            problem(entry, where, "expected a mapping with team, owner, outcome, guardrail")
            continue
        _unknown(entry, USE_CASE_KEYS, where, problem)
        fields = key_nodes(entry)
        if "outcome" in fields:
            _outcome(fields["outcome"][1], f"{where}.outcome", problem)
        if "guardrail" in fields:
            node = fields["guardrail"][1]
            message = guardrail_problem(value(node))
            if message:
                problem(node, f"{where}.guardrail", message)
        _ownership(fields, where, problem)
