"""Errors as RFC 9457 problem details: a title, a human message, and the field at fault."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from billing import identifiers, period
from billing.money import CurrencyMismatch

PROBLEM_JSON = "application/problem+json"
PERIOD = period.PATTERN
DAY = r"^\d{4}-\d{2}-\d{2}$"
# What a parameter of each shared pattern must be, in words (not the regular expression)
WRITTEN_AS = {PERIOD: period.WRITTEN_AS,
              DAY: "a date written YYYY-MM-DD, such as 2026-10-05"}
LOCATIONS = ("body", "query", "path", "header")
_FASTAPI_UNREADABLE = "There was an error parsing the body"
_UNREADABLE = ("the body could not be read as JSON (not UTF-8, or nested too deeply); send one "
               "JSON object, as the example in /docs shows")
MAX_CURSOR = 2**63 - 1  # ids are 64-bit signed integers in every database


def checked_day(name: str, value: str | None) -> str | None:
    """A YYYY-MM-DD parameter that is also a real date: the pattern alone lets 2026-13-45 in."""
    if value is not None:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise Problem(422, "Invalid request", f"{name} {value!r} is not a date; it must be "
                          f"{WRITTEN_AS[DAY]}", field=name) from None
    return value


class Problem(Exception):
    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field
        self.headers = headers
        self.extra = extra


def problem_response(
    status: int, title: str, detail: str, *, field: str | None = None,
    headers: dict[str, str] | None = None, **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status,
                            "detail": detail}
    if field:
        body["field"] = field
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install(app: FastAPI) -> None:
    _document_only_problems(app)

    @app.exception_handler(Problem)
    async def _problem(_request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.detail, field=exc.field,
                                headers=exc.headers, **exc.extra)

    @app.exception_handler(CurrencyMismatch)
    async def _mismatch(_request: Request, exc: CurrencyMismatch) -> JSONResponse:
        # money of two currencies met (a pool with no FX rate for the period): the data needs
        # a rate recorded, the request itself is fine
        return problem_response(409, "Currency mismatch", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part not in LOCATIONS)
        listed = [{"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")}
                  for e in errors]
        # a {team} is checked by the route and by its team_path dependency: say it once
        return problem_response(
            422, "Invalid request", _message(first, where), field=where or None,
            errors=[item for n, item in enumerate(listed) if item not in listed[:n]],
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {400: "Malformed request", 404: "Not found", 405: "Method not allowed",
                  401: "Unauthorized"}
        detail = _UNREADABLE if str(exc.detail) == _FASTAPI_UNREADABLE else str(exc.detail)
        return problem_response(exc.status_code, titles.get(exc.status_code, "Error"),
                                detail, headers=getattr(exc, "headers", None))


def _document_only_problems(app: FastAPI) -> None:
    """FastAPI documents its own 422 (an application/json HTTPValidationError) on every route
    with parameters; ours is a problem, documented by the routes whose parameters can fail."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        for item in document["paths"].values():
            for operation in item.values():
                found = operation.get("responses", {}).get("422")
                if found and PROBLEM_JSON not in found.get("content", {}):
                    del operation["responses"]["422"]
        for name in ("HTTPValidationError", "ValidationError"):
            document.get("components", {}).get("schemas", {}).pop(name, None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _message(error: dict[str, Any], where: str) -> str:
    """A validation error in words: a shared pattern says what it expects, not its regex."""
    if error.get("type") == "identifier":  # billing.api.names: say it with the parameter
        found = identifiers.problem(str(error.get("input", "")), where or "name")
        if found:
            return found
    written_as = WRITTEN_AS.get((error.get("ctx") or {}).get("pattern", ""))
    if error.get("type") == "string_pattern_mismatch" and written_as:
        return f"{where} must be {written_as}"
    return f"{where or 'request'}: {error.get('msg', 'invalid')}"


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object", "title": "Problem", "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "integer"}, "detail": {"type": "string"},
        "field": {"type": "string", "description": "the field at fault, when there is one"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
_DESCRIPTIONS = {
    400: "Malformed request", 401: "Missing, wrong, expired or revoked API key",
    403: "The key's role may not do this", 404: "Not found (or not yours to see)",
    409: "Money of two currencies met: record an FX rate (`billing fx set`)",
    413: "Batch too large", 415: "Unsupported media type", 422: "A parameter or field is invalid",
    500: "A defect on the server, never the request's fault: quote the X-Request-ID to the "
         "operator",
    503: "Not configured on this server",
}


def responses(*statuses: int, said: dict[int, str] | None = None
              ) -> dict[int | str, dict[str, Any]]:
    """The problem statuses one route can answer, for its `responses=`: the OpenAPI document
    then promises only what the route does (checked by schemathesis). 500 is always there;
    `said` words a status for this route when the shared description does not fit."""
    words = _DESCRIPTIONS | (said or {})
    return {status: {"description": words[status],
                     "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}
            for status in sorted({*statuses, 500})}
