"""Attribution rules ("virtual tags"): ordered rules that give untagged usage a team and use case.

Usage often arrives without an owner: a shared provider project, an API key handed around, a
prompt version everyone knows belongs to one workflow. A rule matches on those and fills in
what is missing; it never overrides a team or use case the event itself carried. The first
matching rule wins, so the file reads top to bottom like a policy.

```yaml
rules:
  - name: support sandbox project
    match: {provider_project: proj_abc}
    set: {team: cx, use_case: support-copilot}
  - name: eval harness key
    match: {api_key: key_123, model: gpt-4.1}
    set: {team: data-science}
  - name: tagged by cost centre
    match: {tags: {cost_center: cc-100}}
    set: {team: support}
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

MATCH_KEYS = ("provider", "provider_project", "api_key", "model", "prompt_version", "tags")
SET_KEYS = ("team", "use_case")


class RuleError(ValueError):
    """A rules file that cannot be used; the message names the rule and the field."""


@dataclass(frozen=True)
class Rule:
    name: str
    match: Mapping[str, str]
    tags: Mapping[str, str] = field(default_factory=dict)
    team: str | None = None
    use_case: str | None = None

    def matches(self, usage: Mapping[str, Any]) -> bool:
        if any(usage.get(key) != value for key, value in self.match.items()):
            return False
        tags = usage.get("tags") or {}
        return all(tags.get(key) == value for key, value in self.tags.items())


@dataclass(frozen=True)
class RuleSet:
    """The rules in force for a period and the published version they come from
    (`attribution@N`, or `none` when nothing is published), recorded on every rated line."""

    version: str
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Attribution:
    team: str | None
    use_case: str | None
    rule: str | None


def load_rules(text: str, source: str = "attribution rules") -> list[Rule]:
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise RuleError(f"{source}: not valid YAML: {exc}") from None
    entries = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise RuleError(f"{source}: expected a top-level 'rules:' list")
    rules = []
    for number, entry in enumerate(entries, start=1):
        where = f"{source}: rule {number}"
        if not isinstance(entry, dict):
            raise RuleError(f"{where}: each rule is a mapping with name, match and set")
        name = str(entry.get("name") or f"rule {number}")
        match = entry.get("match")
        assign = entry.get("set")
        if not isinstance(match, dict) or not match:
            raise RuleError(f"{where} ({name}): 'match' needs at least one of "
                            f"{', '.join(MATCH_KEYS)}")
        if not isinstance(assign, dict) or not assign:
            raise RuleError(f"{where} ({name}): 'set' needs team and/or use_case")
        for key in match:
            if key not in MATCH_KEYS:
                raise RuleError(f"{where} ({name}): match.{key} is unknown; use "
                                f"{', '.join(MATCH_KEYS)}")
        for key in assign:
            if key not in SET_KEYS:
                raise RuleError(f"{where} ({name}): set.{key} is unknown; use team, use_case")
        tags = match.get("tags") or {}
        if not isinstance(tags, dict):
            raise RuleError(f"{where} ({name}): match.tags must be a mapping of tag to value")
        rules.append(Rule(
            name=name,
            match={k: str(v) for k, v in match.items() if k != "tags"},
            tags={str(k): str(v) for k, v in tags.items()},
            team=_text(assign.get("team")),
            use_case=_text(assign.get("use_case")),
        ))
    return rules




def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def attribute(rules: list[Rule], usage: Mapping[str, Any]) -> Attribution:
    """Fill a missing team or use case from the first matching rule; keep what is present."""
    team, use_case = usage.get("team"), usage.get("use_case")
    if team is not None and use_case is not None:
        return Attribution(team, use_case, None)
    for rule in rules:
        if team is not None and rule.team is not None and rule.team != team:
            continue  # a use case belongs to its team: never borrow another team's
        if rule.matches(usage):
            return Attribution(
                team if team is not None else rule.team,
                use_case if use_case is not None else rule.use_case,
                rule.name,
            )
    return Attribution(team, use_case, None)
