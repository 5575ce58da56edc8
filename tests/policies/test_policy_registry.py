"""Policies are published like rate cards: once, hashed, with a period, never edited; a bad
document is refused with file, line and field and nothing is published."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from billing.policies.document import PolicyValidationError
from billing.policies.registry import (
    PublishRefused,
    diff,
    get_version,
    publication,
    publish,
    published_versions,
    validate,
    version_for,
)

OVERHEAD = """\
kind: overhead
version: "{version}"
effective_from: "{start}"
effective_to: "{end}"
pools:
  - name: platform
    amount: "{amount}"
    currency: USD
    driver: shares
    treatment: central
    shares: {{support: "60", search: "40"}}
"""


@pytest.fixture
def year() -> int:
    """Published versions cannot be deleted: each test takes a year no other test uses."""
    return random.randrange(3000, 9999)


def overhead(year: int, version: str, amount: str = "100.00", start: str = "01",
             end: str = "12") -> str:
    return OVERHEAD.format(version=f"{year}-{version}", start=f"{year}-{start}",
                           end=f"{year}-{end}", amount=amount)


def test_publish_is_once_and_the_hash_never_changes(engine, year):
    first = publish(engine, overhead(year, "a"), "overhead.yaml", published_by="ana",
                    change_note="first")
    assert first.status == "published"
    again = publish(engine, "# a comment\n" + overhead(year, "a"), "overhead.yaml")
    assert again.status == "unchanged" and again.content_hash == first.content_hash
    with pytest.raises(PublishRefused, match="already published with other content"):
        publish(engine, overhead(year, "a", amount="200.00"), "overhead.yaml")
    meta = publication(engine, "overhead", f"{year}-a")
    assert (meta["published_by"], meta["change_note"]) == ("ana", "first")
    assert get_version(engine, "overhead", f"{year}-a").content_hash == first.content_hash


def test_the_version_in_force_is_the_one_whose_period_covers_the_month(engine, year):
    publish(engine, overhead(year, "h1", amount="100.00", end="06"), "a.yaml")
    publish(engine, overhead(year, "h2", amount="250.00", start="07"), "b.yaml")
    assert version_for(engine, "overhead", f"{year}-03").version == f"{year}-h1"
    assert version_for(engine, "overhead", f"{year}-07").version == f"{year}-h2"
    assert version_for(engine, "overhead", f"{year + 1}-01") is None or \
        version_for(engine, "overhead", f"{year + 1}-01").version != f"{year}-h2"
    changes = diff(get_version(engine, "overhead", f"{year}-h1"),
                   get_version(engine, "overhead", f"{year}-h2"))
    assert {"kind": "changed", "field": "pools.[platform].amount", "old": "100.00",
            "new": "250.00"} in changes


def test_overlapping_periods_are_refused_and_nothing_is_published(engine, year):
    publish(engine, overhead(year, "a", end="06"), "a.yaml")
    with pytest.raises(PolicyValidationError) as refused:
        publish(engine, overhead(year, "b", start="05"), "b.yaml")
    problem = refused.value.problems[0]
    assert (problem.file, problem.line, problem.field) == ("b.yaml", 3, "effective_from")
    assert "overlapping" in problem.message
    assert [v.version for v in published_versions(engine, "overhead")
            if v.version.startswith(str(year))] == [f"{year}-a"]


@pytest.mark.parametrize(("document", "line", "field", "words"), [
    ("kind: overhead\nversion: v\neffective_from: '{y}-01'\nowner: me\npools: []\n",
     4, "owner", "unknown key"),
    ("kind: overhead\nversion: v\neffective_from: '{y}-01'\npools:\n"
     "  - {{name: p, amount: '1.00', currency: USD, driver: shares,\n"
     "     shares: {{support: '60', search: '30'}}}}\n", 6, "pools[1].shares", "not 100%"),
    ("kind: attribution\nversion: v\neffective_from: '{y}-01'\nrules:\n"
     "  - {{name: any key, match: {{api_key: k1}}, set: {{team: cx}}}}\n"
     "  - {{name: narrower, match: {{api_key: k1, model: m}}, set: {{team: cx}}}}\n",
     6, "rules[2].match", "can never match"),
    ("kind: attribution\nversion: v\neffective_from: '{y}-01'\nrules:\n"
     "  - {{name: r, match: {{colour: red}}, set: {{team: cx}}}}\n",
     5, "rules[1].match.colour", "unknown key"),
    ("kind: fees\nversion: v\neffective_from: '{y}-01'\n", 1, "kind", "not one of"),
    ("kind: overhead\nversion: v\neffective_from: '{y}-13'\npools: []\n",
     3, "effective_from", "not a month"),
])
def test_a_bad_document_names_file_line_and_field(engine, year, document, line, field, words):
    source = document.format(y=year)
    problems = validate(engine, source, "bad.yaml")
    assert any((p.file, p.line, p.field) == ("bad.yaml", line, field) and words in p.message
               for p in problems), problems
    before = len(published_versions(engine))
    with pytest.raises(PolicyValidationError):
        publish(engine, source, "bad.yaml")
    assert len(published_versions(engine)) == before


def test_an_unknown_team_in_a_pools_shares_is_refused(engine, year):
    publish(engine, f"kind: parties\nversion: '{year}-p'\neffective_from: '{year}-01'\n"
            f"effective_to: '{year}-12'\nteams:\n  support: {{locale: en_US}}\n", "parties.yaml")
    problems = validate(engine, overhead(year, "o"), "overhead.yaml")
    assert [(p.line, p.field) for p in problems] == [(11, "pools[1].shares.search")]
    assert "unknown team 'search'" in problems[0].message


@pytest.mark.parametrize("statement", [
    "UPDATE policy_version SET source = 'x' WHERE version = :version",
    "DELETE FROM policy_version WHERE version = :version",
])
def test_the_database_refuses_to_edit_a_published_version(engine, year, statement):
    publish(engine, overhead(year, "a"), "a.yaml")
    with pytest.raises(DBAPIError, match="immutable"), engine.begin() as connection:
        connection.execute(text(statement), {"version": f"{year}-a"})
    assert get_version(engine, "overhead", f"{year}-a").source == overhead(year, "a")
