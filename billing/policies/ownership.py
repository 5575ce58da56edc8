"""Ownership: who is Responsible, Accountable, Consulted and Informed (RACI) for a team's or
a use case's AI spend, and where its owner wants alerts.

A role names people (a name or an email) or one of the functions finance, engineering,
governance and product. Exactly one is Accountable: that is the owner a statement names. An
owner may give a `webhook`; the budget and spend alerts about that team or use case are then
also delivered there, by the same signed, retried delivery as the configured webhooks
(`billing.budgets.webhooks`).

```yaml
raci:
  responsible: [engineering, priya@example.com]
  accountable: dana.lee@example.com
  consulted: [finance, governance]
  informed: product
webhook: https://hooks.example.com/ai-spend/support
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

FUNCTIONS = ("finance", "engineering", "governance", "product")
ROLES = ("responsible", "accountable", "consulted", "informed")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_BARE_WORD = re.compile(r"^[a-z][a-z0-9_-]*$")


class OwnershipError(ValueError):
    """A RACI or webhook that cannot be used; the message names the field."""


@dataclass(frozen=True)
class Raci:
    responsible: tuple[str, ...] = ()
    accountable: tuple[str, ...] = ()
    consulted: tuple[str, ...] = ()
    informed: tuple[str, ...] = ()

    @property
    def owner(self) -> str | None:
        return self.accountable[0] if self.accountable else None


def _entries(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def raci_problems(value: Any) -> list[tuple[str, str]]:
    """(field under `raci`, message) for each problem of a RACI mapping."""
    if not isinstance(value, dict):
        return [("", "expected a mapping of responsible, accountable, consulted, informed")]
    problems = [(str(key), f"unknown role; use {', '.join(ROLES)}")
                for key in value if key not in ROLES]
    for role in ROLES:
        if role not in value:
            continue
        entries = _entries(value[role])
        if not entries:
            problems.append((role, "names nobody; list people, emails or functions, or leave "
                             "the role out"))
        for index, entry in enumerate(entries, start=1):
            field = f"{role}[{index}]" if isinstance(value[role], list) else role
            message = entry_problem(entry)
            if message:
                problems.append((field, message))
    accountable = _entries(value.get("accountable")) if "accountable" in value else []
    if len(accountable) != 1:
        problems.append(("accountable", "exactly one is accountable: name one person or "
                         f"function (found {len(accountable)})"))
    return problems


def entry_problem(entry: Any) -> str | None:
    """Why an entry names neither a person nor a function (None when it does)."""
    if not isinstance(entry, str) or not entry.strip():
        return f"{entry!r} is not a person, an email or a function"
    if "@" in entry and not _EMAIL.match(entry):
        return f"{entry!r} is not an email address like dana.lee@example.com"
    if "@" not in entry and _BARE_WORD.match(entry) and entry not in FUNCTIONS:
        return (f"{entry!r} is not one of the functions {', '.join(FUNCTIONS)}; write a "
                "person as a name (Dana Lee) or an email")
    return None


def webhook_problem(value: Any) -> str | None:
    """Why a webhook URL cannot be posted to (None when it can)."""
    if not isinstance(value, str):
        return f"{value!r} is not a URL; write https://host/path"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{value!r} is not an http(s) URL with a host, like https://hooks.example.com/x"
    return None


def load_raci(value: Any, where: str) -> Raci | None:
    if value is None:
        return None
    problems = raci_problems(value)
    if problems:
        field, message = problems[0]
        raise OwnershipError(f"{where}: raci{'.' + field if field else ''}: {message}")
    return Raci(*(tuple(str(entry) for entry in _entries(value[role])) if role in value else ()
                  for role in ROLES))


def load_webhook(value: Any, where: str) -> str | None:
    if value is None:
        return None
    message = webhook_problem(value)
    if message:
        raise OwnershipError(f"{where}: webhook: {message}")
    return str(value)


def owner_of(raci: Raci | None, owner: str | None) -> str | None:
    """The owner a document names: the Accountable, else the declared owner."""
    return (raci.owner if raci else None) or owner


Routes = Mapping[str, list[tuple[str | None, str | None]]]
"""Webhook URL -> the (team, use case) scopes whose alerts it also receives; use case None is
the whole team, team None a use case of any team."""


def owner_routes(registry: Any, use_cases: Mapping[str, Any]) -> dict[str, list[
        tuple[str | None, str | None]]]:
    """Each owner's webhook and the teams and use cases it owns, from the policies in force."""
    routes: dict[str, list[tuple[str | None, str | None]]] = {}
    for team, entry in sorted(registry.teams.items()):
        if entry.webhook:
            routes.setdefault(entry.webhook, []).append((team, None))
    for name, use_case in sorted(use_cases.items()):
        if use_case.webhook:
            routes.setdefault(use_case.webhook, []).append((use_case.team, name))
    return routes
