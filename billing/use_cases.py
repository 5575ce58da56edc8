"""Use cases as their owners declare them: the team, the owner, and what counts as an outcome.

Statements show this next to the cost per accepted outcome, so a reader knows what was
counted: where an outcome starts and ends, the quality rule that accepts it (the acceptance
rule), and the guardrail metric that must hold while cost per outcome falls. Every field
but the name is optional; a statement prints "not defined" for what is missing.

```yaml
use_cases:
  support-copilot:
    team: support
    owner: jane.doe@example.com
    description: Drafts replies for support agents
    outcome:
      name: ticket resolved
      start: ticket assigned to an agent
      end: ticket closed
      quality_rule: not reopened within 7 days and CSAT >= 4
    guardrail: {metric: escalation rate, limit: "<= 5% of tickets"}   # or one line of text
    raci: {accountable: jane.doe@example.com, responsible: engineering, consulted: governance}
    webhook: https://hooks.example.com/ai-spend/support-copilot
```
`raci` and `webhook` are read by `billing.policies.ownership`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import yaml

from billing.policies.kpi_targets import Targets
from billing.policies.ownership import OwnershipError, Raci, load_raci, load_webhook, owner_of


class UseCaseError(ValueError):
    pass


@dataclass(frozen=True)
class OutcomeDefinition:
    name: str
    start: str
    end: str
    quality_rule: str


@dataclass(frozen=True)
class Guardrail:
    """A metric that must not degrade while the use case gets cheaper, and its limit."""

    metric: str
    limit: str | None = None

    def __str__(self) -> str:
        return f"{self.metric} {self.limit}" if self.limit else self.metric


GUARDRAIL_KEYS = ("metric", "limit")


@dataclass(frozen=True)
class UseCase:
    name: str
    team: str | None
    owner: str | None
    description: str
    outcome: OutcomeDefinition | None
    guardrail: Guardrail | None = None
    raci: Raci | None = None
    webhook: str | None = None
    kpi_targets: Targets = field(default_factory=Targets)

    @property
    def accountable(self) -> str | None:
        """The owner statements name: the Accountable of its RACI, else `owner`."""
        return owner_of(self.raci, self.owner)

    def to_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["kpi_targets"] = self.kpi_targets.to_dict()
        return found


def load_use_cases(text: str, source: str = "use cases") -> dict[str, UseCase]:
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise UseCaseError(f"{source}: not valid YAML: {exc}") from None
    entries = document.get("use_cases") if isinstance(document, dict) else None
    if not isinstance(entries, dict):
        raise UseCaseError(f"{source}: expected a top-level 'use_cases:' mapping of name to "
                           "definition")
    return {str(name): _use_case(str(name), entry, f"{source}: use case {name}")
            for name, entry in entries.items()}




def _use_case(name: str, entry: Any, where: str) -> UseCase:
    if not isinstance(entry, dict):
        raise UseCaseError(f"{where}: expected a mapping with team, owner and outcome")
    outcome = entry.get("outcome")
    definition = None
    if outcome is not None:
        if not isinstance(outcome, dict):
            raise UseCaseError(f"{where}: outcome needs name, start, end and quality_rule")
        missing = [key for key in ("start", "end", "quality_rule") if not outcome.get(key)]
        if missing:
            raise UseCaseError(f"{where}: outcome is missing {', '.join(missing)}")
        definition = OutcomeDefinition(str(outcome.get("name") or "outcome"),
                                       str(outcome["start"]), str(outcome["end"]),
                                       str(outcome["quality_rule"]))
    try:
        raci, webhook = load_raci(entry.get("raci"), where), load_webhook(entry.get("webhook"),
                                                                          where)
    except OwnershipError as exc:
        raise UseCaseError(str(exc)) from None
    try:
        targets = Targets.of(entry.get("kpi_targets"))
    except ValueError as exc:
        raise UseCaseError(f"{where}: {exc}") from None
    return UseCase(name, _text(entry.get("team")), _text(entry.get("owner")),
                   str(entry.get("description") or ""), definition,
                   _guardrail(entry.get("guardrail"), where), raci, webhook, targets)


def guardrail_problem(value: Any) -> str | None:
    """Why a guardrail cannot be read (None when it can)."""
    if isinstance(value, str) and value.strip():
        return None
    if not isinstance(value, dict):
        return "expected a metric: one line of text, or {metric: ..., limit: ...}"
    unknown = [str(key) for key in value if key not in GUARDRAIL_KEYS]
    if unknown:
        return f"unknown key {unknown[0]}; use {', '.join(GUARDRAIL_KEYS)}"
    if not isinstance(value.get("metric"), str) or not value["metric"].strip():
        return "metric is required: what is measured, like \"escalation rate\""
    return None


def _guardrail(value: Any, where: str) -> Guardrail | None:
    if value is None:
        return None
    message = guardrail_problem(value)
    if message:
        raise UseCaseError(f"{where}: guardrail: {message}")
    if isinstance(value, str):
        return Guardrail(value.strip())
    return Guardrail(value["metric"].strip(), _text(value.get("limit")))


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
