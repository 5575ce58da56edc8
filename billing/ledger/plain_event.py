"""The typed decoder for plain events: one JSON line straight to its ledger tuple.

Most lines a gateway or an export writes are plain: known fields, integers as integers, no
billing fields, each key once. msgspec decodes such a line into typed fields and checks the
counts' bounds in C, which is several times cheaper than parsing to a dict and walking the
rules in Python. The decoder only ever says "this is the row" or "not sure": anything it does
not settle (a rejection, a string that needs trimming, a duplicate key, a billing field) goes
through the native reader and `usage_event.validate`, so rows and messages read the same.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import msgspec

from billing.ledger.usage_event import (
    EARLIEST,
    FUTURE_SLACK,
    MAX_LATENCY_MS,
    MAX_TEXT,
    InvalidEvent,
    _environment,
    _tags,
    _text,
    _text_field,
    plain_params,
)
from billing.period import FIRST_YEAR

_LIMIT = 2**62
_Count = Annotated[int, msgspec.Meta(ge=0, lt=_LIMIT)]
_Requests = Annotated[int, msgspec.Meta(ge=1, lt=_LIMIT)]
_Latency = Annotated[int, msgspec.Meta(ge=0, le=MAX_LATENCY_MS)]
_Id = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT)]
_Tier = Literal["good", "better", "best"]
_Status = Literal["ok", "error", "rate_limited", "timeout", "refused"]


class _Plain(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A plain event as typed fields; the labels come first, so the leading nine are the key
    of the labels already checked. Optional fields default to None, so a field sent is a
    field not None, and the keys a line holds can be counted."""

    team: str | None = None
    use_case: str | None = None
    customer: str | None = None
    provider: str | None = None
    prompt_version: str | None = None
    project: str | None = None
    environment: str | None = None
    tier: _Tier | None = None
    model: str | None = None
    event_id: _Id | None = None
    occurred_at: str | None = None
    input_tokens: _Count | None = None
    output_tokens: _Count | None = None
    cached_input_tokens: _Count | None = None
    cache_write_input_tokens: _Count | None = None
    requests: _Requests | None = None
    latency_ms: _Latency | None = None
    status: _Status | None = None
    tags: dict[str, str] | None = None


_FIELDS = len(_Plain.__struct_fields__)
_LABELS = 9
_decode = msgspec.json.Decoder(_Plain).decode
_astuple = msgspec.structs.astuple
_fromisoformat = datetime.fromisoformat
_checked: dict[tuple[Any, ...], tuple[Any, ...] | None] = {}
_checked_tags: dict[tuple[tuple[str, str], ...], str | None] = {}
MAX_CACHED = 100_000
_DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError)


def _labels(found: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The labels as `usage_event._validate` stores them, or None when a rule refuses one or
    the model is missing: checked once per combination (gateways send the same few)."""
    try:
        return _checked[found]
    except KeyError:
        pass
    team, use_case, customer, provider, prompt_version, project, environment, tier, model = found
    try:
        checked: tuple[Any, ...] | None = (
            _text_field(team, "team"), _text_field(use_case, "use_case"),
            _text_field(customer, "customer"), _text_field(provider, "provider"),
            _text_field(prompt_version, "prompt_version"), _text_field(project, "project"),
            _environment(environment), tier, _text(model, "model", required=True))
    except InvalidEvent:
        checked = None
    if len(_checked) >= MAX_CACHED:
        _checked.clear()
    _checked[found] = checked
    return checked


def _tags_text(tags: dict[str, str]) -> str | None:
    """The tags as the ledger stores them, or None when a tag name is refused: checked once
    per set of tags, as the tag names' rule walks every character."""
    key = tuple(tags.items())
    try:
        return _checked_tags[key]
    except KeyError:
        pass
    try:
        text: str | None = _tags(tags)
    except InvalidEvent:
        text = None
    if len(_checked_tags) >= MAX_CACHED:
        _checked_tags.clear()
    _checked_tags[key] = text
    return text


def _no_key_twice(line: str | bytes, event: _Plain, values: tuple[Any, ...]) -> bool:
    """True when no key can have been given twice (the decoder keeps the last silently).

    Without white space after a quote, every key in the text ends in `":`, so that count is
    at least the number of keys written; no more of them than fields decoded means none was
    repeated. A `":` inside a string only makes the count larger, sending the line to the
    full reader, which settles it."""
    if isinstance(line, bytes):
        if b'" ' in line or b'"\t' in line or b'"\n' in line or b'"\r' in line:
            return False
        written = line.count(b'":')
    else:
        if '" ' in line or '"\t' in line or '"\n' in line or '"\r' in line:
            return False
        written = line.count('":')
    decoded = _FIELDS - values.count(None)
    if event.tags:
        decoded += len(event.tags)
    return written <= decoded


def decode(line: str | bytes, zone: ZoneInfo, backfill: bool, now: datetime,
           batch_id: int | None = None) -> tuple[Any, ...] | None:
    """The ledger tuple of a plain event line (`usage_event.ledger_tuple`), exactly as the
    native reader and `usage_event.validate` make it (with `now` the clock the date window is
    measured against); None for anything else, which the caller sends through them."""
    try:
        event = _decode(line)
    except _DECODE_ERRORS:
        return None
    values = _astuple(event)
    labels = _checked.get(values[:_LABELS]) or _labels(values[:_LABELS])
    if labels is None or not _no_key_twice(line, event, values):
        return None
    (event_id, stamp, inputs, outputs, cached, cache_writes, requests, latency, status,
     tags) = values[_LABELS:]
    if event_id is None or event_id[0].isspace() or event_id[-1].isspace() \
            or stamp is None or inputs is None or outputs is None:
        return None
    try:
        moment = _fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None or not FIRST_YEAR < moment.year < 9999:
        return None
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    if not backfill and not EARLIEST <= utc <= now + FUTURE_SLACK:
        return None
    if tags:
        tags = _tags_text(tags)
        if tags is None:
            return None
    else:
        tags = None
    if cached is None:
        cached = 0
    if cache_writes is None:
        cache_writes = 0
    if requests is None:
        requests = 1
    return plain_params(event_id, utc, stamp, zone, labels, inputs, outputs, cached,
                        cache_writes, requests, latency, status, tags, batch_id)
