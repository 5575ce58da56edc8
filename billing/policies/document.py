"""A policy document: one kind of policy, a version and the months it is in force.

The YAML is composed into nodes first so every problem names its line, as rate cards do. The
body is then read by the loader of its kind (attribution rules, overhead pools, parties, use
cases), so a published document is exactly what rating and the close will use.

```yaml
kind: overhead            # attribution | overhead | parties | use_cases | model_aliases
version: "2026-10"
effective_from: 2026-10   # first month in force
effective_to: 2026-12     # optional, last month in force
pools: [...]
```
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from billing.parties import RegistryError, load_registry
from billing.policies.field_checks import check_parties, check_use_cases
from billing.policies.identifier_checks import check_names
from billing.policies.yaml_nodes import key_nodes as _key_nodes
from billing.policies.yaml_nodes import line as _line
from billing.rating.attribution import MATCH_KEYS, SET_KEYS, RuleError, load_rules
from billing.rating.model_aliases import AliasError, load_aliases
from billing.rating.overhead import PoolError, load_pools
from billing.use_cases import UseCaseError, load_use_cases
from ratecards.loading import Problem

KINDS = ("attribution", "overhead", "parties", "use_cases", "model_aliases")
HEADER_KEYS = ("kind", "version", "effective_from", "effective_to")
BODY_KEYS = {
    "attribution": ("rules",),
    "overhead": ("pools",),
    "parties": ("issuer", "teams", "customers", "environments", "billable"),
    "use_cases": ("use_cases",),
    "model_aliases": ("aliases",),
}
RULE_KEYS = ("name", "match", "set")
POOL_KEYS = ("name", "amount", "currency", "driver", "treatment", "shares", "periods")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")
_LOADERS = {
    "attribution": (load_rules, RuleError),
    "overhead": (load_pools, PoolError),
    "parties": (load_registry, RegistryError),
    "use_cases": (load_use_cases, UseCaseError),
    "model_aliases": (load_aliases, AliasError),
}


class PolicyValidationError(ValueError):
    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class PolicyVersion:
    kind: str
    version: str
    effective_from: str
    effective_to: str | None
    content_hash: str
    source: str
    filename: str

    def in_force(self, period: str) -> bool:
        return self.effective_from <= period and (self.effective_to is None
                                                  or period <= self.effective_to)

    @property
    def ref(self) -> str:
        return f"{self.kind}@{self.version}"

    def body(self) -> dict[str, Any]:
        document = yaml.safe_load(self.source) or {}
        return {key: value for key, value in document.items() if key not in HEADER_KEYS}


def content_hash(document: dict[str, Any]) -> str:
    """The hash of what the document says, not how it is written: comments and key order
    do not change it."""
    canonical = json.dumps(document, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse(text: str, filename: str, *, known_teams: set[str] | None = None
          ) -> tuple[PolicyVersion | None, list[Problem]]:
    """A document and its problems; a document only when there are none."""
    problems: list[Problem] = []

    def problem(node: yaml.Node, field: str, message: str) -> None:
        problems.append(Problem(filename, _line(node), field, message))

    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [Problem(filename, mark.line + 1 if mark else 1, "(file)",
                              f"not valid YAML: {exc}")]
    if root is None or not isinstance(root, yaml.MappingNode):
        return None, [Problem(filename, 1, "(file)",
                              "expected a mapping with kind, version, effective_from")]
    top = _key_nodes(root)
    kind = top["kind"][1].value if "kind" in top else None
    if kind not in KINDS:
        problem(top["kind"][1] if "kind" in top else root, "kind",
                f"{kind!r} is not one of {', '.join(KINDS)}")
        return None, problems
    for name, (key, _) in top.items():
        if name not in HEADER_KEYS + BODY_KEYS[kind]:
            problem(key, name, f"unknown key; a {kind} policy has "
                    f"{', '.join(HEADER_KEYS + BODY_KEYS[kind])}")
    version = str(top["version"][1].value) if "version" in top else None
    if version is None or not VERSION.match(version):
        problem(top["version"][1] if "version" in top else root, "version",
                "is required: a version name like \"2026-10\"")
    months = {}
    for field in ("effective_from", "effective_to"):
        if field in top:
            value = str(top[field][1].value)
            if not MONTH.match(value):
                problem(top[field][1], field, f"{value!r} is not a month YYYY-MM")
            months[field] = value
        elif field == "effective_from":
            problem(root, field, "is required: the first month in force, YYYY-MM")
    start, end = months.get("effective_from"), months.get("effective_to")
    if start and end and MONTH.match(start) and MONTH.match(end) and end < start:
        problem(top["effective_to"][1], "effective_to", f"{end} is before effective_from {start}")
    if kind == "attribution" and "rules" in top:
        _check_rules(top["rules"][1], problem)
    if kind == "overhead" and "pools" in top:
        _check_pools(top["pools"][1], problem, known_teams)
    if kind == "parties":
        check_parties(top, problem)
    if kind == "use_cases":
        check_use_cases(top, problem)
    check_names(kind, top, problem)
    if not problems:
        loader, error = _LOADERS[kind]
        try:
            loader(text, filename)
        except error as exc:
            section = BODY_KEYS[kind][0]
            node = top[section][0] if section in top else root
            problem(node, section, str(exc).removeprefix(f"{filename}: "))
    if problems:
        return None, problems
    document = yaml.safe_load(text)
    return PolicyVersion(kind, version, start, end, content_hash(document), text,  # type: ignore[arg-type]
                         filename), []


def _check_rules(node: yaml.Node, problem) -> None:  # noqa: ANN001
    if not isinstance(node, yaml.SequenceNode):
        return
    seen: list[tuple[int, dict, str | None]] = []
    for number, entry in enumerate(node.value, start=1):
        fields = _key_nodes(entry)
        for name, (key, _) in fields.items():
            if name not in RULE_KEYS:
                problem(key, f"rules[{number}].{name}", f"unknown key; use {', '.join(RULE_KEYS)}")
        match = yaml.safe_load(yaml.serialize(fields["match"][1])) if "match" in fields else None
        assign = yaml.safe_load(yaml.serialize(fields["set"][1])) if "set" in fields else None
        if not isinstance(match, dict) or not isinstance(assign, dict):
            continue
        for name in match:
            if name not in MATCH_KEYS:
                problem(fields["match"][1], f"rules[{number}].match.{name}",
                        f"unknown key; use {', '.join(MATCH_KEYS)}")
        for name in assign:
            if name not in SET_KEYS:
                problem(fields["set"][1], f"rules[{number}].set.{name}",
                        "unknown key; use team, use_case")
        flat = _flat(match)
        team = assign.get("team")
        for earlier, earlier_match, earlier_team in seen:
            if earlier_match.items() <= flat.items() and earlier_team in (None, team):
                problem(entry, f"rules[{number}].match",
                        f"can never match: rule {earlier} above matches everything it matches "
                        "and wins first; move this rule above it or remove it")
                break
        seen.append((number, flat, team))


def _flat(match: dict) -> dict[str, str]:
    flat = {k: str(v) for k, v in match.items() if k != "tags"}
    tags = match.get("tags") if isinstance(match.get("tags"), dict) else {}
    flat.update({f"tags.{k}": str(v) for k, v in tags.items()})
    return flat


def _check_pools(node: yaml.Node, problem, known_teams: set[str] | None) -> None:  # noqa: ANN001
    if not isinstance(node, yaml.SequenceNode):
        return
    from decimal import Decimal, InvalidOperation

    for number, entry in enumerate(node.value, start=1):
        fields = _key_nodes(entry)
        for name, (key, _) in fields.items():
            if name not in POOL_KEYS:
                problem(key, f"pools[{number}].{name}", f"unknown key; use {', '.join(POOL_KEYS)}")
        if "shares" not in fields:
            continue
        total = Decimal(0)
        for team_key, value in _key_nodes(fields["shares"][1]).values():
            team = str(team_key.value)
            if known_teams is not None and team not in known_teams:
                problem(team_key, f"pools[{number}].shares.{team}",
                        f"unknown team {team!r}; the parties in force name "
                        f"{', '.join(sorted(known_teams)) or 'no teams'}")
            try:
                total += Decimal(str(value.value).rstrip("%"))
            except InvalidOperation:
                problem(value, f"pools[{number}].shares.{team}",
                        f"{value.value!r} is not a percentage")
        if total != 100:
            problem(fields["shares"][1], f"pools[{number}].shares",
                    f"shares sum to {total}%, not 100%")
