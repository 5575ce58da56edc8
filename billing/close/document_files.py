"""Finalised documents on disk: the PDF and its JSON twin under BILLING_DOCUMENTS_DIR/<period>/.

The database row holds the JSON twin, which is the document; files are rendered from it. A
document whose PDF is missing (the close was stopped after it committed, or the file was
removed) is rendered by the next close; rendering the same twin again gives the same file.

Each document has a file of its own: a number made only of ASCII letters, digits, `.`, `-` and
`_` (every invoice and credit note, most statements) names its file as it is, `INV-2026-00001.pdf`;
any other number (a team with `/`, a NUL, a bidi override, 200 CJK characters) gives a readable
ASCII prefix and the document's id after a `~`, which no plain number contains, so no two
documents can share a name and no name is too long. A file is never written over: a different
file already at the name refuses that document, by number and with the reason, and the others
go on. The PDF's sha256 is stored, and `verified_pdf` checks it before a file is served.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, or_, select, update

import invoices
from billing.models import Document
from invoices import from_json

documents = Document.__table__
RENDERERS = {"statement": "render_statement", "invoice": "render_invoice",
             "credit_note": "render_credit_note"}
"""By name: reportlab loads when a PDF is drawn, not when a command starts."""
PLAIN_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,149}")
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
PREFIX_CHARS = 80


class DocumentFileError(RuntimeError):
    """A document's PDF cannot be served: not rendered yet, or not the file issued."""

    def __init__(self, message: str, *, altered: bool):
        super().__init__(message)
        self.altered = altered


def file_stem(number: str, document_id: int) -> str:
    """The file name of a document without its suffix: unique, ASCII, at most ~100 bytes."""
    if PLAIN_NUMBER.fullmatch(number) and not number.endswith("."):
        return number
    readable = UNSAFE.sub("_", number)[:PREFIX_CHARS].strip("._") or "document"
    return f"{readable}~{document_id}"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _place(rendered: Path, target: Path) -> None:
    """Move `rendered` to `target` unless a different file is there; never write over one."""
    try:
        os.link(rendered, target)
    except FileExistsError:
        if not target.is_file() or _sha256(target) != _sha256(rendered):
            raise FileExistsError(
                f"{target} already exists and is not this document's file; it was left as it "
                "is: move it away, then close the period again to render this document"
            ) from None
    finally:
        rendered.unlink(missing_ok=True)


def _write(folder: Path, stem: str, kind: str, twin: dict[str, Any],
           expected: str | None) -> tuple[Path, str]:
    """Render one document into `folder`; its PDF path and sha256."""
    scratch = folder / f".{stem}.{os.getpid()}.rendering"
    scratch.mkdir(exist_ok=True)
    try:
        render: Callable[[Any, Path], Path] = getattr(invoices, RENDERERS[kind])
        pdf = render(from_json(twin), scratch / "document.pdf")
        digest = _sha256(pdf)
        if expected and digest != expected:
            raise ValueError(f"the re-rendered PDF (sha256 {digest[:12]}) differs from the one "
                             f"issued at the close (sha256 {expected[:12]}); restore the file "
                             "from a backup")
        twin_file = scratch / "document.json"
        twin_file.write_text(json.dumps(twin, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
        target = folder / f"{stem}.pdf"
        _place(pdf, target)
        _place(twin_file, folder / f"{stem}.json")
        return target, digest
    finally:
        for leftover in scratch.glob("*"):
            leftover.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            scratch.rmdir()


def _missing(engine: Engine, period: str | None) -> list[Any]:
    query = select(documents.c.id, documents.c.kind, documents.c.number, documents.c.period,
                   documents.c.content, documents.c.pdf_path, documents.c.pdf_sha256)
    if period:
        query = query.where(documents.c.period == period)
    with engine.connect() as connection:
        rows = connection.execute(query.where(or_(
            documents.c.pdf_sha256.is_(None), documents.c.pdf_path.is_not(None)))
            .order_by(documents.c.id)).all()
    return [row for row in rows if row.pdf_sha256 is None or not Path(row.pdf_path).exists()]


def render_missing(
    engine: Engine, documents_dir: Path, *, period: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Write the PDF and JSON twin of every stored document that has no file yet.

    A document that cannot be written is reported in `failed` (number, kind, reason) and the
    others are rendered all the same; the next run tries it again, and only it.
    """
    pending = _missing(engine, period)
    timings: list[float] = []
    failed: list[dict[str, str]] = []
    for done, row in enumerate(pending, start=1):
        started = time.perf_counter()
        try:
            folder = documents_dir / row.period
            folder.mkdir(parents=True, exist_ok=True)
            stem = Path(row.pdf_path).stem if row.pdf_sha256 else file_stem(row.number, row.id)
            pdf, digest = _write(folder, stem, row.kind, json.loads(row.content), row.pdf_sha256)
        except Exception as exc:  # noqa: BLE001  (one document never stops the others)
            failed.append({"number": row.number, "kind": row.kind,
                           "reason": f"{type(exc).__name__}: {exc}"})
            continue
        timings.append(time.perf_counter() - started)
        with engine.begin() as connection:
            connection.execute(update(documents).where(documents.c.id == row.id)
                               .values(pdf_path=str(pdf), pdf_sha256=digest))
        if progress:
            progress(done, len(pending))
    return {"rendered": len(timings), "failed": failed, "seconds": sum(timings),
            "per_document_ms": (sum(timings) / len(timings) * 1000) if timings else 0.0}


def verified_pdf(document: dict[str, Any]) -> bytes:
    """The PDF of a stored document, only if it is the file issued at the close."""
    path, expected = document.get("pdf_path"), document.get("pdf_sha256")
    if not path or not expected or not Path(path).is_file():
        raise DocumentFileError(f"the PDF of {document['number']} is not rendered yet; run "
                                f"`billing close --period {document['period']}` again to "
                                "render it", altered=False)
    data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() != expected:
        raise DocumentFileError(
            f"the PDF on disk for {document['number']} does not match the one issued at the "
            f"close (sha256 {expected[:12]}...), so it is not served; finance can delete the "
            f"file and run `billing close --period {document['period']}` again to render it "
            "from the stored document", altered=True)
    return data
