"""OpenTelemetry GenAI spans, exported as JSON, as usage events.

Attributes from the GenAI semantic conventions
(https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/):
`gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens`, `gen_ai.request.model` (else
`gen_ai.response.model`), `gen_ai.provider.name` (older: `gen_ai.system`), and
`gen_ai.usage.cache_read.input_tokens` / `gen_ai.usage.cache_creation.input_tokens`, which
the conventions say SHOULD be included in `gen_ai.usage.input_tokens`: both are subtracted, so
nothing is charged twice.

Two shapes are read: OTLP/JSON (`resourceSpans[].scopeSpans[].spans[]`, attributes as
`[{"key", "value": {"intValue": "12"}}]`, integers as strings) and one span per line with an
`attributes` object (a console or file exporter). Span and resource attributes `team`,
`use_case`, `customer`, `prompt_version` and `deployment.environment.name` (or
`deployment.environment`) fill those fields. Spans without GenAI usage are skipped. The event
id is `trace_id:span_id`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from billing.ledger.formats.base import SourceRow
from billing.ledger.formats.jsonsource import records

PROVIDERS = {"aws.bedrock": "aws-bedrock", "azure.ai.openai": "azure-openai",
             "azure.ai.inference": "azure-openai", "gcp.gemini": "google",
             "gcp.vertex_ai": "google", "gcp.gen_ai": "google", "mistral_ai": "mistral",
             "openai": "openai", "anthropic": "anthropic"}
OWNER_KEYS = ("team", "use_case", "customer", "prompt_version")


def read(lines: Iterable[str]) -> Iterator[SourceRow]:
    number = 0
    for _row, record, raw, error in records(lines):
        if error is not None or not isinstance(record, dict):
            number += 1
            yield SourceRow(number, None, raw, error or "expected a span or an OTLP export")
            continue
        for span, resource in _spans(record):
            attributes = {**resource, **_attributes(span.get("attributes"))}
            if "gen_ai.usage.input_tokens" not in attributes and \
                    "gen_ai.request.model" not in attributes:
                continue
            number += 1
            yield SourceRow(number, _event(span, attributes), orjson.dumps(
                {**span, "attributes": attributes}).decode())


def _spans(record: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    if "resourceSpans" in record:
        for resource_spans in record["resourceSpans"] or []:
            resource = _attributes((resource_spans.get("resource") or {}).get("attributes"))
            for scope in resource_spans.get("scopeSpans") or []:
                for span in scope.get("spans") or []:
                    yield span, resource
    else:
        yield record, _attributes((record.get("resource") or {}).get("attributes"))


def _value(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return value["intValue"]
    return None


def _attributes(attributes: Any) -> dict[str, Any]:
    if isinstance(attributes, dict):
        return dict(attributes)
    if isinstance(attributes, list):
        return {item.get("key"): _value(item.get("value")) for item in attributes
                if isinstance(item, dict)}
    return {}


def _start(span: dict[str, Any]) -> str | None:
    nanos = span.get("startTimeUnixNano", span.get("start_time_unix_nano"))
    if nanos is not None:
        try:
            whole = int(nanos)
        except (TypeError, ValueError):
            return str(nanos)
        moment = datetime.fromtimestamp(whole // 10**9, UTC).replace(
            microsecond=whole % 10**9 // 1000)
        return moment.isoformat().replace("+00:00", "Z")
    start = span.get("start_time")
    return start if isinstance(start, str) else None


def _event(span: dict[str, Any], attributes: dict[str, Any]) -> dict[str, Any]:
    context = span.get("context") or {}
    trace_id = span.get("traceId") or context.get("trace_id")
    span_id = span.get("spanId") or context.get("span_id")
    cached = attributes.get("gen_ai.usage.cache_read.input_tokens") or 0
    cache_write = attributes.get("gen_ai.usage.cache_creation.input_tokens") or 0
    input_tokens = attributes.get("gen_ai.usage.input_tokens")
    if isinstance(input_tokens, int) and isinstance(cached, int) and isinstance(cache_write, int):
        input_tokens -= cached + cache_write
    provider = attributes.get("gen_ai.provider.name") or attributes.get("gen_ai.system")
    event: dict[str, Any] = {
        "event_id": f"otel:{trace_id}:{span_id}" if trace_id and span_id else None,
        "occurred_at": _start(span),
        "provider": PROVIDERS.get(provider, provider) if provider else None,
        "model": attributes.get("gen_ai.request.model") or attributes.get(
            "gen_ai.response.model"),
        "input_tokens": input_tokens,
        "output_tokens": attributes.get("gen_ai.usage.output_tokens"),
        "cached_input_tokens": cached,
        "cache_write_input_tokens": cache_write,
        "environment": attributes.get("deployment.environment.name")
        or attributes.get("deployment.environment"),
    }
    for key in OWNER_KEYS:
        event[key] = attributes.get(key) or attributes.get(f"app.{key}")
    return {k: v for k, v in event.items() if v is not None}
