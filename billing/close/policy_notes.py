"""What the policies in force say beside a team's numbers: who owns its spend, what each of its
use cases counts and accepts, and which of its environments are production.

The statement prints these as given by the parties and use-cases policies of the period, so a
reader sees the owner and the rules the figures were judged by; nothing here changes money.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from billing.parties import Registry
from billing.policies.environments import EnvironmentClasses
from billing.policies.ownership import Raci
from billing.use_cases import UseCase
from invoices.documents import Ownership, UseCaseNote
from invoices.labels import labels


def ownership(raci: Raci | None) -> Ownership | None:
    if raci is None:
        return None
    return Ownership(raci.responsible, raci.accountable, raci.consulted, raci.informed)


def use_case_notes(names: Iterable[str | None], use_cases: Mapping[str, UseCase]
                   ) -> list[UseCaseNote]:
    """One note per use case named on the statement; an undeclared one is all "not defined"."""
    notes = []
    for name in sorted({name for name in names if name}):
        declared = use_cases.get(name)
        if declared is None:
            notes.append(UseCaseNote(name))
            continue
        outcome = declared.outcome
        notes.append(UseCaseNote(
            name, owner=declared.accountable,
            outcome=f"{outcome.name}: {outcome.start} → {outcome.end}" if outcome else None,
            acceptance_rule=outcome.quality_rule if outcome else None,
            guardrail=str(declared.guardrail) if declared.guardrail else None,
            ownership=ownership(declared.raci)))
    return notes


def production_environments(classes: EnvironmentClasses, environments: Iterable[str]
                            ) -> tuple[str, ...]:
    """The production environments the policy lists, and those of the lines it classifies
    production (by its default), so the statement can say which it counted."""
    seen = {name for name in environments if classes.is_production(name)}
    return tuple(sorted(classes.production | seen))


def unclassified(registry: Registry, environments: Iterable[str],
                 locale: str = "en_US") -> list[str]:
    """A change line for each environment the policy's `environments:` does not list, in
    the language of `locale`."""
    classes = registry.environments
    if classes == EnvironmentClasses():
        return []
    words = labels(locale)
    default = {"production": words.env_class_production,
               "non-production": words.env_class_non_production}.get(classes.default,
                                                                      classes.default)
    return [words.change_unlisted_env.format(environment=words.environment_name(name),
                                             default=default)
            for name in sorted(set(environments)) if not classes.listed(name)]
