"""OpenTelemetry GenAI spans, exported as JSON or received over OTLP, as usage events.

Attributes from the GenAI semantic conventions
(https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/):
`gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens`, `gen_ai.request.model` (else
`gen_ai.response.model`), `gen_ai.provider.name` (older: `gen_ai.system`), and
`gen_ai.usage.cache_read.input_tokens` / `gen_ai.usage.cache_creation.input_tokens`, which
the conventions say SHOULD be included in `gen_ai.usage.input_tokens`: both are subtracted, so
nothing is charged twice. Older names, as OpenLLMetry and earlier instrumentations write them,
are read too: `gen_ai.usage.prompt_tokens` / `completion_tokens`,
`gen_ai.usage.cache_read_input_tokens` / `cache_creation_input_tokens`. Cache counts larger
than the input count cannot be part of it (an instrumentation reporting uncached input): the
input is then taken as it is.

Three shapes are read: OTLP/JSON (`resourceSpans[].scopeSpans[].spans[]`, attributes as
`[{"key", "value": {"intValue": "12"}}]`, integers as strings), also what the OTLP receiver
(`POST /v1/traces`) decodes; one span per line with an `attributes` object (a file exporter);
and the Python SDK's ConsoleSpanExporter output (pretty-printed span objects one after
another). Span and resource attributes `team`, `use_case`, `customer`, `prompt_version` and
`deployment.environment.name` (or `deployment.environment`) fill those fields. Spans without
GenAI usage are skipped.

An embeddings span has no output tokens: 0. A failed call (span status ERROR, or an
`error.type` attribute) is kept as `call_status: failed`, with 0 tokens when it reports none,
and is not billed. The event id is `otel:trace_id:span_id` with both ids as lower-case hex,
however they arrived (hex, `0x` hex as the console exporter writes them, base64 as protobuf's
JSON mapping writes them), so one span sent twice in two encodings is one event.

Service levels: the span's end minus its start is the call's `latency_ms`; its outcome
`status` is ok unless it failed, then rate_limited (`error.type` or
`http.response.status_code` 429, or a rate-limit error class), timeout, refused (a content
filter) or error. A finish reason `content_filter` on a successful span is a refusal.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from billing.ledger.formats.base import SourceRow, guarded
from billing.ledger.formats.jsonsource import records

PROVIDERS = {"aws.bedrock": "aws-bedrock", "azure.ai.openai": "azure-openai",
             "azure.ai.inference": "azure-openai", "gcp.gemini": "google",
             "gcp.vertex_ai": "google", "gcp.gen_ai": "google", "mistral_ai": "mistral",
             "openai": "openai", "anthropic": "anthropic"}
OWNER_KEYS = ("team", "use_case", "customer", "prompt_version")
INPUT = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
OUTPUT = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
CACHE_READ = ("gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens")
CACHE_WRITE = ("gen_ai.usage.cache_creation.input_tokens",
               "gen_ai.usage.cache_creation_input_tokens")
MARKERS = (*INPUT, "gen_ai.request.model")
NO_OUTPUT = ("embeddings", "embedding")
ERROR_STATUS = (2, "2", "ERROR", "STATUS_CODE_ERROR")
ID_BYTES = {"trace": 16, "span": 8}


def read(lines: Iterable[str]) -> Iterator[SourceRow]:
    number = 0
    for _row, record, raw, error in records(lines):
        if error is not None or not isinstance(record, dict):
            number += 1
            yield SourceRow(number, None, raw, error or "expected a span or an OTLP export")
            continue
        for row in genai_rows(record, first=number + 1):
            number = row.row
            yield row


def genai_rows(export: dict[str, Any], *, first: int = 1) -> Iterator[SourceRow]:
    """A SourceRow per GenAI span of one OTLP export (or one span), numbered from `first`;
    other spans are skipped."""
    number = first - 1
    for span, resource in _spans(export):
        attributes = {**resource, **_attributes(span.get("attributes"))}
        if not any(name in attributes for name in MARKERS):
            continue
        number += 1
        raw = orjson.dumps({**span, "attributes": attributes}, default=str).decode()
        yield guarded(_row, number, (span, attributes), raw)


def _row(number: int, found: tuple[dict[str, Any], dict[str, Any]], raw: str) -> SourceRow:
    return SourceRow(number, _event(*found), raw)


def _spans(record: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Each span with its resource's attributes; parts of the wrong JSON type hold no span."""
    if "resourceSpans" in record:
        for resource_spans in _objects(record["resourceSpans"]):
            resource = _attributes(_object(resource_spans.get("resource")).get("attributes"))
            for scope in _objects(resource_spans.get("scopeSpans")):
                for span in _objects(scope.get("spans")):
                    yield span, resource
    else:
        yield record, _attributes(_object(record.get("resource")).get("attributes"))


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


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
        return {item["key"]: _value(item.get("value")) for item in _objects(attributes)
                if isinstance(item.get("key"), str)}
    return {}


