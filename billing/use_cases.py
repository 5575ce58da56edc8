"""Use cases as their owners declare them: the team, the owner, and what counts as an outcome.

Statements show this next to the cost per accepted outcome, so a reader knows what was
counted: where an outcome starts and ends, and the quality rule that accepts it.

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
```
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import yaml


class UseCaseError(ValueError):
    pass


@dataclass(frozen=True)
class OutcomeDefinition:
    name: str
    start: str
    end: str
    quality_rule: str


@dataclass(frozen=True)
class UseCase:
    name: str
    team: str | None
    owner: str | None
    description: str
    outcome: OutcomeDefinition | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    return UseCase(name, _text(entry.get("team")), _text(entry.get("owner")),
                   str(entry.get("description") or ""), definition)


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
