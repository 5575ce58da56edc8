"""The policies a period is closed with: the published versions in force for it.

A kind with no published version in force for the period still comes from the file the
settings name (the old lookup), and says so in `versions`; that fallback goes when every
consumer reads only published versions (issue 15).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from billing.config import Settings
from billing.parties import Registry, load_registry, load_registry_file
from billing.policies.registry import in_force, published_versions
from billing.rating.attribution import RuleSet, load_rules, load_rules_file
from billing.rating.overhead import Pool, load_pools, load_pools_file
from billing.use_cases import UseCase, load_use_cases, load_use_cases_file


@dataclass(frozen=True)
class PeriodPolicies:
    period: str
    pools: list[Pool]
    registry: Registry
    use_cases: dict[str, UseCase]
    rules: RuleSet = RuleSet("none")
    versions: dict[str, str] = field(default_factory=dict)
    """kind -> `kind@version` of the published version used, or `file:PATH` (or `none`)."""


def policies_for(engine: Engine, config: Settings, period: str) -> PeriodPolicies:
    """Overhead pools, parties and use cases in force for `period`."""
    published = published_versions(engine)
    versions: dict[str, str] = {}

    def pick(kind: str, loader, file_loader, path: Path):  # noqa: ANN001, ANN202
        document = in_force([v for v in published if v.kind == kind], period)
        if document is not None:
            versions[kind] = document.ref
            return loader(document.source, document.filename)
        versions[kind] = f"file:{path}" if path.exists() else "none"
        return file_loader(path)

    pools = pick("overhead", load_pools, load_pools_file, config.overhead_pools)
    registry = pick("parties", load_registry, load_registry_file, config.registry)
    use_cases = pick("use_cases", load_use_cases, load_use_cases_file, config.use_cases)
    rules = attribution_rules_for(engine, config)(period)
    versions["attribution"] = rules.version
    return PeriodPolicies(period, pools, registry, use_cases, rules, versions)


def document_versions(versions: dict[str, str], kinds: tuple[str, ...],
                      rules_versions: tuple[str, ...] = ()) -> tuple[str, ...]:
    """What a document prints and stores as the policies it was built with: `kind@version`
    for a published version, `kind: none` when nothing was in force. The attribution version is
    the one its rated lines carry (`rules_versions`), which the close has made the one in force.
    """
    refs: list[str] = []
    for kind in kinds:
        found = (sorted(rules_versions) if kind == "attribution" and rules_versions
                 else [versions.get(kind, "none")])
        refs += [shown_ref(kind, ref) for ref in found]
    return tuple(refs)


def shown_ref(kind: str, ref: str) -> str:
    """A version as a document prints it: never a server path."""
    if "@" in ref:
        return ref
    return f"{kind}: {'unpublished file' if ref.startswith('file:') else 'none'}"


def attribution_rules_for(engine: Engine, config: Settings):  # noqa: ANN201
    """`period -> RuleSet`: the attribution rules in force for each period rating meets, with
    the version every rated line records."""
    published = [v for v in published_versions(engine) if v.kind == "attribution"]

    def lookup(period: str) -> RuleSet:
        document = in_force(published, period)
        if document is not None:
            return RuleSet(document.ref, tuple(load_rules(document.source, document.filename)))
        path = config.attribution_rules
        return RuleSet(f"file:{path}" if path.exists() else "none",
                       tuple(load_rules_file(path)))
    return lookup
