"""POST /v1/usage: a gateway sends a batch of usage events, as a JSON array or NDJSON."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from billing.api import deps, problems
from billing.api.deps import AppSettings
from billing.api.problems import Problem
from billing.ledger.formats import native
from billing.ledger.formats.native import read as read_native
from billing.ledger.metering import IngestResult, ingest_lines, ingest_rows

router = APIRouter(prefix="/v1", tags=["usage"])

_NOT_EVENTS = {native.NOT_AN_OBJECT, native.NOT_AN_ELEMENT, native.NOT_AN_ARRAY}
MAX_BODY_BYTES = 64 * 1024 * 1024


class UsageRowError(BaseModel):
    index: int
    event_id: str | None
    field: str | None
    message: str


class UsageBatchResult(BaseModel):
    batch_id: int | None
    accepted: int
    duplicates: int
    rejected: int
    errors: list[UsageRowError]


async def _read_body(request: Request, max_rows: int) -> bytes:
    """The body, refused as soon as it is over the byte limit or, for NDJSON, holds more than
    max_rows events: counted while streaming, so a flood of tiny lines is never parsed."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large(f"the body is {int(declared)} bytes")
    body = bytearray()
    check_at = max_rows
    newlines = 0
    async for part in request.stream():
        body += part
        if len(body) > MAX_BODY_BYTES:
            raise _too_large("the body is larger than that")
        newlines += part.count(b"\n")
        if newlines > check_at and not body.lstrip().startswith(b"["):
            events = _count_lines(body)
            if events > max_rows:
                raise Problem(413, "Batch too large",
                              f"the batch holds more than {max_rows:,} events; send at most "
                              f"{max_rows:,} per request")
            check_at = newlines + max(max_rows - events, max_rows // 10)
    return bytes(body)


def _count_lines(body: bytearray) -> int:
    return sum(1 for line in bytes(body).split(b"\n") if line.strip())


def _too_large(what: str) -> Problem:
    return Problem(413, "Batch too large",
                   f"{what}; send at most {MAX_BODY_BYTES // (1024 * 1024)} MiB and at most "
                   "50,000 events per request, in several requests")


def _refuse_an_object_or_broken_json(body: str) -> None:
    """A JSON body that starts with `{`: one object is not a batch; text that is not JSON
    (and not NDJSON either) is malformed, said with its line and column."""
    try:
        json.loads(body)
    except RecursionError:
        raise Problem(400, "Malformed JSON", "the body is nested too deeply to be a batch of "
                      "events") from None
    except json.JSONDecodeError as exc:
        first_line = body.split("\n", 1)[0]
        if "\n" in body.strip() and _is_json_object(first_line):
            return  # NDJSON sent as application/json: read line by line
        raise Problem(400, "Malformed JSON", f"the body is not valid JSON: {exc.msg} at line "
                      f"{exc.lineno}, column {exc.colno}") from None
    if "\n" not in body.strip():
        raise Problem(400, "Not a batch",
                      "the body is a single JSON object; wrap it in an array: [ {...} ]")


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (json.JSONDecodeError, RecursionError):
        return False


@router.post(
    "/usage",
    response_model=UsageBatchResult,
    dependencies=[Depends(deps.roles("ingest"))],
    responses=problems.responses(400, 401, 403, 413, 415, 422),
    summary="Ingest a batch of usage events",
    description=(
        "Body: a JSON array of usage events (`application/json`) or one event per line "
        "(`application/x-ndjson`), at most 50,000 events. Idempotent on `event_id`. "
        "Good events land even when others are rejected; each rejected event is listed with "
        "its index in the batch, the field at fault and what to fix, and kept in quarantine."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": {"type": "object"}},
                    "example": [{
                        "event_id": "req_01", "occurred_at": "2026-10-01T12:00:00Z",
                        "team": "support", "use_case": "support-copilot",
                        "provider": "openai", "model": "gpt-4o-mini",
                        "input_tokens": 1200, "output_tokens": 300,
                    }],
                },
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
async def post_usage(
    request: Request, settings: AppSettings,
    allow_backfill: bool = Query(
        False, description="accept events dated before 2000-01-01 or more than a day ahead "
        "(a deliberate backfill, as `billing ingest --allow-backfill`); without it each such "
        "event is rejected naming occurred_at"),
) -> UsageBatchResult:
    content_type = request.headers.get("content-type", "")
    if content_type and "json" not in content_type:
        raise Problem(415, "Unsupported media type",
                      f"the body is {content_type.split(';')[0]}; send usage events as "
                      "application/json (an array) or application/x-ndjson (one per line)")
    body = await _read_body(request, settings.max_batch_events)
    text = body.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if not stripped:
        raise Problem(400, "Empty batch", "the body holds no events; send a JSON array or NDJSON")
    if "json" in content_type and "ndjson" not in content_type and stripped[0] == "{":
        _refuse_an_object_or_broken_json(stripped)
    lines = text.splitlines()
    if stripped[0] != "[" and any(line.lstrip().startswith("{") for line in lines):
        return await _ingest_json_lines(request, settings, lines, allow_backfill)
    rows = list(read_native(lines))
    if len(rows) == 1 and rows[0].data is None and stripped[0] == "[":
        raise Problem(400, "Malformed JSON", rows[0].error or "the body is not valid JSON")
    if rows and all(row.data is None and row.error in _NOT_EVENTS for row in rows):
        raise Problem(400, "Not a batch", "the body holds no JSON object; send a JSON array of "
                      "event objects or one event object per line")
    if not rows:
        raise Problem(400, "Empty batch", "the batch holds no events; send at least one")
    if len(rows) > settings.max_batch_events:
        raise Problem(413, "Batch too large",
                      f"the batch holds {len(rows)} events; send at most "
                      f"{settings.max_batch_events:,} per request")
    result = await run_in_threadpool(
        ingest_rows, request.app.state.engine, rows, zone=settings.zone, fmt="native",
        source="api", backfill=allow_backfill,
    )
    return _batch_result(result)


async def _ingest_json_lines(request: Request, settings: AppSettings, lines: list[str],
                             allow_backfill: bool) -> UsageBatchResult:
    """NDJSON holding at least one object: each line goes to the typed decoder, and only a
    line it does not settle is parsed into a dict (billing/ledger/metering.ingest_lines)."""
    events = sum(1 for line in lines if line and not line.isspace())
    if events > settings.max_batch_events:
        raise Problem(413, "Batch too large",
                      f"the batch holds {events} events; send at most "
                      f"{settings.max_batch_events:,} per request")
    result = await run_in_threadpool(
        ingest_lines, request.app.state.engine, lines, zone=settings.zone, fmt="native",
        source="api", backfill=allow_backfill,
    )
    return _batch_result(result)


def _batch_result(result: IngestResult) -> UsageBatchResult:
    return UsageBatchResult(
        batch_id=result.batch_id,
        accepted=result.accepted,
        duplicates=result.duplicates,
        rejected=result.rejected,
        errors=[
            UsageRowError(index=e.row - 1, event_id=e.event_id, field=e.field, message=e.message)
            for e in result.errors
        ],
    )
