"""The usage-event contract (DESIGN.md): validation of one record into a ledger row.

Validation is a pure function so every ingest path (files, HTTP, replay) applies the same
rules and reports the same per-field messages.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from billing import identifiers
from billing.models import TIERS
from billing.period import FIRST_YEAR, Period
from billing.policies.environments import NAME as ENVIRONMENT_NAME

TOKEN_FIELDS = ("input_tokens", "output_tokens", "cached_input_tokens", "cache_write_input_tokens")
TEXT_FIELDS = ("team", "use_case", "customer", "project", "provider", "prompt_version")
CALL_STATUSES = ("ok", "cache_hit", "failed")
BILLED = "ok"  # cache hits and failed calls are counted as events but carry no usage
SERVICE_TIERS = ("standard", "batch", "flex", "priority")
BILLING_FIELDS = ("call_status", "service_tier", "reported_cost", "cache_write_1h_input_tokens",
                  "web_search_requests")
SERVICE_FIELDS = ("latency_ms", "status")
STATUSES = ("ok", "error", "rate_limited", "timeout", "refused")
MAX_LATENCY_MS = 3_600_000
KNOWN_FIELDS = frozenset(
    ("event_id", "occurred_at", "environment", "model", "tier", "requests", "tags")
    + TOKEN_FIELDS
    + TEXT_FIELDS
    + BILLING_FIELDS
    + SERVICE_FIELDS
)
NANOS = Decimal(1_000_000_000)
MAX_REPORTED_COST = Decimal(1_000_000)
IDENTIFIER_FIELDS = frozenset(("team", "use_case", "customer", "project"))
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:@+ -]*")
MAX_TEXT = identifiers.MAX_LENGTH
_LIMIT = 2**62
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
BACKFILL_HINT = ("if it is a real backfill, ingest it with `billing ingest --allow-backfill` "
                 "(over HTTP: POST /v1/usage?allow_backfill=true with an ingest key)")
_ASCII_INTEGER = re.compile(r"-?[0-9]+")
_COUNTS = (
    ("input_tokens", None, 0),
    ("output_tokens", None, 0),
    ("cached_input_tokens", 0, 0),
    ("cache_write_input_tokens", 0, 0),
    ("requests", 1, 1),
)


_ANY_ZONE = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str | None
    message: str


class InvalidEvent(ValueError):
    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _text(value: Any, name: str, *, required: bool = False, limit: int = MAX_TEXT) -> str | None:
    if type(value) is str and 0 < len(value) <= limit and not value[0].isspace() \
            and not value[-1].isspace():
        return value
    if value is None or value == "":
        if required:
            raise InvalidEvent(name, f"{name} is required")
        return None
    if not isinstance(value, str):
        raise InvalidEvent(name, f"{name} must be a string, got {type(value).__name__}")
    value = value.strip()
    if not value:
        if required:
            raise InvalidEvent(name, f"{name} is required")
        return None
    if len(value) > limit:
        raise InvalidEvent(name, f"{name} is {len(value)} characters; at most {limit} allowed")
    return value


def _count(value: Any, name: str, *, default: int | None, minimum: int) -> int:
    if type(value) is int and minimum <= value < 2**62:
        return value
    if value is None or value == "":
        if default is None:
            raise InvalidEvent(name, f"{name} is required (an integer >= {minimum})")
        return default
    if isinstance(value, bool):
        raise InvalidEvent(name, f"{name} must be an integer, got a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _ASCII_INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        raise InvalidEvent(name, f"{name} must be an integer >= {minimum}, got {value!r}")
    if number < minimum:
        raise InvalidEvent(name, f"{name} must be >= {minimum}, got {number}")
    if number >= 2**62:
        raise InvalidEvent(name, f"{name} is implausibly large ({number})")
    return number


def parse_timestamp(value: Any, name: str = "occurred_at") -> datetime:
    """Parse an RFC 3339 timestamp; a zone is required because it decides the period, and the
    time must lie two days (any zone) inside the years a period can name (1000 to 9999)."""
    if not isinstance(value, str) or not value:
        raise InvalidEvent(name, f"{name} is required: an RFC 3339 timestamp with a zone")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidEvent(
            name, f"{name} {value!r} is not an RFC 3339 timestamp like 2026-10-01T12:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise InvalidEvent(
            name, f"{name} {value!r} has no time zone; add 'Z' or an offset like +02:00"
        )
    try:
        moment.astimezone(UTC) + _ANY_ZONE
        outside = (moment.astimezone(UTC) - _ANY_ZONE).year < FIRST_YEAR
    except OverflowError:
        outside = True
    if outside:
        raise InvalidEvent(name, f"{name} {value!r} is outside the years a ledger can hold")
    return moment


def _in_window(moment: datetime, value: Any, now: datetime) -> None:
    """A date before 2000 or beyond tomorrow is almost always a broken clock or a unit mix-up,
    and it would bill a period nobody closes; refused unless the operator says it is a backfill."""
    if moment < EARLIEST:
        raise InvalidEvent("occurred_at", f"occurred_at {value!r} is before "
                           f"{EARLIEST.date().isoformat()}; {BACKFILL_HINT}")
    if moment > now + FUTURE_SLACK:
        raise InvalidEvent("occurred_at", f"occurred_at {value!r} is more than a day after now "
                           f"({now:%Y-%m-%dT%H:%M}Z); check the sender's clock, or {BACKFILL_HINT}")


def _tags(value: Any) -> str | None:
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        raise InvalidEvent("tags", f"tags must be an object of string to string, got {value!r}")
    for key, item in value.items():
        found = identifiers.problem(key, "tag name")
        if found:
            raise InvalidEvent(f"tags.{key}", found)
        if not isinstance(item, str):
            raise InvalidEvent(f"tags.{key}", f"tag {key!r} must be a string, got {item!r}")
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _environment(value: Any) -> str:
    environment = _text(value, "environment") or "production"
    if not ENVIRONMENT_NAME.match(environment):
        raise InvalidEvent(
            "environment", f"environment {environment!r} is not a name like production or "
            "sandbox (lower case letters, digits, . _ -, up to 20 characters); the parties "
            "policy says which names are production"
        )
    return environment


def _tier(value: Any) -> str | None:
    tier = _text(value, "tier")
    if tier is not None and tier not in TIERS:
        raise InvalidEvent("tier", f"tier {tier!r} is not one of {', '.join(TIERS)}")
    return tier


def _text_field(value: Any, name: str) -> str | None:
    if type(value) is not str or not 0 < len(value) <= MAX_TEXT or value != value.strip():
        value = _text(value, name)
    if value is not None and name in IDENTIFIER_FIELDS and not _PLAIN.fullmatch(value):
        found = identifiers.problem(value, name)
        if found:
            raise InvalidEvent(name, found)
    return value


def validate(data: Any, zone: ZoneInfo, *, backfill: bool = False,
             now: datetime | None = None) -> dict[str, Any]:
    """Turn one record into a ledger row (a dict of column values) or raise InvalidEvent.

    `backfill` lifts the 2000-to-tomorrow window on occurred_at; `now` is the clock it is
    measured against (the current time unless given). A plain record takes the common path;
    anything it does not settle goes through every rule in order, so errors read the same."""
    row = _common(data, zone, backfill, now)
    return row if row is not None else _validate(data, zone, backfill=backfill, now=now)


def _validate(data: Any, zone: ZoneInfo, *, backfill: bool = False,
              now: datetime | None = None) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidEvent(None, f"an event must be a JSON object, got {type(data).__name__}")
    unknown = data.keys() - KNOWN_FIELDS
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidEvent(name, f"unknown field {name!r}; put free-form labels in tags")
    event_id = _text(data.get("event_id"), "event_id", required=True)
    moment = parse_timestamp(data.get("occurred_at"))
    if not backfill:
        _in_window(moment, data.get("occurred_at"), now or datetime.now(UTC))
    local = moment.astimezone(zone)
    environment = _environment(data.get("environment"))
    tier = _tier(data.get("tier"))
    stamp = data["occurred_at"]
    row: dict[str, Any] = {
        "event_id": event_id,
        "occurred_at": moment.astimezone(UTC),
        "occurred_at_text": f"{stamp[:10]} {stamp[11:19]}.000000" if _plain_utc(stamp) else None,
        "period": str(Period.of(moment, zone)),
        "usage_date": local.date(),
        "environment": environment,
        "model": _text(data.get("model"), "model", required=True),
        "tier": tier,
        "tags": _tags(data.get("tags")),
    }
    get = data.get
    for name, default, minimum in _COUNTS:
        value = get(name)
        row[name] = (
            value if type(value) is int and minimum <= value < _LIMIT
            else _count(value, name, default=default, minimum=minimum)
        )
    for name in TEXT_FIELDS:
        row[name] = _text_field(data.get(name), name)
    row["latency_ms"] = _latency(data.get("latency_ms"))
    row["status"] = _status(data.get("status"))
    if "call_status" in data or "service_tier" in data or "reported_cost" in data \
            or "cache_write_1h_input_tokens" in data or "web_search_requests" in data:
        row.update(_billing(data))
        if row["cache_write_1h_input_tokens"] > row["cache_write_input_tokens"]:
            raise InvalidEvent("cache_write_1h_input_tokens", (
                f"cache_write_1h_input_tokens ({row['cache_write_1h_input_tokens']}) is the "
                "part of cache_write_input_tokens written for 1 hour, so it cannot be more "
                f"than cache_write_input_tokens ({row['cache_write_input_tokens']})"))
        row["content_hash"] = content_hash(row)
    else:
        row.update(BILLING_DEFAULTS)
        hashed = _HASHED(row)
        if row["project"] is not None:
            hashed = (*hashed, "project", row["project"])
        if row["latency_ms"] is not None or row["status"] is not None:
            hashed = (*hashed, "service", row["latency_ms"], row["status"])
        row["content_hash"] = hashlib.sha256(orjson.dumps(hashed)).hexdigest()
    return row


def _latency(value: Any) -> int | None:
    """Milliseconds from request to last byte, as a whole number; more than an hour is a
    unit mix-up (seconds or microseconds) far more often than a real call, so it is refused."""
    if value is None or value == "":
        return None
    number: Decimal | None = None
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        raise InvalidEvent("latency_ms", f"latency_ms must be a number of milliseconds like "
                           f"850, got {value!r}")
    if number < 0:
        raise InvalidEvent("latency_ms", f"latency_ms must be >= 0 milliseconds, got {value!r}")
    if number > MAX_LATENCY_MS:
        raise InvalidEvent("latency_ms", f"latency_ms {value!r} is more than an hour "
                           f"({MAX_LATENCY_MS} ms); send milliseconds, not microseconds")
    return int(number.to_integral_value())


def _status(value: Any) -> str | None:
    """How the call ended, for service levels (billing/budgets/slo.py); None: not reported."""
    status = _text(value, "status")
    if status is not None and status not in STATUSES:
        raise InvalidEvent("status", f"status {status!r} is not one of {', '.join(STATUSES)}")
    return status


def _billing(data: dict[str, Any]) -> dict[str, Any]:
    """What the provider charged for: a cache hit or a failed call is kept but not billed, a
    service tier (batch, flex, priority) picks the card's price for it, a reported cost
    (USD, for usage priced per image or call rather than per token) is kept to the nano-dollar,
    the part of the cache writes kept for 1 hour (Anthropic) gets the card's 1-hour price, and
    web-search tool requests are priced per 1,000 by the card's `web_search_per_1k`."""
    status = _text(data.get("call_status"), "call_status") or "ok"
    if status not in CALL_STATUSES:
        raise InvalidEvent("call_status", f"call_status {status!r} is not one of "
                           f"{', '.join(CALL_STATUSES)}")
    tier = _text(data.get("service_tier"), "service_tier") or "standard"
    if tier not in SERVICE_TIERS:
        raise InvalidEvent("service_tier", f"service_tier {tier!r} is not one of "
                           f"{', '.join(SERVICE_TIERS)}")
    return {"call_status": status, "service_tier": tier,
            "reported_cost_nanos": _nanos(data.get("reported_cost")),
            "cache_write_1h_input_tokens": _count(data.get("cache_write_1h_input_tokens"),
                                                  "cache_write_1h_input_tokens", default=0,
                                                  minimum=0),
            "web_search_requests": _count(data.get("web_search_requests"),
                                          "web_search_requests", default=0, minimum=0)}


