"""Publishing: stored once with hash, author and note; never edited, not even by SQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from billing.rating.card_registry import (
    PublishRefused,
    get_version,
    publication,
    publish,
    published_versions,
)

CARD = """\
card: {name}
version: "{version}"
effective_from: {effective}
currency: EUR
tiers:
  good:
    description: small
    slo: {{p95_latency_ms: 2000, availability: "99.5%"}}
    markup: "{markup}"
    per_request_fee: "0"
    models:
      m-small: {{provider: mistral, input: "0.10", output: "0.30", cached_input: "0.10"}}
"""


@pytest.fixture
def name() -> str:
    return f"t{uuid.uuid4().hex[:8]}"  # published versions cannot be deleted: a fresh card


def test_publish_is_once_and_the_hash_never_changes(engine, name):
    first = publish(engine, CARD.format(name=name, version="1", effective="2026-10-01",
                                        markup="0.10"), "a.yaml", published_by="ana",
                    change_note="first")
    assert first.status == "published"
    again = publish(engine, "# same card, new comment\n" + CARD.format(
        name=name, version="1", effective="2026-10-01", markup="0.10"), "a.yaml")
    assert again.status == "unchanged" and again.content_hash == first.content_hash
    with pytest.raises(PublishRefused, match="already published with other content"):
        publish(engine, CARD.format(name=name, version="1", effective="2026-10-01",
                                    markup="0.20"), "a.yaml")
    meta = publication(engine, name, "1")
    assert (meta["published_by"], meta["change_note"]) == ("ana", "first")
    assert get_version(engine, name, "1").content_hash == first.content_hash


def test_a_new_version_must_take_effect_after_the_one_in_force(engine, name):
    publish(engine, CARD.format(name=name, version="1", effective="2026-10-01", markup="0.1"),
            "a.yaml")
    with pytest.raises(PublishRefused, match="earlier than"):
        publish(engine, CARD.format(name=name, version="2", effective="2026-09-01",
                                    markup="0.1"), "b.yaml")
    publish(engine, CARD.format(name=name, version="2", effective="2026-11-01", markup="0.2"),
            "b.yaml")
    assert [v.version for v in published_versions(engine, name)] == ["1", "2"]
    assert get_version(engine, name).version == "2"


@pytest.mark.parametrize("statement", [
    "UPDATE rate_card_version SET source = 'x' WHERE card = :name",
    "DELETE FROM rate_card_version WHERE card = :name",
])
def test_the_database_refuses_to_edit_a_published_version(engine, name, statement):
    publish(engine, CARD.format(name=name, version="1", effective="2026-10-01", markup="0.1"),
            "a.yaml")
    with pytest.raises(DBAPIError, match="immutable"), engine.begin() as connection:
        connection.execute(text(statement), {"name": name})
    assert len(published_versions(engine, name)) == 1
