"""LiteLLM proxy spend logs (the `LiteLLM_SpendLogs` table, `GET /spend/logs`) as usage events.

Fields, from LiteLLM's schema (https://docs.litellm.ai/docs/proxy/cost_tracking and
`schema.prisma` in BerriAI/litellm): `request_id`, `call_type`, `api_key` (hashed),
`spend`, `total_tokens`, `prompt_tokens`, `completion_tokens`, `startTime`, `endTime`,
`model`, `model_group`, `custom_llm_provider`, `user`, `team_id`, `end_user`, `metadata`,
`cache_hit`, `request_tags`.

Mapping: `request_id` is the event id; `team_id` (or `metadata.user_api_key_team_alias`) the
team; `end_user` the customer; `prompt_tokens` includes cached prompt tokens (OpenAI usage
semantics), so the cached count from `metadata.usage_object` (`prompt_tokens_details.
cached_tokens`, or Anthropic's `cache_read_input_tokens`) is subtracted, and
`cache_creation_input_tokens` becomes cache-write input. The provider is
`custom_llm_provider`, else the model's `provider/` prefix, which is then dropped from the
model name. Request tags become tags: `key:value` splits in two, a bare tag maps to "true";
tags `use_case`, `environment` and `prompt_version` fill those fields. A zone-less
`startTime` is taken as UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from billing.ledger.formats.base import SourceRow
from billing.ledger.formats.jsonsource import records

PROVIDERS = {"bedrock": "aws-bedrock", "azure": "azure-openai", "gemini": "google",
             "vertex_ai": "google", "mistral": "mistral", "openai": "openai",
             "anthropic": "anthropic"}
FIELDS_FROM_TAGS = ("use_case", "environment", "prompt_version")


def read(lines: Iterable[str]) -> Iterator[SourceRow]:
    for row, record, raw, error in records(lines):
        if error is not None:
            yield SourceRow(row, None, raw, error)
        elif isinstance(record, dict):
            yield SourceRow(row, _event(record), raw)
        else:
            yield SourceRow(row, None, raw, "expected a spend-log object")


def _timestamp(value: Any) -> Any:
    if isinstance(value, str) and "T" in value and not value.endswith("Z") \
            and "+" not in value[10:] and "-" not in value[10:]:
        return value + "Z"
    return value


def _tags(record: dict[str, Any]) -> dict[str, str]:
    metadata = record.get("metadata") or {}
    raw_tags = record.get("request_tags") or metadata.get("tags") or []
    tags: dict[str, str] = {}
    for tag in raw_tags if isinstance(raw_tags, list) else []:
        key, sep, value = str(tag).partition(":")
        tags[key] = value if sep else "true"
    if record.get("api_key"):
        tags["api_key"] = str(record["api_key"])
    if record.get("user"):
        tags["user"] = str(record["user"])
    return tags


def _event(record: dict[str, Any]) -> dict[str, Any]:
    metadata = record.get("metadata") or {}
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
    event: dict[str, Any] = {
        "event_id": record.get("request_id"),
        "occurred_at": _timestamp(record.get("startTime")),
        "team": record.get("team_id") or metadata.get("user_api_key_team_alias"),
        "customer": record.get("end_user") or None,
        "provider": PROVIDERS.get(provider, provider) if provider else None,
        "model": model,
        "input_tokens": prompt - cached - cache_write if isinstance(prompt, int) else prompt,
        "output_tokens": record.get("completion_tokens"),
        "cached_input_tokens": cached,
        "cache_write_input_tokens": cache_write,
        "requests": 1,
    }
    tags = _tags(record)
    for name in FIELDS_FROM_TAGS:
        if name in tags:
            event[name] = tags.pop(name)
    if tags:
        event["tags"] = tags
    return {k: v for k, v in event.items() if v is not None}
