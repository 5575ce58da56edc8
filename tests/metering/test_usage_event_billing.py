"""The billing fields of the usage-event contract (call status, service tier, reported cost, the
1-hour cache writes) and the content hash that tells a resend from a conflict. Pure functions,
no database: these run per mutant in `make mutate`."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import orjson
import pytest

from billing.ledger.usage_event import InvalidEvent, content_hash, validate

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
EVENT = {"event_id": "e-1", "occurred_at": "2026-10-05T10:00:00Z", "model": "gpt-4o-mini",
         "input_tokens": 10, "output_tokens": 5}
DEFAULTS = {"call_status": "ok", "service_tier": "standard", "reported_cost_nanos": 0,
            "cache_write_1h_input_tokens": 0, "web_search_requests": 0}
BILLING = tuple(DEFAULTS)


def _valid(**changes) -> dict:  # noqa: ANN003
    return validate({**EVENT, **changes}, ZoneInfo("UTC"), now=NOW)


def _refused(**changes) -> tuple[str | None, str]:  # noqa: ANN003
    with pytest.raises(InvalidEvent) as refused:
        _valid(**changes)
    return refused.value.field, refused.value.message


def _billing(row: dict) -> dict:
    return {name: row[name] for name in BILLING}


def test_an_event_without_billing_fields_gets_the_defaults():
    assert _billing(_valid()) == DEFAULTS


@pytest.mark.parametrize(("field", "value", "stored"), [
    ("call_status", "cache_hit", {"call_status": "cache_hit"}),
    ("call_status", "failed", {"call_status": "failed"}),
    ("call_status", " ok ", {}),
    ("call_status", None, {}),
    ("call_status", "", {}),
    ("service_tier", "batch", {"service_tier": "batch"}),
    ("service_tier", "flex ", {"service_tier": "flex"}),
    ("service_tier", "priority", {"service_tier": "priority"}),
    ("service_tier", None, {}),
    ("reported_cost", "0.04", {"reported_cost_nanos": 40_000_000}),
    ("reported_cost", None, {}),
    ("cache_write_1h_input_tokens", 0, {}),
    ("cache_write_1h_input_tokens", None, {}),
])
def test_each_billing_field_alone_is_read_and_the_others_keep_their_defaults(field, value,
                                                                             stored):
    assert _billing(_valid(**{field: value})) == {**DEFAULTS, **stored}


def test_the_one_hour_cache_writes_are_part_of_the_cache_writes():
    row = _valid(cache_write_input_tokens=30, cache_write_1h_input_tokens=30)
    assert (row["cache_write_input_tokens"], row["cache_write_1h_input_tokens"]) == (30, 30)
    assert _valid(cache_write_input_tokens=30, cache_write_1h_input_tokens="29")[
        "cache_write_1h_input_tokens"] == 29
    assert _refused(cache_write_input_tokens=30, cache_write_1h_input_tokens=31) == (
        "cache_write_1h_input_tokens",
        "cache_write_1h_input_tokens (31) is the part of cache_write_input_tokens written for "
        "1 hour, so it cannot be more than cache_write_input_tokens (30)")
    assert _refused(cache_write_1h_input_tokens=-1) == (
        "cache_write_1h_input_tokens", "cache_write_1h_input_tokens must be >= 0, got -1")
    assert _refused(cache_write_1h_input_tokens="x") == (
        "cache_write_1h_input_tokens",
        "cache_write_1h_input_tokens must be an integer >= 0, got 'x'")


def test_a_call_status_or_service_tier_not_in_the_list_is_refused_with_the_list():
    assert _refused(call_status="cached") == (
        "call_status", "call_status 'cached' is not one of ok, cache_hit, failed")
    assert _refused(call_status=3) == ("call_status", "call_status must be a string, got int")
    assert _refused(service_tier="Batch") == (
        "service_tier", "service_tier 'Batch' is not one of standard, batch, flex, priority")
    assert _refused(service_tier=["batch"]) == (
        "service_tier", "service_tier must be a string, got list")


@pytest.mark.parametrize(("value", "nanos"), [
    ("0.04", 40_000_000),
    (" 0.04 ", 40_000_000),
    ("", 0),
    ("0", 0),
    (2, 2_000_000_000),
    (0.5, 500_000_000),
    ("1000000", 1_000_000_000_000_000),
    ("0.000000001", 1),
    # a fraction of a nano-dollar rounds half to even, once
    ("0.0000000005", 0),
    ("0.0000000015", 2),
    ("0.0000000014", 1),
])
def test_a_reported_cost_is_kept_to_the_nano_dollar(value, nanos):
    assert _valid(reported_cost=value)["reported_cost_nanos"] == nanos
    assert Decimal(str(value).strip() or "0") * 10**9 - nanos <= Decimal("0.5")


@pytest.mark.parametrize("value", ["-0.01", "1000000.000000001", "abc", "NaN", "Infinity",
                                   "-Infinity", 1e300])
def test_a_reported_cost_out_of_range_or_not_a_number_is_refused(value):
    assert _refused(reported_cost=value) == (
        "reported_cost", f"reported_cost {value!r} must be a decimal amount in USD from 0 to "
                         "1000000, like \"0.04\"")


@pytest.mark.parametrize("value", [True, False, ["0.04"], {"usd": 1}])
def test_a_reported_cost_of_another_type_is_refused(value):
    assert _refused(reported_cost=value) == (
        "reported_cost", f"reported_cost must be a decimal string in USD like \"0.04\", "
                         f"got {value!r}")


HASHED = ("event_id", "occurred_at", "team", "use_case", "customer", "environment", "provider",
          "model", "tier", "input_tokens", "output_tokens", "cached_input_tokens",
          "cache_write_input_tokens", "requests", "prompt_version", "tags")


def _independent_hash(row: dict) -> str:
    values = [row[name] for name in HASHED]
    if _billing(row) != DEFAULTS:
        values += [row[name] for name in BILLING]
    if row.get("project") is not None:
        values += ["project", row["project"]]
    return hashlib.sha256(orjson.dumps(values)).hexdigest()


def test_the_content_hash_is_the_hashed_fields_then_the_billing_fields_when_not_default():
    plain = _valid(team="t", tags={"a": "b"})
    assert plain["content_hash"] == _independent_hash(plain) == content_hash(plain)
    billed = _valid(call_status="failed", service_tier="flex", reported_cost="0.1",
                    cache_write_input_tokens=9, cache_write_1h_input_tokens=4)
    assert billed["content_hash"] == _independent_hash(billed) == content_hash(billed)
    # the billing fields at their defaults, sent or not, leave the hash as before they existed
    sent = _valid(call_status="ok", service_tier="standard", reported_cost="0",
                  cache_write_1h_input_tokens=0)
    assert sent["content_hash"] == _valid()["content_hash"]
    before = {name: value for name, value in _valid().items() if name not in BILLING}
    assert content_hash(before) == _valid()["content_hash"]


@pytest.mark.parametrize("change", [
    {"call_status": "cache_hit"}, {"call_status": "failed"}, {"service_tier": "batch"},
    {"reported_cost": "0.000000001"}, {"cache_write_1h_input_tokens": 1},
])
def test_each_billing_field_changes_the_content_hash(change):
    base = _valid(cache_write_input_tokens=1)
    changed = _valid(cache_write_input_tokens=1, **change)
    assert changed["content_hash"] != base["content_hash"]
    assert changed["content_hash"] == _independent_hash(changed)


@pytest.mark.parametrize(("value", "stored"), [(3, 3), (0, 0), (None, 0), ("12", 12)])
def test_web_search_requests_are_read_as_a_count_and_join_the_hash_when_not_zero(value, stored):
    row = _valid(web_search_requests=value)
    assert _billing(row) == {**DEFAULTS, "web_search_requests": stored}
    assert row["content_hash"] == _independent_hash(row) == content_hash(row)
    assert (row["content_hash"] == _valid()["content_hash"]) is (stored == 0)


@pytest.mark.parametrize("value", [-1, "x", 2**62, 1.5])
def test_web_search_requests_that_are_not_a_count_are_refused_by_name(value):
    field, message = _refused(web_search_requests=value)
    assert field == "web_search_requests"
    assert "web_search_requests" in message


@pytest.mark.parametrize("billing", [{}, {"call_status": "failed"}])
def test_a_project_joins_the_hash_on_both_paths_and_only_when_given(billing):
    plain = _valid(**billing)
    in_project = _valid(project="p1", **billing)
    other = _valid(project="p2", **billing)
    assert in_project["project"] == "p1"
    assert len({plain["content_hash"], in_project["content_hash"], other["content_hash"]}) == 3
    assert in_project["content_hash"] == content_hash(in_project)
    assert content_hash({**in_project, "project": None}) == plain["content_hash"]
    assert in_project["content_hash"] == _independent_hash(in_project)


@pytest.mark.parametrize(("stamp", "accepted"), [
    ("2000-01-01T00:00:00Z", True), ("1999-12-31T23:59:59Z", False),
    ("2026-11-03T12:00:00Z", True), ("2026-11-03T12:00:01Z", False),
    ("2026-11-02T13:00:00Z", True),
])
@pytest.mark.parametrize("path", [{}, {"call_status": "failed"}], ids=["common", "full"])
def test_the_window_is_2000_to_a_day_after_now_both_ends_included(stamp, accepted, path):
    if accepted:
        assert _valid(occurred_at=stamp, **path)["occurred_at"] == datetime.fromisoformat(stamp)
    else:
        assert _refused(occurred_at=stamp, **path)[0] == "occurred_at"
        row = validate({**EVENT, "occurred_at": stamp, **path}, ZoneInfo("UTC"), backfill=True,
                       now=NOW)
        assert row["occurred_at"] == datetime.fromisoformat(stamp)
