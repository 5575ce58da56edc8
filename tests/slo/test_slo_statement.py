"""The statement's Service levels section, read back from the PDF with pdfplumber: each tier's
p50/p95 and rates as the test computes them from the events it sent; the customer's invoice
does not print it; the JSON twin carries it and round-trips."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal

import pdfplumber
from slo_support import events, setup_month
from sqlalchemy import select

from billing.close.period_close import close_period
from billing.models import Document
from invoices import from_json, to_json


def _rank(values: list[int], p: int) -> int:
    return sorted(values)[math.ceil(p / 100 * len(values)) - 1]


def _text(path: str) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_the_statement_shows_service_levels_and_the_invoice_does_not(engine, close_settings):
    settings = setup_month(engine, close_settings)
    assert close_period(engine, settings, "2026-10",
                        now=datetime(2026, 11, 2, tzinfo=UTC)).status == "closed"
    table = Document.__table__
    with engine.connect() as connection:
        rows = {(row.kind, row.subject): row for row in connection.execute(select(table))}
    statement = rows[("statement", "support")]
    twin = json.loads(statement.content)
    levels = {level["tier"]: level for level in twin["service_levels"]}
    assert to_json(from_json(twin)) == twin

    mine = [e for e in events() if e.get("team") == "support" and "status" in e
            and e.get("tier", "good" if e["model"] == "gpt-4o-mini" else "better") == "good"]
    timed = [e["latency_ms"] for e in mine if e["status"] == "ok" and "latency_ms" in e
             for _ in range(e["requests"])]
    calls = sum(e["requests"] for e in mine)
    errors = sum(e["requests"] for e in mine if e["status"] in ("error", "timeout"))
    limited = sum(e["requests"] for e in mine if e["status"] == "rate_limited")
    good = levels["good"]
    assert (good["calls"], good["p50_latency_ms"], good["p95_latency_ms"]) == (
        calls, _rank(timed, 50), _rank(timed, 95))
    assert good["breached"] == ["p95_latency_ms", "availability"]

    text = _text(statement.pdf_path)
    assert "Service levels" in text
    line = next(row for row in text.splitlines() if row.startswith("good "))
    error_pct = f"{Decimal(errors * 100) / calls:.2f}%"
    limited_pct = f"{Decimal(limited * 100) / calls:.2f}%"
    for shown in (f"{_rank(timed, 50):,}", f"{_rank(timed, 95):,}", error_pct, limited_pct,
                  "p95 ≤ 2000 ms"):
        assert shown in line, (shown, line)
    assert "missed" in text
    invoice = rows[("invoice", "acme")]
    assert "Service levels" not in _text(invoice.pdf_path)
    assert "service_levels" not in json.loads(invoice.content)
