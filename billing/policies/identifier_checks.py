"""The names a policy document keys money by, held to the identifier rule where they are written.

Teams and customers of a parties document, use cases and their teams, what an attribution
rule sets and the tags it matches, the teams of an overhead pool's shares: the ledger, rated
lines and documents are keyed by these names, so one that breaks the rule
(`billing.identifiers`) is refused at its line and field, as ingest refuses it in a row.
"""

from __future__ import annotations

from collections.abc import Callable

import yaml

from billing import identifiers
from billing.policies.yaml_nodes import key_nodes, value

Report = Callable[[yaml.Node, str, str], None]


def check_names(kind: str, top: dict[str, tuple[yaml.Node, yaml.Node]],
                problem: Report) -> None:
    """Every name of a policy body that breaks the identifier rule, at its node."""
    if kind == "parties":
        for section, what in (("teams", "team"), ("customers", "customer")):
            if section in top:
                _keys(top[section][1], section, what, problem)
    elif kind == "use_cases" and "use_cases" in top:
        _keys(top["use_cases"][1], "use_cases", "use case", problem)
        for name, (_, entry) in key_nodes(top["use_cases"][1]).items():
            _named(key_nodes(entry).get("team"), f"use_cases.{name}.team", "team", problem)
    elif kind == "attribution" and "rules" in top:
        for number, entry in _items(top["rules"][1]):
            fields = key_nodes(entry)
            where = f"rules[{number}]"
            assign = key_nodes(fields["set"][1]) if "set" in fields else {}
            for name, what in (("team", "team"), ("use_case", "use case")):
                _named(assign.get(name), f"{where}.set.{name}", what, problem)
            match = key_nodes(fields["match"][1]) if "match" in fields else {}
            if "tags" in match:
                _keys(match["tags"][1], f"{where}.match.tags", "tag name", problem)
    elif kind == "overhead" and "pools" in top:
        for number, entry in _items(top["pools"][1]):
            fields = key_nodes(entry)
            if "shares" in fields:
                _keys(fields["shares"][1], f"pools[{number}].shares", "team", problem)


def _items(node: yaml.Node) -> list[tuple[int, yaml.Node]]:
    if not isinstance(node, yaml.SequenceNode):
        return []
    return list(enumerate(node.value, start=1))


def _keys(node: yaml.Node, where: str, what: str, problem: Report) -> None:
    for name, (key, _) in key_nodes(node).items():
        found = identifiers.problem(name, what)
        if found:  # the field quotes a name holding control characters, never prints them
            problem(key, f"{where}.{name if name.isprintable() else repr(name)}", found)


def _named(entry: tuple[yaml.Node, yaml.Node] | None, where: str, what: str,
           problem: Report) -> None:
    """A name given as a value (`team: support`); left out or empty means none, and fine."""
    if entry is None:
        return
    node = entry[1]
    given = value(node)
    if given is None or given == "":
        return
    found = (identifiers.problem(str(given), what)
             if isinstance(given, str | int | float) and not isinstance(given, bool)
             else f"{what} {given!r} is not a name; write it as text, like support")
    if found:
        problem(node, where, found)
