"""What a customer is billed for: its usage in some environments and use cases, by contract.

A customer's `billable:` in the parties policy narrows its chargeback invoice. Left out, or
either list left out, everything of that kind is billable, as before the policy existed.
Usage outside it is not billed, and not dropped either: the invoice lists it apart, with what
it would have cost, and its total does not include it.

```yaml
customers:
  acme:
    billable: {environments: [production], use_cases: [support-bot]}
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing import identifiers

KEYS = ("environments", "use_cases")
NAMED = {"environments": "environment", "use_cases": "use case"}


class BillableError(ValueError):
    pass


@dataclass(frozen=True)
class Billable:
    environments: frozenset[str] | None = None
    """None: every environment."""
    use_cases: frozenset[str] | None = None
    """None: every use case, and usage with none."""

    def reason_not_billed(self, environment: str, use_case: str | None) -> str | None:
        """Why usage in this environment and use case is not billed (None: it is billed)."""
        if self.environments is not None and environment not in self.environments:
            return f"environment {environment} is not billable"
        if self.use_cases is not None and use_case not in self.use_cases:
            return (f"use case {use_case} is not billable" if use_case
                    else "usage without a use case is not billable")
        return None


def billable_problems(value: Any) -> list[tuple[str, str]]:
    """(field under `billable`, message) for each problem of a customer's `billable`."""
    if not isinstance(value, dict):
        return [("", "expected a mapping with environments and use_cases lists")]
    problems = [(str(key), f"unknown key; use {', '.join(KEYS)}")
                for key in value if key not in KEYS]
    for key in KEYS:
        if key not in value:
            continue
        names = value[key]
        if not isinstance(names, list) or not names:
            problems.append((key, "expected a list of names, like [production]; leave the key "
                             "out to bill all"))
            continue
        for index, name in enumerate(names, start=1):
            if not isinstance(name, str) or not name.strip():
                problems.append((f"{key}[{index}]", f"{name!r} is not a name"))
            elif found := identifiers.problem(name, NAMED[key]):
                problems.append((f"{key}[{index}]", found))
    return problems


def load_billable(value: Any, where: str) -> Billable:
    if value is None:
        return Billable()
    problems = billable_problems(value)
    if problems:
        field, message = problems[0]
        raise BillableError(f"{where}: billable{'.' + field if field else ''}: {message}")
    return Billable(*(frozenset(value[key]) if key in value else None for key in KEYS))
