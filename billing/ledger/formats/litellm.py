"""LiteLLM proxy spend logs (the `LiteLLM_SpendLogs` table, `GET /spend/logs`) as usage events.

Fields, from LiteLLM's schema (https://docs.litellm.ai/docs/proxy/cost_tracking and
`schema.prisma` in BerriAI/litellm): `request_id`, `call_type`, `api_key` (hashed),
`spend`, `total_tokens`, `prompt_tokens`, `completion_tokens`, `startTime`, `endTime`,
`model`, `model_group`, `custom_llm_provider`, `user`, `team_id`, `end_user`, `metadata`,
`cache_hit`, `request_tags`.

Mapping: `request_id` is the event id; the team is `metadata.user_api_key_team_alias` (the
name a user gave it), else `team_id`; `end_user` the customer; `prompt_tokens` includes cached
prompt tokens (OpenAI usage semantics), so the cached count from `metadata.usage_object`
(`prompt_tokens_details.cached_tokens`, or Anthropic's `cache_read_input_tokens`) is
subtracted, and `cache_creation_input_tokens` becomes cache-write input. The provider is
`custom_llm_provider`, else the model's `provider/` prefix, which is then dropped from the
model name. Request tags become tags: `key:value` splits in two (a key seen again keeps its
first value; later ones become `key.2`, `key.3`), a bare tag maps to "true"; tags `use_case`,
`environment` (or `env`) and `prompt_version` fill those fields.

As LiteLLM writes them: `metadata` and `request_tags` arrive as objects or as JSON text (the
GCS, Pub/Sub and S3 loggers write text); `startTime` without a zone is UTC, with `T` or a space
between date and time. What the provider did not charge is not billed: `cache_hit` true is a
cache hit and `status: "failure"` a failed call, both kept and counted; a row with no tokens
but a `spend` (image generation, per-call pricing) keeps that spend as its reported cost.

Service levels: `endTime - startTime` is the call's `latency_ms` (left out when either is
missing or the end is before the start: the usage still counts); `status` success is ok, and
a failure is rate_limited, timeout or refused when `metadata.error_information` (LiteLLM's
`error_code` / `error_class`) says a 429, a timeout or a content-policy refusal, else error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from billing.ledger.formats.base import SourceRow, guarded
from billing.ledger.formats.jsonsource import records

PROVIDERS = {"bedrock": "aws-bedrock", "azure": "azure-openai", "gemini": "google",
             "vertex_ai": "google", "mistral": "mistral", "openai": "openai",
             "anthropic": "anthropic"}
FIELDS_FROM_TAGS = {"use_case": "use_case", "environment": "environment", "env": "environment",
                    "prompt_version": "prompt_version"}
TRUE = ("true", "True", True)


def read(lines: Iterable[str]) -> Iterator[SourceRow]:
    for row, record, raw, error in records(lines):
        if error is not None:
            yield SourceRow(row, None, raw, error)
        elif isinstance(record, dict):
            yield guarded(_row, row, record, raw)
        else:
            yield SourceRow(row, None, raw, "expected a spend-log object")


def _timestamp(value: Any) -> Any:
    """LiteLLM's own zone-less times (`2026-10-08 09:20:46.847371`) as UTC RFC 3339."""
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return value  # the validator names it
    if moment.tzinfo is not None:
        return value
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


