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


_LABELS = 9
_decode = msgspec.json.Decoder(_Plain).decode
_astuple = msgspec.structs.astuple
_fromisoformat = datetime.fromisoformat
_checked: dict[tuple[Any, ...], tuple[tuple[Any, ...], int] | None] = {}
_checked_tags: dict[tuple[tuple[str, str], ...], str | None] = {}
MAX_CACHED = 100_000
_DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError)


def _labels(found: tuple[Any, ...]) -> tuple[tuple[Any, ...], int] | None:
    """The labels as `usage_event._validate` stores them and how many were written, or None
    when a rule refuses one or the model is missing: checked once per combination (gateways
    send the same few)."""
    try:
        return _checked[found]
    except KeyError:
        pass
    team, use_case, customer, provider, prompt_version, project, environment, tier, model = found
    try:
        checked: tuple[tuple[Any, ...], int] | None = ((
            _text_field(team, "team"), _text_field(use_case, "use_case"),
            _text_field(customer, "customer"), _text_field(provider, "provider"),
            _text_field(prompt_version, "prompt_version"), _text_field(project, "project"),
            _environment(environment), tier, _text(model, "model", required=True)),
            _LABELS - found.count(None))
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


def _written_once(line: str | bytes, labels: int, optional: tuple[Any, ...],
                  tags: dict[str, str] | None) -> bool:
    """True when the line holds no key twice (the decoder keeps the last silently): its
    quote marks are exactly those of the keys and string values decoded.

    Every string in JSON text is two quote marks, and a quote inside a string is escaped as
    `\\"`, one more; so a line holds `2 * strings` quote marks or more, and exactly that many
    only when it writes no key, and no string, beyond what was decoded. Also a key sent as
    null is not counted, which sends that line to the full reader, which settles it.
    `labels` is how many of the nine labels were written, `optional` the five optional
    fields after the counts (cached, cache writes, requests, latency, status)."""
    keys = labels + 4 + 5 - optional.count(None)  # event id, time, input and output tokens
    strings = keys + labels + 2 + (optional[4] is not None)  # the labels, id, time, status
    if tags is not None:
        strings += 1 + 2 * len(tags)
    return (line.count(b'"') if isinstance(line, bytes) else line.count('"')) == 2 * strings


def _latest(now: datetime) -> datetime:
    """The last instant an event may carry without a backfill, for the chunk's one clock:
    computed once per clock, not once per line."""
    global _window
    if _window[0] is not now:
        _window = (now, now + FUTURE_SLACK)
    return _window[1]


_window: tuple[datetime | None, datetime] = (None, EARLIEST)


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
    found = _checked.get(values[:_LABELS]) or _labels(values[:_LABELS])
    if found is None:
        return None
    labels, written = found
    (event_id, stamp, inputs, outputs, cached, cache_writes, requests, latency, status,
     tags) = values[_LABELS:]
    if event_id is None or event_id[0].isspace() or event_id[-1].isspace() \
            or stamp is None or inputs is None or outputs is None \
            or not _written_once(line, written, values[_LABELS + 4:_LABELS + 9], tags):
        return None
    try:
        moment = _fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None or not FIRST_YEAR < moment.year < 9999:
        return None
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    if not backfill and not EARLIEST <= utc <= _latest(now):
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
