"""Finalised documents on disk: the PDF and its JSON twin under BILLING_DOCUMENTS_DIR/<period>/.

The database row holds the JSON twin, which is the document; files are rendered from it. A
document whose PDF is missing (the close was stopped after it committed) is rendered by the
next close or `billing statements render`; rendering the same twin again gives the same file.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update

from billing.models import Document
from invoices import from_json, render_credit_note, render_invoice, render_statement

documents = Document.__table__
RENDERERS: dict[str, Callable[[Any, Path], Path]] = {
    "statement": render_statement, "invoice": render_invoice, "credit_note": render_credit_note,
}


def _safe(number: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in number)


def render_missing(
    engine: Engine, documents_dir: Path, *, period: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Write the PDF and JSON twin of every stored document that has no PDF yet."""
    query = select(documents.c.id, documents.c.kind, documents.c.number, documents.c.period,
                   documents.c.content).where(documents.c.pdf_sha256.is_(None))
    if period:
        query = query.where(documents.c.period == period)
    with engine.connect() as connection:
        pending = connection.execute(query.order_by(documents.c.id)).all()
    timings: list[float] = []
    for done, row in enumerate(pending, start=1):
        folder = documents_dir / row.period
        folder.mkdir(parents=True, exist_ok=True)
        stem = folder / _safe(row.number)
        twin = json.loads(row.content)
        started = time.perf_counter()
        pdf = RENDERERS[row.kind](from_json(twin), stem.with_suffix(".pdf"))
        timings.append(time.perf_counter() - started)
        stem.with_suffix(".json").write_text(json.dumps(twin, indent=2, ensure_ascii=False)
                                             + "\n", encoding="utf-8")
        digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
        with engine.begin() as connection:
            connection.execute(update(documents).where(documents.c.id == row.id)
                               .values(pdf_path=str(pdf), pdf_sha256=digest))
        if progress:
            progress(done, len(pending))
    return {"rendered": len(pending), "seconds": sum(timings),
            "per_document_ms": (sum(timings) / len(timings) * 1000) if timings else 0.0}