class _Unreadable(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _json(record: dict[str, Any], name: str, kind: type) -> Any:
    """A field LiteLLM writes either as a value or as JSON text of it."""
    value = record.get(name)
    if isinstance(value, str):
        try:
            value = orjson.loads(value) if value.strip() else None
        except orjson.JSONDecodeError:
            raise _Unreadable(name, f"{name} is text that is not JSON: {value[:80]!r}; "
                              f"expected a JSON {kind.__name__}") from None
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise _Unreadable(name, f"{name} must be a JSON {kind.__name__}, got "
                          f"{type(value).__name__}")
    return value


def _tags(record: dict[str, Any], metadata: dict[str, Any]) -> dict[str, str]:
    raw_tags = _json(record, "request_tags", list) or metadata.get("tags") or []
    tags: dict[str, str] = {}
    for tag in raw_tags if isinstance(raw_tags, list) else []:
        key, sep, value = str(tag).partition(":")
        key, value = key.strip(), value.strip() if sep else "true"
        if not key:
            continue
        name, number = key, 1
        while name in tags and tags[name] != value:
            number += 1
            name = f"{key}.{number}"
        tags[name] = value
    if record.get("api_key"):
        tags["api_key"] = str(record["api_key"])
    if record.get("user"):
        tags["user"] = str(record["user"])
    return tags


def _row(row: int, record: dict[str, Any], raw: str) -> SourceRow:
    try:
        return SourceRow(row, event_from_spend_log(record), raw)
    except _Unreadable as exc:
        return SourceRow(row, None, raw, str(exc), exc.field)


def _status(record: dict[str, Any]) -> str:
    if record.get("status") == "failure":
        return "failed"
    return "cache_hit" if record.get("cache_hit") in TRUE else "ok"


def _moment(value: Any) -> datetime | None:
    value = _timestamp(value)
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _failure(information: Any) -> str:
    """LiteLLM's error_information as an outcome status."""
    if not isinstance(information, dict):
        return "error"
    code = str(information.get("error_code") or "")
    kind = str(information.get("error_class") or "").lower()
    if code == "429" or "ratelimit" in kind:
        return "rate_limited"
    if code in ("408", "504") or "timeout" in kind:
        return "timeout"
    if "contentpolicy" in kind:
        return "refused"
    return "error"


def _service(record: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    start, end = _moment(record.get("startTime")), _moment(record.get("endTime"))
    if start is not None and end is not None and (start.tzinfo is None) == (end.tzinfo is None):
        took = (end - start).total_seconds() * 1000
        if took >= 0:
            found["latency_ms"] = round(took)
    if record.get("status") == "success":
        found["status"] = "ok"
    elif record.get("status") == "failure":
        found["status"] = _failure(metadata.get("error_information"))
    return found


def event_from_spend_log(record: dict[str, Any]) -> dict[str, Any]:
    """One spend-log record as a usage event: the one mapping, for files and the live callback
    (`billing.gateway.litellm_callback`) alike. Raises ValueError naming an unreadable field."""
    metadata = _json(record, "metadata", dict)
    usage = metadata.get("usage_object") or {}
    details = usage.get("prompt_tokens_details") or {}
    cached = details.get("cached_tokens") or usage.get("cache_read_input_tokens") or 0
    cache_write = usage.get("cache_creation_input_tokens") or 0
    model = record.get("model")
    provider = record.get("custom_llm_provider")
    if isinstance(model, str) and "/" in model:
        prefix, _, rest = model.partition("/")
        provider = provider or prefix
        model = rest
    prompt = record.get("prompt_tokens")
    output = record.get("completion_tokens")
    status = _status(record)
    if status != "ok":  # nothing billed: a failure log often has no counts at all
        prompt, output = prompt or 0, output or 0
    event: dict[str, Any] = {
        "event_id": record.get("request_id"),
        "occurred_at": _timestamp(record.get("startTime")),
        "team": metadata.get("user_api_key_team_alias") or record.get("team_id") or None,
        "customer": record.get("end_user") or None,
        "provider": PROVIDERS.get(provider, provider) if provider else None,
        "model": model,
        "input_tokens": prompt - cached - cache_write if isinstance(prompt, int) else prompt,
        "output_tokens": output,
        "cached_input_tokens": cached,
        "cache_write_input_tokens": cache_write,
        "requests": 1,
        "call_status": status,
    }
    spend = record.get("spend")
    if not (prompt or output or cached or cache_write) and isinstance(spend, int | float) \
            and not isinstance(spend, bool) and spend > 0:
        event["reported_cost"] = format(Decimal(repr(spend)), "f")
    event.update(_service(record, metadata))
    tags = _tags(record, metadata)
    for name, field in FIELDS_FROM_TAGS.items():
        if name in tags:
            event.setdefault(field, tags.pop(name))
    if tags:
        event["tags"] = tags
    return {k: v for k, v in event.items() if v is not None}
