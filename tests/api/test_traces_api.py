"""POST /v1/traces, the OTLP/HTTP receiver: the real OpenTelemetry SDK and its OTLP/HTTP
exporter send GenAI spans to the app under uvicorn; OTLP/JSON, gzip, partial success, one span
in two encodings, and the refusals."""

from __future__ import annotations

import base64
import gzip
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import uvicorn
from fastapi.testclient import TestClient
from google.protobuf import json_format
from google.rpc import code_pb2
from google.rpc.error_details_pb2 import BadRequest
from google.rpc.status_pb2 import Status as StatusMessage
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import text

from billing.api.app import create_app
from billing.api_keys import create_key
from billing.ledger.formats import otel

AUTH = {"Authorization": "Bearer test-key"}
USAGE = Path(__file__).parent.parent / "fixtures" / "usage"
OCTOBER = 1791194400 * 10**9  # 2026-10-05T10:00:00Z
TRACE = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
SPAN = "1a2b3c4d5e6f7081"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(engine, settings) -> Iterator[str]:  # noqa: ANN001
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def client(engine, settings):  # noqa: ANN001
    with TestClient(create_app(settings)) as client:
        yield client


def _genai_spans() -> list:
    """Spans as an application instrumented with the GenAI conventions makes them."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({"service.name": "support-bot",
                                                 "team": "support",
                                                 "deployment.environment.name": "production"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("opentelemetry.instrumentation.openai_v2")
    calls = [("chat gpt-4o-mini", {"gen_ai.operation.name": "chat", "gen_ai.provider.name":
              "openai", "gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 1200,
              "gen_ai.usage.output_tokens": 300, "gen_ai.usage.cache_read.input_tokens": 1000,
              "use_case": "support-copilot"}, None),
             ("embeddings text-embedding-3-small", {"gen_ai.operation.name": "embeddings",
              "gen_ai.provider.name": "openai", "gen_ai.request.model":
              "text-embedding-3-small", "gen_ai.usage.input_tokens": 6}, None),
             ("chat gpt-4o-mini", {"gen_ai.operation.name": "chat", "gen_ai.provider.name":
              "openai", "gen_ai.request.model": "gpt-4o-mini", "error.type": "RateLimitError"},
              Status(StatusCode.ERROR, "Error code: 429")),
             ("GET /tickets", {"http.request.method": "GET"}, None)]
    for offset, (name, attributes, status) in enumerate(calls):
        span = tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes,
                                 start_time=OCTOBER + offset * 10**9)
        if status:
            span.set_status(status)
        span.end(end_time=OCTOBER + offset * 10**9 + 5 * 10**8)
    return list(memory.get_finished_spans())


def _events(engine) -> dict:  # noqa: ANN001
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT event_id, model, team, use_case, environment, input_tokens, output_tokens, "
            "cached_input_tokens, call_status FROM usage_event ORDER BY occurred_at")).all()
    return {row[0]: tuple(row[1:]) for row in rows}


@pytest.mark.parametrize("compression", [Compression.Gzip, Compression.NoCompression])
def test_the_sdk_exporter_sends_genai_spans_that_land_with_tokens_and_team(
        served, engine, compression):  # noqa: ANN001
    spans = _genai_spans()
    exporter = OTLPSpanExporter(endpoint=f"{served}/v1/traces", headers=AUTH,
                                compression=compression, timeout=10)
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    chat, embeddings, failed = (f"otel:{span.context.trace_id:032x}:{span.context.span_id:016x}"
                                for span in spans[:3])
    assert _events(engine) == {
        chat: ("gpt-4o-mini", "support", "support-copilot", "production", 200, 300, 1000, "ok"),
        embeddings: ("text-embedding-3-small", "support", None, "production", 6, 0, 0, "ok"),
        failed: ("gpt-4o-mini", "support", None, "production", 0, 0, 0, "failed"),
    }
    assert exporter.export(spans) == SpanExportResult.SUCCESS  # a retry: duplicates
    assert len(_events(engine)) == 3
    exporter.shutdown()


def test_the_sdk_exporter_takes_a_refusal_as_final_and_does_not_retry(
        served, engine, caplog):  # noqa: ANN001
    team = create_key(engine, "team", team="support")[0]
    exporter = OTLPSpanExporter(endpoint=f"{served}/v1/traces", timeout=10,
                                headers={"Authorization": f"Bearer {team}"})
    with caplog.at_level("WARNING"):
        assert exporter.export(_genai_spans()) == SpanExportResult.FAILURE
    [record] = [r for r in caplog.records if r.name.startswith("opentelemetry")]
    assert "Failed to export spans batch code: 403" in record.getMessage()  # and no retry
    assert _events(engine) == {}
    exporter.shutdown()


def test_otlp_json_export_of_the_official_instrumentation_is_received(client, engine):
    body = (USAGE / "otel_openai_v2_spans.json").read_bytes()
    first = client.post("/v1/traces", content=body,
                        headers=AUTH | {"Content-Type": "application/json"})
    assert (first.status_code, first.json()) == (200, {})
    assert first.headers["content-type"] == "application/json"
    again = client.post("/v1/traces", content=gzip.compress(body), headers=AUTH | {
        "Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert (again.status_code, again.json()) == (200, {})
    assert [event[-1] for event in _events(engine).values()] == ["ok", "ok", "failed"]


def _export(trace_id: str, span_id: str, input_tokens: str = "10") -> dict:
    return {"resourceSpans": [{"resource": {"attributes": [
        {"key": "team", "value": {"stringValue": "support"}}]}, "scopeSpans": [{"spans": [{
            "traceId": trace_id, "spanId": span_id, "name": "chat gpt-4o-mini", "kind": 3,
            "startTimeUnixNano": str(OCTOBER), "endTimeUnixNano": str(OCTOBER + 10**9),
            "attributes": [
                {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o-mini"}},
                {"key": "gen_ai.usage.input_tokens", "value": {"intValue": input_tokens}},
                {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "2"}}]}]}]}]}


def test_one_span_as_protobuf_then_as_json_is_one_event(client, engine):

    message = json_format.ParseDict(
        _export(base64.b64encode(bytes.fromhex(TRACE)).decode(),
                base64.b64encode(bytes.fromhex(SPAN)).decode()), ExportTraceServiceRequest())
    sent = client.post("/v1/traces", content=message.SerializeToString(),
                       headers=AUTH | {"Content-Type": "application/x-protobuf"})
    assert sent.status_code == 200
    assert sent.headers["content-type"] == "application/x-protobuf"
    assert not ExportTraceServiceResponse.FromString(sent.content).HasField("partial_success")
    again = client.post("/v1/traces", content=orjson.dumps(_export(TRACE, SPAN)),
                        headers=AUTH | {"Content-Type": "application/json"})
    assert (again.status_code, again.json()) == (200, {})
    assert list(_events(engine)) == [f"otel:{TRACE}:{SPAN}"]


def test_a_refused_span_is_a_partial_success_naming_it(client, engine):
    from google.protobuf import json_format

    export = _export(TRACE, SPAN, input_tokens="-5")
    export["resourceSpans"][0]["scopeSpans"][0]["spans"].append(
        _export(TRACE, "2a2b3c4d5e6f7082")["resourceSpans"][0]["scopeSpans"][0]["spans"][0])
    answer = client.post("/v1/traces", content=orjson.dumps(export),
                         headers=AUTH | {"Content-Type": "application/json"})
    assert answer.status_code == 200
    partial = answer.json()["partialSuccess"]
    assert int(partial["rejectedSpans"]) == 1
    assert f"otel:{TRACE}:{SPAN}" in partial["errorMessage"]
    assert "input_tokens" in partial["errorMessage"]
    assert len(_events(engine)) == 1
    with engine.connect() as connection:
        [(fmt, raw)] = connection.execute(text("SELECT format, raw FROM quarantined_row")).all()
    replayed = next(otel.read([raw]))  # kept as one span the otel reader reads again
    assert (fmt, replayed.data["event_id"], replayed.data["team"]) == (
        "otel", f"otel:{TRACE}:{SPAN}", "support")
    message = json_format.ParseDict(export, ExportTraceServiceRequest())
    binary = client.post("/v1/traces", content=message.SerializeToString(),
                         headers=AUTH | {"Content-Type": "application/x-protobuf"})
    assert ExportTraceServiceResponse.FromString(binary.content).partial_success.rejected_spans \
        == 1


@pytest.mark.parametrize(("headers", "body", "status", "words"), [
    ({"Content-Type": "text/plain"}, b"hello", 415, "application/x-protobuf"),
    ({"Content-Type": "application/x-protobuf"}, b"\xff\xff\xff", 400, "protobuf"),
    ({"Content-Type": "application/json"}, b"{not json", 400, "not valid JSON"),
    ({"Content-Type": "application/json"}, b"[1, 2]", 400, "resourceSpans"),
    ({"Content-Type": "application/json"}, b'{"resourceSpans": 7}', 400, "array"),
    ({"Content-Type": "application/json", "Content-Encoding": "gzip"}, b"plain", 400, "gzip"),
    ({"Content-Type": "application/json", "Content-Encoding": "br"}, b"{}", 415, "gzip"),
])
def test_refusals_say_what_to_send(client, headers, body, status, words):  # noqa: ANN001
    answer = client.post("/v1/traces", content=body, headers=AUTH | headers)
    assert answer.status_code == status, answer.text
    assert words in _status(answer, headers["Content-Type"]).message


def _status(answer, sent: str) -> StatusMessage:  # noqa: ANN001
    """The google.rpc.Status of a failure, read in the encoding the request was sent in (the
    OTLP/HTTP specification: same Content-Type as the request; JSON when that was neither)."""
    media = sent if sent in ("application/x-protobuf", "application/json") \
        else "application/json"
    assert answer.headers["content-type"] == media
    if media == "application/x-protobuf":
        return StatusMessage.FromString(answer.content)
    return json_format.ParseDict(answer.json(), StatusMessage())


def test_bad_data_names_the_field_in_a_bad_request_detail(client):
    for media, body in (("application/json", b'{"resourceSpans": 7}'),):
        answer = client.post("/v1/traces", content=body, headers=AUTH | {"Content-Type": media})
        status = _status(answer, media)
        assert status.code == code_pb2.INVALID_ARGUMENT
        [detail] = status.details
        violation = BadRequest()
        assert detail.Unpack(violation)
        assert violation.field_violations[0].field == "resourceSpans"
        assert "array" in violation.field_violations[0].description
    raw = client.post("/v1/traces", content=b'{"resourceSpans": 7}',
                      headers=AUTH | {"Content-Type": "application/json"}).json()
    assert raw["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"


def test_a_gzip_bomb_is_refused_before_it_fills_memory(client):
    bomb = gzip.compress(b"\0" * (65 * 1024 * 1024), compresslevel=9)
    answer = client.post("/v1/traces", content=bomb, headers=AUTH | {
        "Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"})
    assert answer.status_code == 413
    assert "decompressed" in _status(answer, "application/x-protobuf").message


@pytest.mark.parametrize("media", ["application/json", "application/x-protobuf"])
def test_only_ingest_and_admin_keys_may_send(client, engine, media):  # noqa: ANN001
    message = json_format.ParseDict(_export(TRACE, SPAN), ExportTraceServiceRequest())
    body = orjson.dumps(_export(TRACE, SPAN)) if media == "application/json" \
        else message.SerializeToString()
    json_type = {"Content-Type": media}
    missing = client.post("/v1/traces", content=body, headers=json_type)
    assert missing.status_code == 401
    assert _status(missing, media).code == code_pb2.UNAUTHENTICATED
    team = create_key(engine, "team", team="support")[0]
    refused = client.post("/v1/traces", content=body,
                          headers=json_type | {"Authorization": f"Bearer {team}"})
    assert refused.status_code == 403
    assert "ingest" in _status(refused, media).message
    ingest = create_key(engine, "ingest")[0]
    sent = client.post("/v1/traces", content=body,
                       headers=json_type | {"Authorization": f"Bearer {ingest}"})
    assert sent.status_code == 200
