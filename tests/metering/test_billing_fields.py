"""The usage event's billing fields (call_status, service_tier, reported_cost) and the card's
service-tier prices: checked per field, and invisible to what was stored before them."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest

from billing.ledger.usage_event import _HASHED, InvalidEvent, validate
from ratecards import CardValidationError, diff_versions, load_card, quote

UTC = ZoneInfo("UTC")
EVENT = {"event_id": "e1", "occurred_at": "2026-10-05T12:00:00Z", "model": "gpt-4o-mini",
         "input_tokens": 10, "output_tokens": 5}
CARDS = Path(__file__).parents[2] / "ratecards" / "cards"
SHIPPED_HASHES = {  # as published with the capacity of the self-hosted model (issue 18)
    "external-2026-10.yaml": "6c42f82e297de3e78ed1a1e8c6c1fb79da99491ce6271854756c3a9d3cd3decd",
    "internal-2026-10.yaml": "938b405c01c20c0fda388f4907be33e4e5ea6167ca8bafbe9ae328af7366b45c",
    "internal-2026-11.yaml": "37f9b108cf98f4292f05429adfb5b102721ebab87cb3c02969a49222b40f5f00",
}


def test_an_event_without_billing_fields_keeps_the_fingerprint_it_was_stored_with():
    row = validate(EVENT, UTC)
    assert (row["call_status"], row["service_tier"], row["reported_cost_nanos"]) == (
        "ok", "standard", 0)
    assert row["content_hash"] == hashlib.sha256(orjson.dumps(_HASHED(row))).hexdigest()
    assert validate({**EVENT, "call_status": "cache_hit"}, UTC)["content_hash"] != \
        row["content_hash"]


@pytest.mark.parametrize(("field", "value"), [
    ("call_status", "timeout"), ("service_tier", "scale"), ("reported_cost", "-1"),
    ("reported_cost", "abc"), ("reported_cost", True), ("reported_cost", "1e400"),
])
def test_bad_billing_fields_are_refused_by_name(field, value):  # noqa: ANN001
    with pytest.raises(InvalidEvent) as caught:
        validate({**EVENT, field: value}, UTC)
    assert caught.value.field == field


def test_reported_cost_is_kept_to_the_nano_dollar():
    assert validate({**EVENT, "reported_cost": 0.00022500000000000002}, UTC)[
        "reported_cost_nanos"] == 225_000
    assert validate({**EVENT, "reported_cost": "0.04"}, UTC)["reported_cost_nanos"] == 40_000_000


def test_shipped_cards_keep_their_published_hash():
    for name, digest in SHIPPED_HASHES.items():
        assert load_card((CARDS / name).read_text(), name).content_hash == digest


def test_a_card_prices_batch_per_model_and_names_a_bad_key():
    text = (CARDS / "internal-2026-11.yaml").read_text().replace(
        'gpt-4o-mini: {provider: openai, input: "0.15", output: "0.60", cached_input: "0.075"}',
        'gpt-4o-mini: {provider: openai, input: "0.15", output: "0.60", cached_input: "0.075",'
        ' batch: {input: "0.075", output: "0.30", cached_input: "0.0375"}}', 1)
    card = load_card(text, "batch.yaml")
    assert card.content_hash != SHIPPED_HASHES["internal-2026-11.yaml"]
    priced = quote(card, "gpt-4o-mini", input_tokens=1_000_000, output_tokens=0,
                   service_tier="batch")
    assert (priced.service_tier, priced.input_price) == ("batch", card.tiers["good"].models[
        "gpt-4o-mini"].service_tiers["batch"].input)
    assert quote(card, "gpt-4o-mini", input_tokens=1, output_tokens=0,
                 service_tier="flex").service_tier == "standard"
    with pytest.raises(CardValidationError, match="batch.outputs"):
        load_card(text.replace('batch: {input: "0.075", output:', 'batch: {input: "0.075", '
                               'outputs:'), "bad.yaml")


def test_a_diff_shows_service_tier_prices():
    plain = load_card((CARDS / "internal-2026-11.yaml").read_text(), "a.yaml")
    text = (CARDS / "internal-2026-11.yaml").read_text().replace(
        'gpt-4o-mini: {provider: openai, input: "0.15", output: "0.60", cached_input: "0.075"}',
        'gpt-4o-mini: {provider: openai, input: "0.15", output: "0.60", cached_input: "0.075",'
        ' batch: {input: "0.075", output: "0.30", cached_input: "0.0375"}}', 1)
    changes = diff_versions(plain, load_card(text, "b.yaml"))
    assert {(c.kind, c.model, c.field, c.new) for c in changes} == {
        ("added", "gpt-4o-mini", "batch.input", Decimal("0.075")),
        ("added", "gpt-4o-mini", "batch.output", Decimal("0.30")),
        ("added", "gpt-4o-mini", "batch.cached_input", Decimal("0.0375")),
        ("added", "gpt-4o-mini", "batch.cache_write_input", Decimal("0.075")),
    }
