"""What a customer is billed for: its usage in some environments, use cases and projects.

A customer's `billable:` in the parties policy narrows its chargeback invoice; a `billable:`
at the top of the policy is the default for every customer without one. The lists name what
is billed (left out: all of that kind); `except` names what is never billed, like internal
hackweek or sandbox projects, whatever the lists say. With no policy at all everything is
billable, as before the policy existed. Usage outside it is not billed, and not dropped
either: it stays in showback, the invoice lists it apart with what it would have cost (its
total does not include it), and the close lists it per customer.

```yaml
billable:                      # the default for customers without their own
  except: {projects: [proj_hackweek], use_cases: [sandbox]}
customers:
  acme:
    billable: {environments: [production], use_cases: [support-bot], projects: [acme-rollout]}
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing import identifiers

KEYS = ("environments", "use_cases", "projects")
EXCEPT = "except"
NAMED = {"environments": "environment", "use_cases": "use case", "projects": "project"}


class BillableError(ValueError):
    pass


@dataclass(frozen=True)
class Billable:
    environments: frozenset[str] | None = None
    """None: every environment."""
    use_cases: frozenset[str] | None = None
    """None: every use case, and usage with none."""
    projects: frozenset[str] | None = None
    """None: every project, and usage with none."""
    never: tuple[tuple[str, frozenset[str]], ...] = ()
    """(kind, names) never billed, from `except`."""

    def reason_not_billed(self, environment: str, use_case: str | None,
                          project: str | None = None) -> str | None:
        """Why usage in this environment, use case and project is not billed (None: it is)."""
        facts = {"environments": environment, "use_cases": use_case, "projects": project}
        for kind, names in self.never:
            if facts[kind] in names:
                return f"{NAMED[kind]} {facts[kind]} is never billable"
        for kind in KEYS:
            allowed = getattr(self, kind)
            if allowed is not None and facts[kind] not in allowed:
                return (f"{NAMED[kind]} {facts[kind]} is not billable" if facts[kind]
                        else f"usage without a {NAMED[kind]} is not billable")
        return None


def _list_problems(value: dict, key: str, prefix: str) -> list[tuple[str, str]]:
    names = value[key]
    if not isinstance(names, list) or not names:
        return [(prefix + key, "expected a list of names, like [production]; leave the key out "
                 "to bill all")]
    problems = []
    for index, name in enumerate(names, start=1):
        if not isinstance(name, str) or not name.strip():
            problems.append((f"{prefix}{key}[{index}]", f"{name!r} is not a name"))
        elif found := identifiers.problem(name, NAMED[key]):
            problems.append((f"{prefix}{key}[{index}]", found))
    return problems


def billable_problems(value: Any) -> list[tuple[str, str]]:
    """(field under `billable`, message) for each problem of a `billable`."""
    if not isinstance(value, dict):
        return [("", "expected a mapping with environments, use_cases, projects and except")]
    problems = [(str(key), f"unknown key; use {', '.join((*KEYS, EXCEPT))}")
                for key in value if key not in (*KEYS, EXCEPT)]
    for key in KEYS:
        if key in value:
            problems.extend(_list_problems(value, key, ""))
    never = value.get(EXCEPT)
    if EXCEPT in value and not isinstance(never, dict):
        problems.append((EXCEPT, "expected a mapping like {projects: [proj_hackweek]}"))
    elif isinstance(never, dict):
        problems.extend((f"{EXCEPT}.{key}", f"unknown key; use {', '.join(KEYS)}")
                        for key in never if key not in KEYS)
        for key in KEYS:
            if key in never:
                problems.extend(_list_problems(never, key, f"{EXCEPT}."))
    return problems


def load_billable(value: Any, where: str, default: Billable | None = None) -> Billable:
    if value is None:
        return default or Billable()
    problems = billable_problems(value)
    if problems:
        field, message = problems[0]
        raise BillableError(f"{where}: billable{'.' + field if field else ''}: {message}")
    never = value.get(EXCEPT) or {}
    return Billable(*(frozenset(value[key]) if key in value else None for key in KEYS),
                    never=tuple((key, frozenset(never[key])) for key in reversed(KEYS)
                                if key in never))
