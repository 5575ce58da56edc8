"""POST /v1/traces: an OTLP/HTTP trace receiver, so an OpenTelemetry SDK or Collector sends
GenAI spans straight to the engine.

As the OTLP specification defines it (https://opentelemetry.io/docs/specs/otlp/#otlphttp):
an `ExportTraceServiceRequest` as binary protobuf (`application/x-protobuf`) or as OTLP/JSON
(`application/json`: hex ids, lowerCamelCase fields), optionally gzip-compressed
(`Content-Encoding: gzip`); the answer is an `ExportTraceServiceResponse` in the request's
encoding, with `partial_success` (rejected spans and why) when some GenAI spans were refused.
A failure (4xx, 5xx: a bad body, a missing key, too large) is a `google.rpc.Status`, as the
specification requires of every OTLP/HTTP failure, in the request's encoding and Content-Type
(binary protobuf for protobuf, JSON otherwise), with a `google.rpc.BadRequest` naming the field
when there is one; never problem+json, which an exporter cannot read.
Spans without GenAI usage are not usage and are neither stored nor rejected. A refused span is
quarantined like any rejected row; a span sent again is a duplicate.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute
from google.protobuf import json_format
from google.protobuf.any_pb2 import Any as AnyMessage
from google.protobuf.message import DecodeError
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from billing.api import deps
from billing.api.deps import AppSettings
from billing.api.operations import log
from billing.api.problems import Problem
from billing.api.usage import MAX_BODY_BYTES
from billing.ledger.formats.otel import genai_rows
from billing.ledger.formats.otlp import export_shape
from billing.ledger.metering import IngestResult, ingest_rows

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MAX_MESSAGES = 5  # rejected spans named in partial_success.error_message
CODES = {400: code_pb2.INVALID_ARGUMENT, 401: code_pb2.UNAUTHENTICATED,
         403: code_pb2.PERMISSION_DENIED, 404: code_pb2.NOT_FOUND,
         413: code_pb2.INVALID_ARGUMENT, 415: code_pb2.INVALID_ARGUMENT,
         429: code_pb2.RESOURCE_EXHAUSTED, 503: code_pb2.UNAVAILABLE}


def _media(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def failure(request: Request, status: int, message: str, *, field: str | None = None,
            headers: dict[str, str] | None = None) -> Response:
    """An OTLP/HTTP failure: a google.rpc.Status in the encoding the request was sent in."""
    answer = status_pb2.Status(code=CODES.get(status, code_pb2.INTERNAL), message=message)
    if field and status == 400:
        detail = AnyMessage()
        detail.Pack(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=field, description=message)]))
        answer.details.append(detail)
    if _media(request) == PROTOBUF:
        return Response(answer.SerializeToString(), status_code=status, media_type=PROTOBUF,
                        headers=headers)
    return Response(orjson.dumps(json_format.MessageToDict(answer)), status_code=status,
                    media_type=JSON, headers=headers)


class OtlpRoute(APIRoute):
    """A route whose every failure, its key checks included, is answered as OTLP/HTTP says."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answered(request: Request) -> Response:
            try:
                return await handler(request)
            except Problem as exc:
                return failure(request, exc.status, exc.detail, field=exc.field,
                               headers=exc.headers)
            except StarletteHTTPException as exc:
                return failure(request, exc.status_code, str(exc.detail),
                               headers=getattr(exc, "headers", None))
            except Exception:
                request_id = getattr(request.state, "request_id", "")
                log.exception("server error", extra={
                    "event": "server_error", "request_id": request_id,
                    "method": request.method, "path": request.url.path})
                request.app.state.request_stats.server_errors += 1
                return failure(request, 500, "the server failed on this request; quote "
                               f"request id {request_id} to the operator")

        return answered


router = APIRouter(prefix="/v1", tags=["usage"], route_class=OtlpRoute)


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large(f"the body is {int(declared)} bytes")
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > MAX_BODY_BYTES:
            raise _too_large("the body is larger than that")
    return bytes(body)


def _too_large(what: str) -> Problem:
    return Problem(413, "Batch too large",
                   f"{what}; send at most {MAX_BODY_BYTES // (1024 * 1024)} MiB per export "
                   "(a smaller batch size in the exporter's batch span processor)")


def _decompressed(body: bytes, encoding: str) -> bytes:
    """gzip undone with the same byte limit as the body, so a small bomb cannot fill memory."""
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise Problem(415, "Unsupported media type",
                      f"Content-Encoding {encoding!r} is not supported; send gzip or no "
                      "compression (OTEL_EXPORTER_OTLP_COMPRESSION=gzip or none)")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, MAX_BODY_BYTES + 1)
    except zlib.error as exc:
        raise Problem(400, "Malformed request", f"the body is not valid gzip ({exc}); send it "
                      "compressed with gzip, or drop Content-Encoding") from None
    if len(data) > MAX_BODY_BYTES or inflater.unconsumed_tail:
        raise _too_large("the body is larger than that once decompressed")
    return data


