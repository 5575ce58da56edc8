"""Amending the overhead policy from a command: a new published version, never an edit.

`billing overhead set/remove` and the provider true-up change pools. Each change publishes the
pools in force for a month, changed, as a new version in force from that month, with who and
why; the version before keeps every earlier month. A month that is closed refuses the change
(the registry's rule), so a closed statement and the policy it names always agree.
"""

from __future__ import annotations

from collections.abc import Callable

import yaml
from sqlalchemy import Engine

from billing.period import Period
from billing.policies.registry import (
    PublishResult,
    closed_periods,
    publish,
    published_versions,
    version_for,
)
from billing.rating.overhead import Pool, load_pools, pool_to_dict

FIRST_MONTH = "2000-01"


def first_open_month(engine: Engine) -> str:
    """Where a change from a command starts by default: after the last closed month, so it
    reaches every month not yet closed (from the start when none is)."""
    closed = closed_periods(engine)
    return str(Period.parse(max(closed)).next()) if closed else FIRST_MONTH


def pools_in_force(engine: Engine, period: str) -> tuple[list[Pool], str]:
    """The pools in force in `period` and the version they come from (`none` if none)."""
    document = version_for(engine, "overhead", period)
    if document is None:
        return [], "none"
    return load_pools(document.source, document.filename), document.ref


def amend_pools(engine: Engine, period: str, change: Callable[[list[Pool]], list[Pool]], *,
                note: str, published_by: str | None = None) -> PublishResult | None:
    """Publish `change(pools in force)` as the overhead version in force from `period`;
    None, publishing nothing, when the change leaves the pools as they are."""
    current, _ = pools_in_force(engine, period)
    changed = change(current)
    if changed == current:
        return None
    taken = {v.version for v in published_versions(engine, "overhead")}
    number = 1
    while f"{period}.{number}" in taken:
        number += 1
    version = f"{period}.{number}"
    body = yaml.safe_dump({"pools": [pool_to_dict(pool) for pool in changed]}, sort_keys=False,
                          allow_unicode=True)
    text = (f"kind: overhead\nversion: \"{version}\"\neffective_from: \"{period}\"\n" + body)
    return publish(engine, text, f"overhead@{version}", published_by=published_by,
                   change_note=note)
