"""Reading finalised documents: lists for the CLI and API, one document with its twin."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, select

from billing.close.credits import balances
from billing.close.receivables import receivable
from billing.models import Document

documents = Document.__table__
LISTED = ("id", "kind", "number", "period", "subject", "currency", "total", "issued_on",
          "due_on", "references_id", "pdf_path", "stripe_invoice_id", "stripe_status",
          "stripe_error", "stripe_hosted_url")


def _row(row: Any) -> dict[str, Any]:
    item = {name: getattr(row, name) for name in LISTED}
    item["total"] = str(item["total"])
    return item


def _credited(connection: Connection, invoice_ids: list[int]) -> dict[int, Decimal]:
    """Credit notes' totals per invoice they correct."""
    if not invoice_ids:
        return {}
    query = select(documents.c.references_id, documents.c.total).where(
        documents.c.kind == "credit_note", documents.c.references_id.in_(invoice_ids))
    credited: dict[int, Decimal] = {}
    for invoice_id, total in connection.execute(query):  # totals are exact decimal text
        credited[invoice_id] = credited.get(invoice_id, Decimal(0)) + Decimal(total)
    return credited


def list_documents(
    engine: Engine, *, kinds: str, period: str | None = None, subject: str | None = None,
    after_id: int | None = None, limit: int | None = None, today: date | None = None,
    overdue: bool = False,
) -> list[dict[str, Any]]:
    """Documents of the given kinds (comma separated): newest period first, by number; or,
    with `limit`, a page in id order after `after_id` (a stable cursor). Invoices carry what
    is still owed on them (billing.close.receivables) as of `today`, and the customer's
    credit still usable in the invoice's currency (`credit_balance`, billing.close.credits);
    `overdue` keeps only invoices with an overdue balance."""
    query = select(*[documents.c[name] for name in LISTED]).where(
        documents.c.kind.in_(kinds.split(",")))
    if period:
        query = query.where(documents.c.period == period)
    if subject:
        query = query.where(documents.c.subject == subject)
    if after_id:
        query = query.where(documents.c.id > after_id)
    if limit:
        query = query.order_by(documents.c.id).limit(limit)
    else:
        query = query.order_by(documents.c.period.desc(), documents.c.kind, documents.c.number)
    with engine.connect() as connection:
        rows = [_row(row) for row in connection.execute(query)]
        invoices = [row for row in rows if row["kind"] == "invoice"]
        credited = _credited(connection, [row["id"] for row in invoices])
    today = today or date.today()
    credit = balances(engine, today) if invoices else {}
    for row in invoices:
        row.update(receivable(row, credited.get(row["id"], Decimal(0)), today))
        row["credit_balance"] = str(credit.get((row["subject"], row["currency"]), Decimal(0)))
    if overdue:
        rows = [row for row in rows if row.get("status") == "overdue"]
    return rows


def find_document(engine: Engine, reference: str, kinds: tuple[str, ...]) -> dict[str, Any] | None:
    """A document of one of `kinds` by its database id (`42`) or its number
    (`ST-2026-10-support`, `INV-2026-00001`); None if there is none."""
    query = select(documents).where(documents.c.kind.in_(kinds))
    if reference.isascii() and reference.isdigit() and len(reference) < 19:
        query = query.where(documents.c.id == int(reference))
    else:
        query = query.where(documents.c.number == reference).order_by(documents.c.id)
    with engine.connect() as connection:
        return _with_content(connection.execute(query).first())


def _with_content(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    item = _row(row)
    item["content"] = json.loads(row.content)
    item["pdf_sha256"] = row.pdf_sha256
    return item


def find_by_number(engine: Engine, kind: str, number: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(select(documents).where(
            documents.c.kind == kind, documents.c.number == number)).first()