def _nanos(value: Any) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidEvent("reported_cost", "reported_cost must be a decimal string in USD "
                           f"like \"0.04\", got {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount > MAX_REPORTED_COST:
        raise InvalidEvent("reported_cost", f"reported_cost {value!r} must be a decimal amount "
                           f"in USD from 0 to {MAX_REPORTED_COST}, like \"0.04\"")
    return int((amount * NANOS).to_integral_value())


_HASHED = itemgetter(
    "event_id", "occurred_at", "team", "use_case", "customer", "environment", "provider",
    "model", "tier", "input_tokens", "output_tokens", "cached_input_tokens",
    "cache_write_input_tokens", "requests", "prompt_version", "tags",
)


_BILLING_FIELDS = ("call_status", "service_tier", "reported_cost_nanos",
                   "cache_write_1h_input_tokens", "web_search_requests")
BILLING_DEFAULTS = {"call_status": "ok", "service_tier": "standard", "reported_cost_nanos": 0,
                    "cache_write_1h_input_tokens": 0, "web_search_requests": 0}
_DEFAULT_BILLING = tuple(BILLING_DEFAULTS.values())


def content_hash(row: dict[str, Any]) -> str:
    """Fingerprint of what an event says, to tell a harmless resend from a conflicting one.

    The billing fields and the project join the fingerprint only when they differ from their
    defaults, so an event stored before they existed still matches its resend."""
    hashed = _HASHED(row)
    billing = tuple(row.get(name, default)
                    for name, default in zip(_BILLING_FIELDS, _DEFAULT_BILLING, strict=True))
    if billing != _DEFAULT_BILLING:
        hashed = (*hashed, *billing)
    if row.get("project") is not None:
        hashed = (*hashed, "project", row["project"])
    if row.get("latency_ms") is not None or row.get("status") is not None:
        hashed = (*hashed, "service", row.get("latency_ms"), row.get("status"))
    return hashlib.sha256(orjson.dumps(hashed)).hexdigest()


# a project joins the fingerprint only when given (see _validate): such events take the full path
_COMMON_FIELDS = KNOWN_FIELDS - frozenset(BILLING_FIELDS) - {"project"}
_STATUS_SET = frozenset(STATUSES)
_checked_labels: dict[tuple[Any, ...], tuple[Any, ...]] = {}
_periods: dict[int, str] = {}
MAX_CACHED = 100_000


def _labels_of(get: Callable[[str], Any]) -> tuple[Any, ...] | None:
    """The eight labels of an event, checked by the same rules as `_validate`. Gateways send
    the same few combinations over and over, so each is checked once (a bounded cache)."""
    found = (get("team"), get("use_case"), get("customer"), get("provider"),
             get("prompt_version"), get("environment"), get("tier"), get("model"))
    try:
        return _checked_labels[found]
    except KeyError:
        pass
    except TypeError:  # an unhashable value: never a plain event
        return None
    if not all(value is None or type(value) is str for value in found):
        return None
    team, use_case, customer, provider, prompt_version, environment, tier, model = found
    try:
        checked = (_text_field(team, "team"), _text_field(use_case, "use_case"),
                   _text_field(customer, "customer"), _text_field(provider, "provider"),
                   _text_field(prompt_version, "prompt_version"), _environment(environment),
                   _tier(tier), _text(model, "model", required=True))
    except InvalidEvent:
        return None
    if len(_checked_labels) >= MAX_CACHED:
        _checked_labels.clear()
    _checked_labels[found] = checked
    return checked


def _plain_utc(stamp: str) -> bool:
    """YYYY-MM-DDTHH:MM:SSZ exactly (not a week date, not the basic form)."""
    return len(stamp) == 20 and stamp[19] == "Z" and stamp[10] == "T" and stamp[4] == "-" \
        and stamp[7] == "-" and stamp[13] == ":" and stamp[16] == ":"


def _period_text(day: date) -> str:
    key = day.year * 100 + day.month
    text = _periods.get(key)
    if text is None:
        text = _periods[key] = str(Period.of_day(day))
    return text


def _common(data: Any, zone: ZoneInfo, backfill: bool, now: datetime | None
            ) -> dict[str, Any] | None:
    """The row of a plain event (no billing fields, integers as integers, a timestamp a
    ledger can hold), exactly as `_validate` makes it; None for anything else."""
    if type(data) is not dict or not data.keys() <= _COMMON_FIELDS:
        return None
    get = data.get
    event_id, stamp = get("event_id"), get("occurred_at")
    if type(event_id) is not str or not 0 < len(event_id) <= MAX_TEXT \
            or event_id[0].isspace() or event_id[-1].isspace() or type(stamp) is not str:
        return None
    labels = _labels_of(get)
    if labels is None:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None or not FIRST_YEAR < moment.year < 9999:
        return None
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    if not backfill and not EARLIEST <= utc <= (now or datetime.now(UTC)) + FUTURE_SLACK:
        return None
    inputs, outputs, requests = get("input_tokens"), get("output_tokens"), get("requests", 1)
    cached, cache_writes = get("cached_input_tokens", 0), get("cache_write_input_tokens", 0)
    if not (type(inputs) is int and type(outputs) is int and type(cached) is int
            and type(cache_writes) is int and type(requests) is int
            and 0 <= inputs < _LIMIT and 0 <= outputs < _LIMIT and 0 <= cached < _LIMIT
            and 0 <= cache_writes < _LIMIT and 1 <= requests < _LIMIT):
        return None
    latency, status = get("latency_ms"), get("status")
    if not ((latency is None or type(latency) is int and 0 <= latency <= MAX_LATENCY_MS)
            and (status is None or type(status) is str and status in _STATUS_SET)):
        return None
    tags = get("tags")
    if tags is not None and tags != {}:
        try:
            tags = _tags(tags)
        except InvalidEvent:
            return None
    else:
        tags = None
    team, use_case, customer, provider, prompt_version, environment, tier, model = labels
    return plain_row(event_id, utc, stamp, zone,
                     (team, use_case, customer, provider, prompt_version, None, environment,
                      tier, model),
                     inputs, outputs, cached, cache_writes, requests, latency, status, tags)


LEDGER_COLUMNS = (
    "event_id", "occurred_at", "period", "usage_date", "team", "use_case", "customer",
    "environment", "provider", "model", "tier", "input_tokens", "output_tokens",
    "cached_input_tokens", "cache_write_input_tokens", "requests", "prompt_version", "tags",
    "content_hash", "batch_id", "call_status", "service_tier", "reported_cost_nanos",
    "cache_write_1h_input_tokens", "web_search_requests", "project", "latency_ms", "status",
)
"""The ledger's columns in the order of a ledger tuple (`ledger_tuple`, `plain_params`)."""
HASH_AT = LEDGER_COLUMNS.index("content_hash")
_ledger_values = itemgetter(*LEDGER_COLUMNS)


def ledger_tuple(row: dict[str, Any]) -> tuple[Any, ...]:
    """A ledger row as the write path binds it on either database: its values in
    `LEDGER_COLUMNS` order, the time as UTC text (`YYYY-MM-DD HH:MM:SS.ffffff`, the form
    SQLite holds and the ORM writes) and the day as ISO text. A timestamp sent in the plain
    UTC form is cut from the text as sent (`occurred_at_text`), many times cheaper than
    formatting it."""
    values = _ledger_values(row)
    text = row.get("occurred_at_text") or row["occurred_at"].isoformat(" ", "microseconds")[:26]
    return (values[0], text, values[2], values[3].isoformat(), *values[4:])


def _plain_facts(event_id: str, utc: datetime, zone: ZoneInfo, labels: tuple[Any, ...],
                 inputs: int, outputs: int, cached: int, cache_writes: int, requests: int,
                 latency: int | None, status: str | None, tags: str | None
                 ) -> tuple[date, str, str]:
    """The usage day, its period and the content hash `content_hash` would give a plain
    event: the one place both forms of a plain row (`plain_row`, `plain_params`) take them,
    so the fast paths cannot drift from each other."""
    team, use_case, customer, provider, prompt_version, project, environment, tier, model = labels
    in_utc = zone is UTC or getattr(zone, "key", None) == "UTC"
    day = (utc if in_utc else utc.astimezone(zone)).date()
    hashed: tuple[Any, ...] = (
        event_id, utc, team, use_case, customer, environment, provider, model, tier,
        inputs, outputs, cached, cache_writes, requests, prompt_version, tags)
    if project is not None:
        hashed = (*hashed, "project", project)
    if latency is not None or status is not None:
        hashed = (*hashed, "service", latency, status)
    return day, _period_text(day), hashlib.sha256(orjson.dumps(hashed)).hexdigest()


def _utc_text(utc: datetime, stamp: str) -> str:
    """The time as the ledger's text columns hold it (`ledger_tuple`): cut from the plain UTC
    form as sent, else formatted."""
    if _plain_utc(stamp):
        return f"{stamp[:10]} {stamp[11:19]}.000000"
    return utc.isoformat(" ", "microseconds")[:26]


def plain_row(event_id: str, utc: datetime, stamp: str, zone: ZoneInfo,
              labels: tuple[Any, ...], inputs: int, outputs: int, cached: int,
              cache_writes: int, requests: int, latency: int | None, status: str | None,
              tags: str | None) -> dict[str, Any]:
    """The ledger row of a plain event from its checked values (the common path of
    `validate`)."""
    team, use_case, customer, provider, prompt_version, project, environment, tier, model = labels
    day, period, digest = _plain_facts(event_id, utc, zone, labels, inputs, outputs, cached,
                                       cache_writes, requests, latency, status, tags)
    return {
        "event_id": event_id, "occurred_at": utc, "period": period, "usage_date": day,
        # the plain UTC form as the ledger's text columns hold it (`ledger_tuple`)
        "occurred_at_text": f"{stamp[:10]} {stamp[11:19]}.000000" if _plain_utc(stamp) else None,
        "environment": environment, "model": model, "tier": tier, "tags": tags,
        "input_tokens": inputs, "output_tokens": outputs, "cached_input_tokens": cached,
        "cache_write_input_tokens": cache_writes, "requests": requests,
        "team": team, "use_case": use_case, "customer": customer, "provider": provider,
        "prompt_version": prompt_version, "call_status": "ok", "service_tier": "standard",
        "reported_cost_nanos": 0, "cache_write_1h_input_tokens": 0, "web_search_requests": 0,
        "project": project, "latency_ms": latency, "status": status,
        "content_hash": digest,
    }


def plain_params(event_id: str, utc: datetime, stamp: str, zone: ZoneInfo,
                 labels: tuple[Any, ...], inputs: int, outputs: int, cached: int,
                 cache_writes: int, requests: int, latency: int | None, status: str | None,
                 tags: str | None, batch_id: int | None) -> tuple[Any, ...]:
    """`ledger_tuple(plain_row(...) | {"batch_id": batch_id})`, built straight: the typed
    decoder's hot path, where a 30-key dict per event cost more than the decoding."""
    team, use_case, customer, provider, prompt_version, project, environment, tier, model = labels
    day, period, digest = _plain_facts(event_id, utc, zone, labels, inputs, outputs, cached,
                                       cache_writes, requests, latency, status, tags)
    return (event_id, _utc_text(utc, stamp), period, day.isoformat(), team, use_case, customer,
            environment, provider, model, tier, inputs, outputs, cached, cache_writes, requests,
            prompt_version, tags, digest, batch_id, "ok", "standard", 0, 0, 0, project, latency,
            status)
