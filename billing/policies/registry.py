"""The policy registry: published policy versions, stored once, never edited.

Modelled on the rate-card registry. Publishing validates a document against the versions of
its kind already published (no two in force in one month) and the parties in force (a pool's
shares name known teams), stores its exact text with a content hash, who published it and
why. The same document again is a no-op; another document under a published version is
refused. Rating, the close and every report read the version in force for their period here.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, select

from billing.models import PeriodClose, PolicyVersionRow
from billing.policies.document import (
    KINDS,
    PolicyValidationError,
    PolicyVersion,
    Problem,
    content_hash,
    parse,
)

table = PolicyVersionRow.__table__


class PublishRefused(ValueError):
    """A publish that would change history; the message says what to do instead."""


class UnknownPolicy(LookupError):
    pass


@dataclass(frozen=True)
class PublishResult:
    status: str  # published | unchanged
    kind: str
    version: str
    content_hash: str
    effective_from: str
    effective_to: str | None

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def closed_periods(engine: Engine) -> frozenset[str]:
    closes = PeriodClose.__table__
    with engine.connect() as connection:
        return frozenset(connection.execute(select(closes.c.period)).scalars())


def published_versions(engine: Engine, kind: str | None = None) -> list[PolicyVersion]:
    """Published versions (of one kind, or all), oldest first."""
    query = select(table).order_by(table.c.kind, table.c.effective_from, table.c.id)
    if kind is not None:
        query = query.where(table.c.kind == kind)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [PolicyVersion(row["kind"], row["version"], row["effective_from"],
                          row["effective_to"], row["content_hash"], row["source"],
                          row["filename"]) for row in rows]


def publication(engine: Engine, kind: str, version: str) -> dict[str, Any]:
    """Who published a version, when and why, with its hash."""
    query = select(table).where(table.c.kind == kind, table.c.version == version)
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    if row is None:
        raise UnknownPolicy(f"no published version {version!r} of policy {kind!r}; "
                            "see `billing policy list`")
    return dict(row)


def listing(engine: Engine) -> list[dict[str, Any]]:
    """One row per published version, as the CLI and the API list them."""
    rows = []
    for document in published_versions(engine):
        meta = publication(engine, document.kind, document.version)
        rows.append({"kind": document.kind, "version": document.version,
                     "effective_from": document.effective_from,
                     "effective_to": document.effective_to,
                     "content_hash": document.content_hash,
                     "published_by": meta["published_by"],
                     "published_at": meta["published_at"].isoformat(),
                     "change_note": meta["change_note"]})
    return rows


def get_version(engine: Engine, kind: str, version: str | None = None) -> PolicyVersion:
    """A published version, or the newest one of the kind when no version is given."""
    if kind not in KINDS:
        raise UnknownPolicy(f"{kind!r} is not a policy kind; kinds are {', '.join(KINDS)}")
    versions = published_versions(engine, kind)
    if not versions:
        raise UnknownPolicy(f"no {kind} policy is published; see `billing policy publish`")
    if version is None:
        return max(versions, key=lambda v: (v.effective_from, v.version))
    for candidate in versions:
        if candidate.version == version:
            return candidate
    known = ", ".join(v.version for v in versions)
    raise UnknownPolicy(f"policy {kind!r} has no version {version!r}; published: {known}")


def in_force(versions: list[PolicyVersion], period: str) -> PolicyVersion | None:
    """The version in force in a month: the latest-starting one whose period covers it; of two
    starting in the same month, the later published (`versions` is in published order)."""
    covering = [v for v in versions if v.in_force(period)]
    return max(reversed(covering), key=lambda v: v.effective_from) if covering else None


def version_for(engine: Engine, kind: str, period: str) -> PolicyVersion | None:
    """The published version of a kind in force in a period; None when none is."""
    return in_force(published_versions(engine, kind), period)


def overlaps(document: PolicyVersion, published: list[PolicyVersion],
             closed: frozenset[str] = frozenset()) -> list[Problem]:
    """Periods this document would share with a published version of its kind.

    An open-ended version is closed by the next one to start; a bounded one owns its months.
    An open-ended version starting in the same open month as another open-ended one replaces
    it from that month (an amendment, as `billing overhead set` publishes); a month that is
    closed keeps the versions it was closed with, so no new version may be in force in it."""
    problems = []
    shut = sorted(month for month in closed if document.in_force(month))
    if shut:
        problems.append(Problem(
            document.filename, _header_line(document.source), "effective_from",
            f"{shut[0]} is closed and keeps the policies it was closed with: start this "
            f"version after the last closed month ({max(closed)})"))
    for other in published:
        if other.kind != document.kind or other.version == document.version:
            continue
        if other.effective_from == document.effective_from and \
                other.effective_to is None and document.effective_to is None:
            continue
        if other.effective_from == document.effective_from:
            clash = f"starts in {other.effective_from} as {other.ref} does"
        elif other.effective_to is not None and \
                other.effective_from < document.effective_from <= other.effective_to:
            clash = (f"starts in {document.effective_from}, inside {other.ref} "
                     f"({other.effective_from}..{other.effective_to})")
        elif document.effective_from < other.effective_from and (
                document.effective_to is None or document.effective_to >= other.effective_from):
            clash = (f"runs into {other.ref}, in force from {other.effective_from}; give "
                     "effective_to before it or start after it")
        else:
            continue
        problems.append(Problem(document.filename, _header_line(document.source), "effective_from",
                                f"overlapping periods: {clash}"))
    return problems


def _header_line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("effective_from"):
            return number
    return 1


def known_teams(engine: Engine, period: str) -> set[str] | None:
    """Teams named by the parties in force (None when no parties are published: unchecked)."""
    parties = version_for(engine, "parties", period)
    if parties is None:
        return None
    return {str(team) for team in (parties.body().get("teams") or {})}


def validate(engine: Engine | None, text: str, filename: str) -> list[Problem]:
    """Every problem of a document, against what is published when an engine is given."""
    try:
        header = yaml.safe_load(text)
    except yaml.YAMLError:
        header = None
    period = header.get("effective_from") if isinstance(header, dict) else None
    teams = known_teams(engine, str(period)) if engine is not None and period else None
    document, problems = parse(text, filename, known_teams=teams)
    if document is None or engine is None:
        return problems
    return overlaps(document, published_versions(engine, document.kind), closed_periods(engine))


def publish(engine: Engine, text: str, filename: str, *, published_by: str | None = None,
            change_note: str = "") -> PublishResult:
    """Publish one policy version; nothing is stored when any problem is found."""
    problems = validate(None, text, filename)
    if problems:
        raise PolicyValidationError(problems)
    document, _ = parse(text, filename)
    assert document is not None
    existing = published_versions(engine, document.kind)
    same = next((v for v in existing if v.version == document.version), None)
    if same is not None:
        if same.content_hash == document.content_hash:
            return _result("unchanged", same)
        raise PublishRefused(
            f"{filename}: version {document.version} of the {document.kind} policy is already "
            f"published with other content (hash {same.content_hash[:12]}, this file "
            f"{document.content_hash[:12]}); published versions never change: give this file "
            "a new version and its own effective period")
    problems = validate(engine, text, filename)
    if problems:
        raise PolicyValidationError(problems)
    with engine.begin() as connection:
        connection.execute(table.insert().values(
            kind=document.kind, version=document.version,
            effective_from=document.effective_from, effective_to=document.effective_to,
            content_hash=document.content_hash, source=text, filename=filename,
            published_by=published_by or _who(), change_note=change_note,
            published_at=datetime.now(UTC)))
    return _result("published", document)


def _result(status: str, document: PolicyVersion) -> PublishResult:
    return PublishResult(status, document.kind, document.version, document.content_hash,
                         document.effective_from, document.effective_to)


LEGACY_FILES = {"attribution": "attribution.yaml", "overhead": "overhead.yaml",
                "parties": "registry.yaml", "use_cases": "use_cases.yaml"}


def import_legacy(engine: Engine, paths: dict[str, Path], *, effective_from: str,
                  published_by: str | None = None) -> list[PublishResult]:
    """Publish the YAML files of the old working-directory lookup once, each as version
    `imported-<hash>` in force from `effective_from`; again: nothing to do."""
    results = []
    for kind in KINDS:
        path = paths.get(kind)
        if path is None or not path.is_file():
            continue
        body = path.read_text(encoding="utf-8")
        document = yaml.safe_load(body) or {}
        digest = content_hash({"kind": kind, **document})[:12]
        existing = [v for v in published_versions(engine, kind)
                    if v.version == f"imported-{digest}"]
        if existing:
            results.append(_result("unchanged", existing[0]))
            continue
        text = (f"kind: {kind}\nversion: imported-{digest}\neffective_from: \"{effective_from}\"\n"
                + body)
        results.append(publish(engine, text, str(path), published_by=published_by,
                               change_note=f"imported from {path}"))
    return results


def policy_dict(document: PolicyVersion) -> dict[str, Any]:
    return {"kind": document.kind, "version": document.version,
            "effective_from": document.effective_from, "effective_to": document.effective_to,
            "content_hash": document.content_hash, "filename": document.filename,
            "body": document.body()}


def diff(a: PolicyVersion, b: PolicyVersion) -> list[dict[str, Any]]:
    """What changed between two versions, field by field (dotted paths)."""
    left, right = _paths(a.body()), _paths(b.body())
    changes = []
    for path in sorted(set(left) | set(right)):
        old, new = left.get(path), right.get(path)
        if path not in left:
            changes.append({"kind": "added", "field": path, "old": None, "new": new})
        elif path not in right:
            changes.append({"kind": "removed", "field": path, "old": old, "new": None})
        elif old != new:
            changes.append({"kind": "changed", "field": path, "old": old, "new": new})
    return changes


def _paths(value: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((_label(item, index), item) for index, item in enumerate(value))
    else:
        return {prefix: str(value)}
    result: dict[str, str] = {}
    for key, item in items:
        result.update(_paths(item, f"{prefix}.{key}" if prefix else str(key)))
    return result


def _label(item: Any, index: int) -> str:
    return f"[{item['name']}]" if isinstance(item, dict) and "name" in item else f"[{index}]"


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001  (no login name in some containers)
        return "unknown"
