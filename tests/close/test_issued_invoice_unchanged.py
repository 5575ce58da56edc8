"""An issued invoice never changes: pushing it to Stripe leaves its PDF, its JSON twin and both
hashes as the close wrote them; Stripe's hosted link goes on a payment notice beside it."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import stripe_server
from pypdf import PdfReader
from sqlalchemy import select

from billing.close.document_files import verified_pdf
from billing.close.period_close import close_period
from billing.close.stripe_billing import push_period
from billing.ledger.metering import ingest_lines
from billing.models import Document
from billing.rating.card_registry import publish_shipped

documents = Document.__table__
EVENT = json.dumps({"event_id": "immutable-1", "occurred_at": "2026-10-10T10:00:00Z",
                    "team": "support", "use_case": "support-copilot", "customer": "acme",
                    "provider": "openai", "model": "gpt-4o", "input_tokens": 2_000_000,
                    "output_tokens": 100_000})


def _invoice(engine) -> dict:  # noqa: ANN001
    with engine.connect() as connection:
        row = connection.execute(select(documents).where(
            documents.c.kind == "invoice", documents.c.subject == "acme")).mappings().one()
    return {**row, "bytes": Path(row["pdf_path"]).read_bytes()}


def test_pushing_to_stripe_never_changes_the_issued_invoice(engine, close_settings):
    publish_shipped(engine)
    ingest_lines(engine, [EVENT], zone=ZoneInfo("UTC"), source="test")
    closed = close_period(engine, close_settings, "2026-10",
                          now=datetime(2026, 11, 2, tzinfo=UTC))
    assert closed.status == "closed", closed.message
    issued = _invoice(engine)
    assert hashlib.sha256(issued["bytes"]).hexdigest() == issued["pdf_sha256"]

    with stripe_server.FakeStripe() as fake:
        settings = replace(close_settings, stripe_api_key=fake.api_key,
                           stripe_api_base=fake.url)
        push_period(engine, settings, "2026-10")
        push_period(engine, settings, "2026-10")
    after = _invoice(engine)
    assert after["stripe_hosted_url"].startswith("https://invoice.stripe.com/i/")
    for name in ("content", "content_hash", "pdf_path", "pdf_sha256", "bytes"):
        assert after[name] == issued[name], name
    assert json.loads(after["content"]).get("payment_url") is None
    assert verified_pdf(after) == issued["bytes"]

    notice = Path(after["pdf_path"]).with_name(Path(after["pdf_path"]).stem + ".payment.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(
        io.BytesIO(notice.read_bytes())).pages).replace("\n", " ")
    assert after["stripe_hosted_url"] in text and after["number"] in text
