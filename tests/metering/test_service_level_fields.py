"""The service-level fields of a usage event (latency_ms, status; read by billing/budgets/slo.py):
how each is read, the field and message of each refusal, and their part in the content hash,
so a resend that changes them is a conflict and one that only names the defaults is not."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from billing.ledger.metering import ingest_lines
from billing.ledger.usage_event import STATUSES, InvalidEvent, validate

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
EVENT = {"event_id": "e-1", "occurred_at": "2026-10-05T10:00:00Z", "model": "gpt-4o-mini",
         "input_tokens": 10, "output_tokens": 5}
ZONE = ZoneInfo("UTC")


def _refused(**changes: object) -> tuple[str | None, str]:
    with pytest.raises(InvalidEvent) as refused:
        validate({**EVENT, **changes}, ZONE, now=NOW)
    return refused.value.field, refused.value.message


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), ("", None), (0, 0), (850, 850), ("900", 900), (" 900 ", 900), (12.5, 12),
    (12.6, 13), (3_600_000, 3_600_000), ("3600000.0", 3_600_000)])
def test_latency_is_read_as_whole_milliseconds(value: object, expected: int | None):
    """An empty CSV cell is "not reported", like a missing field."""
    assert validate({**EVENT, "latency_ms": value}, ZONE, now=NOW)["latency_ms"] == expected


@pytest.mark.parametrize(("value", "message"), [
    ("fast", "latency_ms must be a number of milliseconds like 850, got 'fast'"),
    (True, "latency_ms must be a number of milliseconds like 850, got True"),
    ([1], "latency_ms must be a number of milliseconds like 850, got [1]"),
    ("NaN", "latency_ms must be a number of milliseconds like 850, got 'NaN'"),
    (-1, "latency_ms must be >= 0 milliseconds, got -1"),
    ("-0.5", "latency_ms must be >= 0 milliseconds, got '-0.5'"),
    (3_600_001, "latency_ms 3600001 is more than an hour (3600000 ms); send milliseconds, "
                "not microseconds"),
])
def test_a_latency_refused_names_its_field_and_says_what_to_send(value: object, message: str):
    assert _refused(latency_ms=value) == ("latency_ms", message)
    # the same on the full path (a billing field sends the event there)
    assert _refused(latency_ms=value, call_status="ok") == ("latency_ms", message)


@pytest.mark.parametrize("status", [*STATUSES, " ok", "timeout "])
def test_every_listed_status_is_kept(status: str):
    assert validate({**EVENT, "status": status}, ZONE, now=NOW)["status"] == status.strip()


@pytest.mark.parametrize(("value", "message"), [
    ("OK", "status 'OK' is not one of ok, error, rate_limited, timeout, refused"),
    ("failed", "status 'failed' is not one of ok, error, rate_limited, timeout, refused"),
    (1, "status must be a string, got int"),
    (["ok"], "status must be a string, got list"),
])
def test_a_status_refused_names_its_field_and_lists_the_statuses(value: object, message: str):
    assert _refused(status=value) == ("status", message)
    assert _refused(status=value, service_tier="standard") == ("status", message)


SERVICE = [{"latency_ms": 850}, {"status": "timeout"}, {"latency_ms": 0, "status": "ok"}]


@pytest.mark.parametrize("service", SERVICE, ids=["latency", "status", "both"])
def test_naming_the_default_billing_fields_leaves_the_hash_of_a_service_event(service: dict):
    """A sender that starts spelling out `call_status: ok` resends the same events: each must
    stay a duplicate, whichever path (plain or with billing fields) computed its hash."""
    plain = validate({**EVENT, **service}, ZONE, now=NOW)
    named = validate({**EVENT, **service, "call_status": "ok", "service_tier": "standard"},
                     ZONE, now=NOW)
    assert named["content_hash"] == plain["content_hash"]
    bare = validate(EVENT, ZONE, now=NOW)
    assert plain["content_hash"] != bare["content_hash"]


@pytest.mark.parametrize(("first", "resent"), [
    ({"latency_ms": 850}, {"latency_ms": 851}),
    ({"latency_ms": 850}, {}),
    ({"status": "ok"}, {"status": "error"}),
    ({"status": "ok"}, {}),
    ({"latency_ms": 850, "status": "ok"}, {"latency_ms": 850, "status": "timeout"}),
], ids=["latency", "latency-dropped", "status", "status-dropped", "status-of-both"])
@pytest.mark.parametrize("billing", [{}, {"service_tier": "batch"}], ids=["plain", "batch"])
def test_a_resend_that_changes_a_service_field_is_a_conflict(engine, first: dict, resent: dict,
                                                              billing: dict):
    ingest_lines(engine, [json.dumps({**EVENT, **billing, **first})], zone=ZONE)
    changed = ingest_lines(engine, [json.dumps({**EVENT, **billing, **resent})], zone=ZONE)
    assert (changed.accepted, changed.duplicates, changed.rejected) == (0, 0, 1)
    assert [error.field for error in changed.errors] == ["event_id"]
    same = ingest_lines(engine, [json.dumps({**EVENT, **billing, **first})], zone=ZONE)
    assert (same.accepted, same.duplicates, same.rejected) == (0, 1, 0)
