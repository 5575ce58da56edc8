"""The Anthropic Admin API messages usage report as usage events.

`GET /v1/organizations/usage_report/messages` answers with pages (`data`, `has_more`,
`next_page`) of time buckets (`starting_at`, `ending_at`, RFC 3339), each with `results`:
`uncached_input_tokens`, `cache_read_input_tokens`, `cache_creation`
(`ephemeral_5m_input_tokens`, `ephemeral_1h_input_tokens`), `output_tokens`,
`server_tool_use.web_search_requests`, and the grouping fields `workspace_id`, `api_key_id`,
`model`, `service_tier`, `context_window` (null unless grouped by them).
Reference: https://platform.claude.com/docs/en/api/admin-api/usage-cost/get-messages-usage-report

One event per bucket result. Anthropic's counts are disjoint already, as ours are: uncached
input is input, cache reads are cached input, both cache-write lifetimes are cache-write input.
The 1-hour part is also `cache_write_1h_input_tokens`, which a card's
`cache_write_1h_input` prices apart; web searches (`server_tool_use.web_search_requests`)
are the event's `web_search_requests`, priced per 1,000 by a card's `web_search_per_1k`. The
workspace and API key go to tags `provider_workspace` and `api_key`, where attribution rules
find them. The report counts no requests, so each result is one request. `model: null` is the
model `ungrouped`, as with OpenAI. Buckets are snapshots with the OpenAI importer's
restatement semantics (billing/ledger/restatement.py): the id hashes the bucket and its
grouping, never its numbers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from billing.ledger.formats.base import SourceRow, guarded
from billing.ledger.formats.jsonsource import records
from billing.ledger.formats.openai import UNGROUPED

GROUPING = ("workspace_id", "api_key_id", "account_id", "service_account_id", "model",
            "service_tier", "context_window", "inference_geo")
SERIES = "anthropic.usage_report.messages"
SERVICE_TIERS = {None: "standard", "standard": "standard", "batch": "batch",
                 "priority": "priority", "priority_on_demand": "priority", "flex": "flex",
                 "flex_discount": "flex"}
TAGS = {"workspace_id": "provider_workspace", "api_key_id": "api_key", "account_id": "user",
        "service_account_id": "service_account", "context_window": "context_window",
        "inference_geo": "inference_geo"}


def read(lines: Iterable[str]) -> Iterator[SourceRow]:
    number = 0
    for _row, page, raw, error in records(lines):
        if error is not None or not isinstance(page, dict):
            number += 1
            yield SourceRow(number, None, raw, error or "expected a usage report page object")
            continue
        buckets = page.get("data") if isinstance(page.get("data"), list) else [page]
        for bucket in buckets:
            results = bucket.get("results") if isinstance(bucket, dict) else None
            for result in results if isinstance(results, list) else []:
                number += 1
                raw_result = orjson.dumps({"data": [{**bucket, "results": [result]}]}).decode()
                yield guarded(_event, number, (bucket, result), raw_result)


def _seconds(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return int(moment.timestamp()) if moment.tzinfo else None


def _count(value: Any) -> Any:
    return 0 if value is None else value


def _event(number: int, found: tuple[dict[str, Any], dict[str, Any]], raw: str) -> SourceRow:
    bucket, result = found
    start, end = _seconds(bucket.get("starting_at")), _seconds(bucket.get("ending_at"))
    if start is None or end is None or end <= start:
        return SourceRow(number, None, raw, "bucket starting_at and ending_at must be RFC 3339 "
                         "times with a zone, start before end", "starting_at")
    if not isinstance(result, dict):
        return SourceRow(number, None, raw, "expected a usage result object", "results")
    creation = result.get("cache_creation")
    if creation is None:
        creation = {}
    if not isinstance(creation, dict):
        return SourceRow(number, None, raw, "cache_creation must be an object with "
                         "ephemeral_5m_input_tokens and ephemeral_1h_input_tokens",
                         "cache_creation")
    five, hour = _count(creation.get("ephemeral_5m_input_tokens")), \
        _count(creation.get("ephemeral_1h_input_tokens"))
    grouping = "|".join(str(result.get(name)) for name in GROUPING)
    key = hashlib.sha256(f"{start}|{end}|{grouping}".encode()).hexdigest()
    tier = result.get("service_tier")
    event: dict[str, Any] = {
        "event_id": f"anthropic:{key[:40]}",
        "occurred_at": datetime.fromtimestamp(start, UTC).isoformat().replace("+00:00", "Z"),
        "provider": "anthropic",
        "model": result.get("model") or UNGROUPED,
        "input_tokens": result.get("uncached_input_tokens"),
        "output_tokens": result.get("output_tokens"),
        "cached_input_tokens": _count(result.get("cache_read_input_tokens")),
        "cache_write_input_tokens": five + hour
        if isinstance(five, int) and isinstance(hour, int) else five,
        "cache_write_1h_input_tokens": hour,
        "requests": 1,
        "service_tier": SERVICE_TIERS.get(tier, tier),
    }
    tags = {tag: result.get(name) for name, tag in TAGS.items()}
    searches = (result.get("server_tool_use") or {}).get("web_search_requests") \
        if isinstance(result.get("server_tool_use"), dict) else None
    if searches:
        event["web_search_requests"] = searches
    event["tags"] = {k: str(v) for k, v in tags.items() if v is not None}
    if not event["tags"]:
        del event["tags"]
    return SourceRow(number, event, raw, bucket=(SERIES, start, end))
