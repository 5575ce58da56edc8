"""Environment classes: which environment names are production, by the parties policy.

Usage events name their environment freely (`production`, `prod`, `sandbox`, `hackweek`);
the statement shows production apart from everything else, and what counts as production is
policy, not code. The parties document says it in an `environments:` section; names it does
not list take its explicit `default`. Without the section, `production` alone is production
and every other name is non-production, as before the policy existed.

```yaml
environments:
  production: [production, prod]
  non_production: [staging, sandbox, hackweek, dev, development, test]
  default: non-production      # for names listed nowhere
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PRODUCTION, NON_PRODUCTION = "production", "non-production"
CLASSES = (PRODUCTION, NON_PRODUCTION)
KEYS = ("production", "non_production", "default")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,19}$")
"""An environment name as the ledger stores it: lower case, up to 20 characters."""


class EnvironmentClassError(ValueError):
    """An `environments:` section that cannot be used; the message names the field."""


@dataclass(frozen=True)
class EnvironmentClasses:
    production: frozenset[str] = frozenset({"production"})
    non_production: frozenset[str] = frozenset()
    default: str = NON_PRODUCTION

    def classify(self, environment: str) -> str:
        if environment in self.production:
            return PRODUCTION
        if environment in self.non_production:
            return NON_PRODUCTION
        return self.default

    def is_production(self, environment: str) -> bool:
        return self.classify(environment) == PRODUCTION

    def listed(self, environment: str) -> bool:
        """Whether the policy names the environment (else it took the default)."""
        return environment in self.production or environment in self.non_production


def section_problems(value: Any) -> list[tuple[str, str]]:
    """(field under `environments`, message) for each problem of the section."""
    if not isinstance(value, dict):
        return [("", "expected a mapping with production, non_production and default")]
    problems = [(str(key), f"unknown key; use {', '.join(KEYS)}")
                for key in value if key not in KEYS]
    seen: dict[str, str] = {}
    for key in ("production", "non_production"):
        names = value.get(key) or []
        if not isinstance(names, list):
            problems.append((key, "expected a list of environment names, like [staging, dev]"))
            continue
        for index, name in enumerate(names):
            if not isinstance(name, str) or not NAME.match(name):
                problems.append((f"{key}[{index + 1}]",
                                 f"{name!r} is not an environment name (lower case letters, "
                                 "digits, '.', '_' or '-', up to 20 characters)"))
            elif name in seen:
                problems.append((f"{key}[{index + 1}]",
                                 f"{name!r} is already listed under {seen[name]}; an "
                                 "environment has one class"))
            else:
                seen[name] = key
    if "default" not in value:
        problems.append(("default", "is required: the class of names listed nowhere, "
                         f"{' or '.join(CLASSES)}"))
    elif value["default"] not in CLASSES:
        problems.append(("default", f"{value['default']!r} is not {' or '.join(CLASSES)}"))
    return problems


def load_environments(value: Any, where: str) -> EnvironmentClasses:
    """The classes a parties document declares (the built-in ones when it declares none)."""
    if value is None:
        return EnvironmentClasses()
    problems = section_problems(value)
    if problems:
        field, message = problems[0]
        raise EnvironmentClassError(f"{where}: environments{'.' + field if field else ''}: "
                                f"{message}")
    return EnvironmentClasses(frozenset(value.get("production") or ()),
                              frozenset(value.get("non_production") or ()), value["default"])
