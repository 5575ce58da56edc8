"""Statements and invoices of closed periods: lists, one document (its JSON twin), its PDF.

A document is named by its database id or its number (`ST-2026-10-support`,
`INV-2026-00001`), either with `.pdf` for the PDF. An id or number that is not a document of
the kind asked for is a 404, whatever the reason, so the answer never reveals whether someone
else's document exists.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from billing.api import deps, problems
from billing.api.names import Name
from billing.api.problems import MAX_CURSOR, PERIOD, Problem
from billing.close.document_files import DocumentFileError, file_stem, verified_pdf
from billing.close.document_store import find_document, list_documents

router = APIRouter(prefix="/v1", tags=["documents"], dependencies=[Depends(deps.require_key)])
READERS = [Depends(deps.roles("finance", "team"))]
FINANCE = [Depends(deps.roles("finance"))]
LISTED = problems.responses(401, 403, 404, 422)
ONE = problems.responses(401, 403, 404, 409, said={
    409: "The PDF on disk is not the one issued at the close (its sha256 differs), so it is "
         "not served"})


def _page(request: Request, kinds: str, subject: str, period: str | None, cursor: int | None,
          limit: int) -> dict:
    rows = list_documents(request.app.state.engine, kinds=kinds, subject=subject,
                          period=period, after_id=cursor, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"data": [_public(row) for row in rows],
            "next_cursor": rows[-1]["id"] if more else None}


def _public(document: dict) -> dict:
    """A document as served: where its PDF is on the server is no business of a caller, so the
    file path gives way to the API address of the PDF."""
    shown = {name: value for name, value in document.items() if name != "pdf_path"}
    route = "statements" if document["kind"] == "statement" else "invoices"
    shown["pdf_url"] = (f"/v1/{route}/{quote(document['number'], safe='')}.pdf"
                        if document.get("pdf_path") else None)
    return shown


@router.get("/teams/{team}/statements", summary="A team's showback statements",
            dependencies=[*READERS, Depends(deps.team_path)], responses=LISTED)
def team_statements(
    team: Name, request: Request,
    period: str | None = Query(None, pattern=PERIOD, examples=["2026-10"]),
    cursor: int | None = Query(None, ge=0, le=MAX_CURSOR,
                                description="next_cursor of the previous page"),
    limit: int = Query(50, ge=1, le=500),
) -> dict:
    return _page(request, "statement", team, period, cursor, limit)


@router.get("/customers/{customer}/invoices", summary="A customer's invoices and credit notes",
            dependencies=FINANCE, responses=LISTED)
def customer_invoices(
    customer: Name, request: Request,
    period: str | None = Query(None, pattern=PERIOD, examples=["2026-10"]),
    cursor: int | None = Query(None, ge=0, le=MAX_CURSOR,
                                description="next_cursor of the previous page"),
    limit: int = Query(50, ge=1, le=500),
) -> dict:
    return _page(request, "invoice,credit_note", customer, period, cursor, limit)


def _document(request: Request, document_id: str, kinds: tuple[str, ...]) -> dict:
    as_pdf = document_id.endswith(".pdf")
    reference = document_id.removesuffix(".pdf")
    found = find_document(request.app.state.engine, reference, kinds) if reference else None
    if found is None:
        raise Problem(404, "Not found", f"no such document: {document_id}")
    if found["kind"] == "statement":
        try:
            deps.readable_team(request, deps.require_key(request), found["subject"])
        except Problem:
            raise Problem(404, "Not found", f"no such document: {document_id}") from None
    return found | {"as_pdf": as_pdf}


def _respond(found: dict) -> object:
    if not found.pop("as_pdf"):
        return _public(found)
    try:
        data = verified_pdf(found)
    except DocumentFileError as exc:
        if exc.altered:
            raise Problem(409, "Document file altered", str(exc)) from None
        raise Problem(404, "Not found", str(exc)) from None
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"{file_stem(found['number'], found['id'])}"
                               f".pdf\"; "
                               f"filename*=utf-8''{quote(found['number'])}.pdf"})


@router.get("/statements/{statement_id}", summary="A statement (JSON), or its PDF with .pdf",
            description="`statement_id` is the statement's id or its number, such as "
            "`ST-2026-10-support`; add `.pdf` for the PDF (`ST-2026-10-support.pdf`). A team "
            "key sees only its own team's statements (another's is a 404).",
            dependencies=READERS, responses=ONE)
def statement(statement_id: str, request: Request) -> object:
    return _respond(_document(request, statement_id, ("statement",)))


@router.get("/invoices/{invoice_id}", summary="An invoice or credit note (JSON), or .pdf",
            description="`invoice_id` is the document's id or its number, such as "
            "`INV-2026-00001`; add `.pdf` for the PDF (`INV-2026-00001.pdf`).",
            dependencies=FINANCE, responses=ONE)
def invoice(invoice_id: str, request: Request) -> object:
    return _respond(_document(request, invoice_id, ("invoice", "credit_note")))
