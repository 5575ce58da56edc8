"""The usage-event contract: each bad field is named, with what to do about it."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from billing.ledger.usage_event import InvalidEvent, validate

UTC_ZONE = ZoneInfo("UTC")
GOOD = {
    "event_id": "evt-1",
    "occurred_at": "2026-10-31T23:30:00-02:00",
    "team": "support",
    "use_case": "support-copilot",
    "provider": "openai",
    "model": "gpt-4o-mini",
    "input_tokens": 1200,
    "output_tokens": 300,
}


def test_a_good_event_becomes_a_ledger_row_in_the_billing_time_zone():
    row = validate(GOOD, UTC_ZONE)
    assert row["occurred_at"] == datetime(2026, 11, 1, 1, 30, tzinfo=UTC)
    assert row["period"] == "2026-11"
    assert row["usage_date"] == date(2026, 11, 1)
    assert row["environment"] == "production"
    assert row["requests"] == 1
    assert row["cached_input_tokens"] == 0
    berlin = validate(GOOD, ZoneInfo("America/Sao_Paulo"))
    assert berlin["period"] == "2026-10"


def test_the_same_event_written_differently_has_the_same_content_hash():
    other = dict(GOOD, occurred_at="2026-11-01T01:30:00Z", input_tokens="1200")
    assert validate(other, UTC_ZONE)["content_hash"] == validate(GOOD, UTC_ZONE)["content_hash"]
    changed = dict(GOOD, output_tokens=301)
    assert validate(changed, UTC_ZONE)["content_hash"] != validate(GOOD, UTC_ZONE)["content_hash"]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"occurred_at": "yesterday"}, "occurred_at", "not an RFC 3339 timestamp"),
        ({"occurred_at": "2026-10-01T10:00:00"}, "occurred_at", "no time zone"),
        ({"occurred_at": None}, "occurred_at", "required"),
        ({"input_tokens": -5}, "input_tokens", ">= 0"),
        ({"output_tokens": "many"}, "output_tokens", "integer"),
        ({"output_tokens": None}, "output_tokens", "required"),
        ({"output_tokens": 1.5}, "output_tokens", "integer"),
        ({"output_tokens": True}, "output_tokens", "boolean"),
        ({"requests": 0}, "requests", ">= 1"),
        ({"model": ""}, "model", "required"),
        ({"model": 42}, "model", "string"),
        ({"event_id": ""}, "event_id", "required"),
        ({"event_id": "x" * 201}, "event_id", "at most 200"),
        ({"environment": "Prod!"}, "environment", "lower case letters"),
        ({"tier": "platinum"}, "tier", "good, better, best"),
        ({"tags": ["a"]}, "tags", "object"),
        ({"tags": {"owner": 7}}, "tags.owner", "string"),
        ({"colour": "blue"}, "colour", "unknown field"),
    ],
)
def test_each_bad_field_is_named_with_what_is_expected(change, field, words):
    with pytest.raises(InvalidEvent) as caught:
        validate({**GOOD, **change}, UTC_ZONE)
    assert caught.value.field == field
    assert words in caught.value.message


def test_missing_model_is_rejected():
    event = dict(GOOD)
    del event["model"]
    with pytest.raises(InvalidEvent, match="model is required"):
        validate(event, UTC_ZONE)


def test_an_event_without_team_is_kept_as_unattributed():
    event = {k: v for k, v in GOOD.items() if k not in ("team", "use_case")}
    row = validate(event, UTC_ZONE)
    assert row["team"] is None and row["use_case"] is None
