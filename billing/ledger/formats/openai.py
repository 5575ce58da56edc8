"""The OpenAI organization Usage API, completions endpoint, as usage events.

`GET /v1/organization/usage/completions` answers with pages (`object: "page"`) of time buckets
(`object: "bucket"`, `start_time`, `end_time` in Unix seconds), each with `results` of
`organization.usage.completions.result`: `input_tokens` (including cached tokens),
`input_cached_tokens`, `output_tokens`, `num_model_requests`, and the grouping fields
`project_id`, `user_id`, `api_key_id`, `model`, `batch` (null unless grouped by them).
Reference: https://platform.openai.com/docs/api-reference/usage/completions

One event per bucket result: `requests` is `num_model_requests`; `input_tokens` loses the
cached part (ours excludes it); the project and API key go to tags `provider_project` and
`api_key`, where attribution rules can find them. The event id is a hash of the bucket and
its grouping, so importing the same export twice is idempotent. A file may hold one page, an
array of pages, or JSON lines of pages (as a paginating script writes them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from billing.ledger.formats.base import SourceRow
from billing.ledger.formats.jsonsource import records

GROUPING = ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier")


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
                yield _event(number, bucket, result, raw_result)


def _event(number: int, bucket: dict[str, Any], result: dict[str, Any], raw: str) -> SourceRow:
    start = bucket.get("start_time")
    if not isinstance(start, int):
        return SourceRow(number, None, raw, "bucket start_time must be Unix seconds",
                         "start_time")
    grouping = "|".join(str(result.get(name)) for name in GROUPING)
    key = hashlib.sha256(f"{start}|{bucket.get('end_time')}|{grouping}".encode()).hexdigest()
    input_tokens = result.get("input_tokens")
    cached = result.get("input_cached_tokens") or 0
    event: dict[str, Any] = {
        "event_id": f"openai:{key[:40]}",
        "occurred_at": datetime.fromtimestamp(start, UTC).isoformat().replace("+00:00", "Z"),
        "provider": "openai",
        "model": result.get("model"),
        "input_tokens": input_tokens - cached if isinstance(input_tokens, int)
        and isinstance(cached, int) else input_tokens,
        "output_tokens": result.get("output_tokens"),
        "cached_input_tokens": cached,
        "requests": result.get("num_model_requests"),
    }
    tags = {"provider_project": result.get("project_id"), "api_key": result.get("api_key_id"),
            "user": result.get("user_id")}
    if result.get("batch") is not None:
        tags["batch"] = str(result["batch"]).lower()
    event["tags"] = {k: str(v) for k, v in tags.items() if v is not None}
    if not event["tags"]:
        del event["tags"]
    return SourceRow(number, event, raw)
