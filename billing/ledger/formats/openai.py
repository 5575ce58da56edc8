"""The OpenAI organization Usage API, completions endpoint, as usage events.

`GET /v1/organization/usage/completions` answers with pages (`object: "page"`) of time buckets
(`object: "bucket"`, `start_time`, `end_time` in Unix seconds), each with `results` of
`organization.usage.completions.result`: `input_tokens` (including cached tokens),
`input_cached_tokens`, `output_tokens`, `num_model_requests`, and the grouping fields
`project_id`, `user_id`, `api_key_id`, `model`, `batch` (null unless grouped by them).
Reference: https://platform.openai.com/docs/api-reference/usage/completions

One event per bucket result: `requests` is `num_model_requests`; `input_tokens` loses the
cached part and `input_cache_write_tokens` (ours are disjoint); the project and API key go to
tags `provider_project` and `api_key`, where attribution rules can find them; `batch: true`
and `service_tier` (`flex`, `priority`) become the service tier the card prices. The embeddings
endpoint's results (`organization.usage.embeddings.result`) have no output tokens: 0.

`model: null` (a report not grouped by model) is read, never refused: the bucket mixes models,
so it is the model `ungrouped`, which no card prices unless it names `ungrouped` with a
blended price; pull with `group_by=model` to price each model.

A bucket is a snapshot, not an event: its id is a hash of the report, the bucket and its
grouping, never of its numbers, so the same bucket read again is a duplicate when unchanged
and a restatement when the numbers moved (billing/ledger/restatement.py). The same time pulled
with another `group_by` (once by model, once by project) is the same usage cut another way:
its rows are refused, each saying which grouping was read first. A file may hold one
page, an array of pages, or JSON lines of pages (as a paginating script writes them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from billing.ledger.formats.base import GROUPED_BY, SourceRow, guarded
from billing.ledger.formats.jsonsource import records

GROUPING = ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier")
COMPLETIONS = "organization.usage.completions.result"
NO_OUTPUT = ("organization.usage.embeddings.result", "organization.usage.moderations.result")
UNGROUPED = "ungrouped"
GROUP_BY = ("project_id", "user_id", "api_key_id", "model", "batch")
SERVICE_TIERS = {None: "standard", "default": "standard", "auto": "standard",
                 "standard": "standard", "flex": "flex", "priority": "priority",
                 "batch": "batch"}


def read(lines: Iterable[str]) -> Iterator[SourceRow]:
    number = 0
    for _row, page, raw, error in records(lines):
        if error is not None or not isinstance(page, dict):
            number += 1
            yield SourceRow(number, None, raw, error or "expected a usage page object")
            continue
        buckets = page.get("data") if page.get("object") == "page" else [page]
        for bucket in buckets or []:
            for result in (bucket or {}).get("results") or []:
                number += 1
                raw_result = orjson.dumps({"object": "page", "data": [
                    {**bucket, "results": [result]}]}).decode()
                yield guarded(_event, number, (bucket, result), raw_result)


def _service_tier(result: dict[str, Any]) -> Any:
    if result.get("batch") is True:
        return "batch"
    tier = result.get("service_tier")
    return SERVICE_TIERS.get(tier, tier)


def _event(number: int, found: tuple[dict[str, Any], dict[str, Any]], raw: str) -> SourceRow:
    bucket, result = found
    start, end = bucket.get("start_time"), bucket.get("end_time")
    if not isinstance(start, int) or not isinstance(end, int) or end <= start:
        return SourceRow(number, None, raw, "bucket start_time and end_time must be Unix "
                         "seconds, start before end", "start_time")
    series = result.get("object") or COMPLETIONS
    grouping = "|".join(str(result.get(name)) for name in GROUPING)
    if series != COMPLETIONS:
        grouping = f"{series}|{grouping}"
    key = hashlib.sha256(f"{start}|{end}|{grouping}".encode()).hexdigest()
    input_tokens = result.get("input_tokens")
    cached = result.get("input_cached_tokens") or 0
    cache_write = result.get("input_cache_write_tokens") or 0
    output = result.get("output_tokens")
    if output is None and series in NO_OUTPUT:
        output = 0
    event: dict[str, Any] = {
        "event_id": f"openai:{key[:40]}",
        "occurred_at": datetime.fromtimestamp(start, UTC).isoformat().replace("+00:00", "Z"),
        "provider": "openai",
        "model": result.get("model") or UNGROUPED,
        "input_tokens": input_tokens - cached - cache_write
        if all(isinstance(n, int) for n in (input_tokens, cached, cache_write))
        else input_tokens,
        "output_tokens": output,
        "cached_input_tokens": cached,
        "cache_write_input_tokens": cache_write,
        "requests": result.get("num_model_requests"),
        "service_tier": _service_tier(result),
    }
    tags = {"provider_project": result.get("project_id"), "api_key": result.get("api_key_id"),
            "user": result.get("user_id")}
    if result.get("batch") is not None:
        tags["batch"] = str(result["batch"]).lower()
    event["tags"] = {k: str(v) for k, v in tags.items() if v is not None}
    if not event["tags"]:
        del event["tags"]
    return SourceRow(number, event, raw, bucket=(_series(series, result), start, end))


def _series(series: str, result: dict[str, Any]) -> str:
    """The report and the fields its rows are grouped by (`group_by`), so the same time pulled
    with another grouping is recognised as the same usage (billing/ledger/restatement.py).
    `service_tier` is left out: a grouped pull gives it as null on batch rows."""
    grouped = [name for name in GROUP_BY if result.get(name) is not None]
    return (f"{series}{GROUPED_BY}{','.join(grouped)}" if grouped else series)[:100]