def _export(body: bytes, media: str) -> dict[str, Any]:
    """The export as OTLP/JSON-shaped data, read by the same reader as exported files."""
    if media == PROTOBUF:
        try:
            message = ExportTraceServiceRequest.FromString(body)
        except DecodeError as exc:
            raise Problem(400, "Malformed request", f"the body is not an OTLP "
                          f"ExportTraceServiceRequest in protobuf ({exc})") from None
        return export_shape(message)
    try:
        export = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise Problem(400, "Malformed JSON", f"the body is not valid JSON: {exc}") from None
    if not isinstance(export, dict) or (export and "resourceSpans" not in export):
        raise Problem(400, "Not an OTLP export", "the body must be an OTLP/JSON "
                      "ExportTraceServiceRequest: an object with resourceSpans",
                      field="resourceSpans")
    if not isinstance(export.get("resourceSpans", []), list):
        raise Problem(400, "Not an OTLP export", "resourceSpans must be an array",
                      field="resourceSpans")
    return export


def _answer(result: IngestResult | None, media: str) -> Response:
    answer = ExportTraceServiceResponse()
    if result is not None and result.rejected:
        answer.partial_success.rejected_spans = result.rejected
        named = [f"span {e.event_id or e.row}: {e.field + ': ' if e.field else ''}{e.message}"
                 for e in result.errors[:MAX_MESSAGES]]
        more = result.rejected - len(named)
        tail = f"; and {more} more" if more > 0 else ""
        answer.partial_success.error_message = (
            "; ".join(named) + tail + " (kept in quarantine: fix the instrumentation, or the "
            "rows with billing quarantine, and replay)")
    if media == PROTOBUF:
        return Response(answer.SerializeToString(), media_type=PROTOBUF)
    return Response(orjson.dumps(json_format.MessageToDict(answer)), media_type=JSON)


_STATUS_JSON = {"type": "object", "title": "google.rpc.Status", "properties": {
    "code": {"type": "integer"}, "message": {"type": "string"},
    "details": {"type": "array", "items": {"type": "object"}}}}
_STATUS_CONTENT = {PROTOBUF: {"schema": {"type": "string", "format": "binary"}},
                   JSON: {"schema": _STATUS_JSON}}
_FAILURES = {
    400: "The body is not an OTLP export (a google.rpc.Status, with a google.rpc.BadRequest "
         "naming the field when there is one)",
    401: "Missing, wrong, expired or revoked API key (a google.rpc.Status)",
    403: "The key's role may not ingest (a google.rpc.Status)",
    413: "Batch too large (a google.rpc.Status)",
    415: "Unsupported media type or Content-Encoding (a google.rpc.Status, as JSON)",
    500: "A defect on the server, never the request's fault (a google.rpc.Status)",
}


@router.post(
    "/traces",
    dependencies=[Depends(deps.roles("ingest"))],
    responses={
        200: {"description": "An ExportTraceServiceResponse in the request's encoding; "
              "partialSuccess names the rejected GenAI spans",
              "content": {PROTOBUF: {"schema": {"type": "string", "format": "binary"}},
                          JSON: {"schema": {"type": "object", "properties": {
                              "partialSuccess": {"type": "object", "properties": {
                                  "rejectedSpans": {"type": ["string", "integer"]},
                                  "errorMessage": {"type": "string"}}}}}}}},
        **{status: {"description": words, "content": _STATUS_CONTENT}
           for status, words in _FAILURES.items()},
    },
    response_class=Response,
    summary="Receive OpenTelemetry GenAI spans (OTLP/HTTP)",
    description=(
        "An OTLP/HTTP trace export: `application/x-protobuf` or `application/json`, gzip "
        "accepted. Point an exporter here with `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=<base>/v1/"
        "traces` and `OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<ingest key>`. Each "
        "span with GenAI usage becomes a usage event (as `billing ingest --format otel`), "
        "idempotent on trace and span id; other spans are ignored."
    ),
    openapi_extra={"requestBody": {"required": True, "content": {
        PROTOBUF: {"schema": {"type": "string", "format": "binary"}},
        JSON: {"schema": {"type": "object", "properties": {
            "resourceSpans": {"type": "array", "items": {"type": "object"}}}}},
    }}},
)
async def post_traces(request: Request, settings: AppSettings) -> Response:
    media = _media(request)
    if media not in (PROTOBUF, JSON):
        raise Problem(415, "Unsupported media type",
                      f"the body is {media or 'of no declared type'}; send an OTLP export as "
                      f"{PROTOBUF} or {JSON}")
    body = await _body(request)
    encoding = request.headers.get("content-encoding", "").strip().lower()
    export = _export(_decompressed(body, encoding), media)
    rows = list(genai_rows(export)) if export else []
    if len(rows) > settings.max_batch_events:
        raise Problem(413, "Batch too large",
                      f"the export holds {len(rows):,} GenAI spans; send at most "
                      f"{settings.max_batch_events:,} per request")
    result = None
    if rows:
        result = await run_in_threadpool(
            ingest_rows, request.app.state.engine, rows, zone=settings.zone, fmt="otel",
            source="otlp")
    return _answer(result, media)
