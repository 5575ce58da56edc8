"""Stripe's payment link for an issued invoice, on a notice beside it: the invoice stays as issued.

An issued invoice is immutable: its JSON twin, its PDF and both hashes are those of the close
(`billing.close.document_files.verified_pdf` serves nothing else). The hosted-invoice link is
known only once the invoice is in Stripe, so it is stored on the document's row
(`stripe_hosted_url`) and printed on a payment notice, `<invoice file>.payment.pdf`, written
once beside the invoice's PDF (`invoices.pdf_payment_notice`).
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, select

from billing.close.document_files import file_stem
from billing.models import Document
from invoices import from_json

documents = Document.__table__


def notice_path(documents_dir: Path, period: str, pdf_path: str | None, number: str,
                document_id: int) -> Path:
    stem = Path(pdf_path).stem if pdf_path else file_stem(number, document_id)
    return documents_dir / period / f"{stem}.payment.pdf"


def write_payment_notice(engine: Engine, documents_dir: Path, document_id: int,
                         url: str) -> Path | None:
    """The invoice's payment notice with `url`; None for a document that is no invoice.
    reportlab loads here, when a notice is drawn, not when a command starts."""
    from invoices.pdf_payment_notice import render_payment_notice

    with engine.connect() as connection:
        row = connection.execute(select(documents).where(documents.c.id == document_id)).one()
    if row.kind != "invoice":
        return None
    target = notice_path(documents_dir, row.period, row.pdf_path, row.number, row.id)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.rendering")
    render_payment_notice(from_json(json.loads(row.content)), url, scratch)
    scratch.replace(target)
    return target
