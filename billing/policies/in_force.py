"""The policies a period is priced and closed with: the published versions in force for it.

Policies live only in the database (`billing policy publish`); nothing is read from the working
directory or a settings path. A kind with no version in force for a period is empty (no pools,
no rules, no registered parties or use cases) and says `none` in `versions`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from billing.parties import Registry, load_registry
from billing.policies.registry import in_force, published_versions
from billing.rating.attribution import RuleSet, load_rules
from billing.rating.capacity_rating import idle_capacity_pools
from billing.rating.model_aliases import NO_ALIASES, AliasesFor, ModelAliases, load_aliases
from billing.rating.overhead import Pool, load_pools
from billing.use_cases import UseCase, load_use_cases


@dataclass(frozen=True)
class PeriodPolicies:
    period: str
    pools: list[Pool]
    registry: Registry
    use_cases: dict[str, UseCase]
    rules: RuleSet = RuleSet("none")
    versions: dict[str, str] = field(default_factory=dict)
    """kind -> `kind@version` of the published version used, or `none`."""


def policies_for(engine: Engine, period: str) -> PeriodPolicies:
    """Attribution rules, overhead pools, parties and use cases in force for `period`; the
    pools include the idle capacity a capacity card holds centrally (billing.rating
    .capacity_rating), as its rated lines give it."""
    published = published_versions(engine)
    versions: dict[str, str] = {}

    def pick(kind: str, loader, empty):  # noqa: ANN001, ANN202
        document = in_force([v for v in published if v.kind == kind], period)
        if document is None:
            versions[kind] = "none"
            return empty
        versions[kind] = document.ref
        return loader(document.source, document.filename)

    pools = pick("overhead", load_pools, [])
    with engine.connect() as connection:
        pools = [*pools, *idle_capacity_pools(connection, period)]
    registry = pick("parties", load_registry, Registry())
    use_cases = pick("use_cases", load_use_cases, {})
    rules = _rules(published, period)
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
    """A version as a document prints it."""
    return ref if "@" in ref else f"{kind}: none"


def attribution_rules_for(engine: Engine) -> Callable[[str], RuleSet]:
    """`period -> RuleSet`: the attribution rules in force for each period rating meets, with
    the version every rated line records."""
    published = [v for v in published_versions(engine) if v.kind == "attribution"]
    return lambda period: _rules(published, period)


def model_aliases_for(engine: Engine) -> AliasesFor:
    """`period -> ModelAliases`: the shared model-alias table in force for each period rating
    meets, for every card."""
    published = [v for v in published_versions(engine) if v.kind == "model_aliases"]

    def lookup(period: str) -> ModelAliases:
        document = in_force(published, period)
        if document is None:
            return NO_ALIASES
        return ModelAliases(document.ref, load_aliases(document.source, document.filename))

    return lookup


def _rules(published, period: str) -> RuleSet:  # noqa: ANN001
    document = in_force([v for v in published if v.kind == "attribution"], period)
    if document is None:
        return RuleSet("none")
    return RuleSet(document.ref, tuple(load_rules(document.source, document.filename)))