def _start(span: dict[str, Any], which: str = "start") -> str | None:
    nanos = span.get(f"{which}TimeUnixNano", span.get(f"{which}_time_unix_nano"))
    if nanos is not None:
        try:
            whole = int(nanos)
        except (TypeError, ValueError):
            return str(nanos)
        moment = datetime.fromtimestamp(whole // 10**9, UTC).replace(
            microsecond=whole % 10**9 // 1000)
        return moment.isoformat().replace("+00:00", "Z")
    start = span.get(f"{which}_time")
    return start if isinstance(start, str) else None


def _latency(span: dict[str, Any]) -> int | None:
    start, end = _start(span), _start(span, "end")
    try:
        took = datetime.fromisoformat(end) - datetime.fromisoformat(start)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    milliseconds = round(took.total_seconds() * 1000)
    return milliseconds if milliseconds >= 0 else None


def _outcome(failed: bool, attributes: dict[str, Any]) -> str:
    """The span's outcome status for service levels (billing/budgets/slo.py)."""
    reasons = attributes.get("gen_ai.response.finish_reasons") or ()
    if not failed:
        return "refused" if "content_filter" in reasons else "ok"
    kind = str(attributes.get("error.type") or "").lower()
    code = str(attributes.get("http.response.status_code") or "")
    if "429" in (kind, code) or "ratelimit" in kind.replace("_", ""):
        return "rate_limited"
    if "timeout" in kind or code in ("408", "504"):
        return "timeout"
    if "content_filter" in kind or "contentpolicy" in kind.replace("_", ""):
        return "refused"
    return "error"


def normal_id(value: Any, kind: str) -> Any:
    """A trace or span id as lower-case hex, from hex, `0x` hex or base64 (standard or URL-safe,
    padded or not) of its bytes; anything else is kept as it came (the id is then only as
    stable as its sender)."""
    if not isinstance(value, str):
        return value
    size = ID_BYTES[kind]
    text = value.strip()
    digits = text[2:] if text[:2].lower() == "0x" else text
    if len(digits) == 2 * size:
        try:
            return bytes.fromhex(digits).hex()
        except ValueError:
            pass
    padded = text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4)
    try:
        decoded = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return value
    return decoded.hex() if len(decoded) == size else value


def _first(attributes: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if attributes.get(name) is not None:
            return attributes[name]
    return None


def _failed(span: dict[str, Any], attributes: dict[str, Any]) -> bool:
    status = span.get("status") or {}
    code = status.get("code", status.get("status_code")) if isinstance(status, dict) else None
    return code in ERROR_STATUS or bool(attributes.get("error.type"))


def _event(span: dict[str, Any], attributes: dict[str, Any]) -> dict[str, Any]:
    context = span.get("context") or {}
    trace_id = normal_id(span.get("traceId") or context.get("trace_id"), "trace")
    span_id = normal_id(span.get("spanId") or context.get("span_id"), "span")
    cached = _first(attributes, CACHE_READ) or 0
    cache_write = _first(attributes, CACHE_WRITE) or 0
    input_tokens = _first(attributes, INPUT)
    output_tokens = _first(attributes, OUTPUT)
    operation = attributes.get("gen_ai.operation.name") or attributes.get("llm.request.type")
    if output_tokens is None and operation in NO_OUTPUT:
        output_tokens = 0
    status = "failed" if _failed(span, attributes) else "ok"
    if status == "failed":  # nothing billed: a failed call usually reports no usage
        input_tokens, output_tokens = input_tokens or 0, output_tokens or 0
    if all(type(n) is int for n in (input_tokens, cached, cache_write)) and \
            cached + cache_write <= input_tokens:
        input_tokens -= cached + cache_write
    provider = attributes.get("gen_ai.provider.name") or attributes.get("gen_ai.system")
    event: dict[str, Any] = {
        "event_id": f"otel:{trace_id}:{span_id}" if trace_id and span_id else None,
        "occurred_at": _start(span),
        "provider": PROVIDERS.get(provider, provider) if provider else None,
        "model": attributes.get("gen_ai.request.model") or attributes.get(
            "gen_ai.response.model"),
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cached_input_tokens": cached,
        "cache_write_input_tokens": cache_write,
        "environment": attributes.get("deployment.environment.name")
        or attributes.get("deployment.environment"),
        "call_status": status,
        "latency_ms": _latency(span),
        "status": _outcome(status == "failed", attributes),
    }
    for key in OWNER_KEYS:
        event[key] = attributes.get(key) or attributes.get(f"app.{key}")
    return {k: v for k, v in event.items() if v is not None}
