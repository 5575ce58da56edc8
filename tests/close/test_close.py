"""The close: documents for every team and customer, exactly once, PDFs that add up."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pdfplumber
import pytest
from sqlalchemy import func, select

from billing.close.period_close import CloseRefused, close_period
from billing.close.showback import showback
from billing.models import Document, RatedLine
from billing.money import round_line
from tests_support import pools_in_force

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
documents = Document.__table__
rated = RatedLine.__table__


def _pdf_text(path: str) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def _stored(engine, kind: str) -> list:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(select(documents).where(documents.c.kind == kind)
                                  .order_by(documents.c.number)).all()


def test_close_produces_statements_and_invoices_that_match_the_ledger(month, close_settings):
    result = close_period(month, close_settings, "2026-10", now=NOW)
    assert result.status == "closed" and result.statements and result.invoices
    statements, invoices = _stored(month, "statement"), _stored(month, "invoice")
    assert len(statements) == len(result.statements) and len(invoices) == len(result.invoices)
    assert [row.number for row in invoices] == [
        f"INV-2026-{n:05d}" for n in range(1, len(invoices) + 1)]

    with month.connect() as connection:
        ledger = connection.execute(select(rated.c.team, rated.c.amount).where(
            rated.c.view == "showback", rated.c.period == "2026-10",
            rated.c.team.is_not(None), rated.c.amount.is_not(None))).all()
    for row in statements:
        twin = json.loads(row.content)
        lines = [Decimal(line["amount"]) for line in twin["lines"]]
        team_ledger = sum((amount for team, amount in ledger if team == row.subject), Decimal(0))
        assert abs(sum(lines) - team_ledger) <= Decimal("0.005") * len(lines)
        charged = sum(Decimal(s["amount"]) for s in twin["overhead"]
                      if s["treatment"] == "charged")
        assert row.total == sum(lines) + charged
        text = _pdf_text(row.pdf_path)
        assert f"{row.total:,.2f}" in text, f"{row.number}: total {row.total} not in the PDF"
        assert Path(row.pdf_path).with_suffix(".json").exists()

    with month.connect() as connection:
        by_customer: dict[str, Decimal] = {}
        for customer, amount in connection.execute(select(rated.c.customer, rated.c.amount)
                                                   .where(rated.c.view == "chargeback",
                                                          rated.c.period == "2026-10",
                                                          rated.c.amount.is_not(None))):
            by_customer[customer] = by_customer.get(customer, Decimal(0)) + amount
    for row in invoices:
        twin = json.loads(row.content)
        lines = [Decimal(line["amount"]) for line in twin["lines"]
                 if line["kind"] in ("usage", "fee")]
        assert abs(sum(lines) - by_customer[row.subject]) <= Decimal("0.005") * len(lines)
        if row.subject != "acme":
            assert f"{row.total:,.2f}" in _pdf_text(row.pdf_path), row.number
    acme = next(row for row in invoices if row.subject == "acme")
    twin = json.loads(acme.content)
    subtotal = sum(Decimal(line["amount"]) for line in twin["lines"])
    tax = round_line(subtotal * Decimal("0.19"), "EUR")
    assert acme.total == subtotal + tax
    text = _pdf_text(acme.pdf_path)
    german = f"{acme.total:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert german in text and "ACME GmbH" in text and acme.number in text


def test_a_second_close_produces_nothing_and_says_so(month, close_settings):
    close_period(month, close_settings, "2026-10", now=NOW)
    before = _stored(month, "invoice") + _stored(month, "statement")
    again = close_period(month, close_settings, "2026-10", now=NOW)
    assert again.status == "already_closed" and "nothing new" in again.message
    assert _stored(month, "invoice") + _stored(month, "statement") == before


def test_dry_run_writes_nothing(month, close_settings):
    preview = close_period(month, close_settings, "2026-10", now=NOW, dry_run=True)
    assert preview.status == "dry_run" and preview.unrated_events > 0
    with month.connect() as connection:
        assert connection.execute(select(func.count()).select_from(documents)).scalar() == 0
        assert connection.execute(select(func.count()).select_from(rated)).scalar() == 0
    assert not close_settings.documents_dir.exists()


def test_an_open_period_is_refused(month, close_settings):
    with pytest.raises(CloseRefused, match="not over"):
        close_period(month, close_settings, "2026-11", now=NOW)


def test_missing_pdfs_are_rendered_by_the_next_run(month, close_settings):
    close_period(month, close_settings, "2026-10", now=NOW)
    first = _stored(month, "invoice")[0]
    Path(first.pdf_path).unlink()
    with month.begin() as connection:
        connection.execute(documents.update().where(documents.c.id == first.id)
                           .values(pdf_sha256=None))
    again = close_period(month, close_settings, "2026-10", now=NOW)
    assert again.rendering["rendered"] == 1 and Path(first.pdf_path).exists()
    assert _stored(month, "invoice")[0].pdf_sha256 == first.pdf_sha256


def test_credit_note_has_its_own_number_and_never_exceeds_the_invoice(month, close_settings):
    from billing.close.credit_notes import CreditRefused, issue_credit_note

    close_period(month, close_settings, "2026-10", now=NOW)
    invoices_before = _stored(month, "invoice")
    acme = next(row for row in invoices_before if row.subject == "acme")
    acme_pdf = Path(acme.pdf_path).read_bytes()
    note = issue_credit_note(month, close_settings, acme.number, "1.00", "SLA breach", now=NOW)
    assert note["number"] == "CN-2026-00001" and note["total"] == "1.19"  # 19 % tax
    text = _pdf_text(note["pdf_path"])
    assert "CN-2026-00001" in text and acme.number in text and "SLA breach" in text
    # the invoice is untouched: same stored JSON twin, total, hash and PDF, every invoice alike
    assert _stored(month, "invoice") == invoices_before
    assert Path(acme.pdf_path).read_bytes() == acme_pdf
    assert json.loads(acme.content)["total"] == str(acme.total)
    # the credit is a document of its own that points at the invoice
    (credit,) = _stored(month, "credit_note")
    assert credit.id != acme.id and credit.number == note["number"]
    assert credit.references_id == acme.id and credit.subject == "acme"
    assert credit.total == Decimal("1.19") and credit.pdf_path != acme.pdf_path
    subtotal = sum(Decimal(line["amount"]) for line in json.loads(acme.content)["lines"])
    with pytest.raises(CreditRefused, match="at most"):
        issue_credit_note(month, close_settings, acme.number, str(subtotal), "too much", now=NOW)
    with pytest.raises(CreditRefused, match="no invoice"):
        issue_credit_note(month, close_settings, "INV-1999-00001", "1", "x", now=NOW)
    for unbillable in ("1.234", "NaN", "Infinity"):
        with pytest.raises(CreditRefused, match="decimals|decimal number"):
            issue_credit_note(month, close_settings, acme.number, unbillable, "x", now=NOW)
    assert len(_stored(month, "credit_note")) == 1


def test_late_usage_after_close_becomes_a_prior_period_adjustment(month, close_settings):
    from zoneinfo import ZoneInfo

    from billing.ledger.metering import ingest_lines

    close_period(month, close_settings, "2026-10", now=NOW)
    closed = [(row.number, row.content) for row in _stored(month, "invoice")]
    late = ('{"event_id": "late-1", "occurred_at": "2026-10-30T12:00:00Z", "team": "support",'
            ' "use_case": "support-copilot", "customer": "acme", "model": "gpt-4o-mini",'
            ' "input_tokens": 2000000, "output_tokens": 1000000}')
    ingest_lines(month, [late], zone=ZoneInfo("UTC"), source="late")
    result = close_period(month, close_settings, "2026-11",
                          now=datetime(2026, 12, 1, 3, tzinfo=UTC))
    assert result.status == "closed"
    assert [(row.number, row.content) for row in _stored(month, "invoice")][:len(closed)] == closed
    november = [row for row in _stored(month, "invoice") if row.period == "2026-11"]
    assert len(november) == 1 and november[0].number == f"INV-2026-{len(closed) + 1:05d}"
    lines = json.loads(november[0].content)["lines"]
    assert {line["kind"] for line in lines} == {"prior_period_adjustment", "discount", "true_up"}
    assert all(line["service_period"] == "2026-10" for line in lines)
    # acme's October was trued up to its 2,500.00 commitment: the late usage is billed with
    # October's contract, so the minimum it already paid absorbs it and November owes nothing
    late_usage = sum(Decimal(line["amount"]) for line in lines
                     if line["kind"] == "prior_period_adjustment")
    assert late_usage > 0
    october = json.loads(next(row.content for row in _stored(month, "invoice")
                              if row.period == "2026-10" and row.subject == "acme"))
    usage = sum(Decimal(line["amount"]) for line in october["lines"]
                if line["kind"] in ("usage", "fee"))
    discount_change = (round_line((usage + late_usage) * Decimal("0.15"), "USD")
                       - round_line(usage * Decimal("0.15"), "USD"))
    by_kind = {kind: sum(Decimal(line["amount"]) for line in lines if line["kind"] == kind)
               for kind in ("discount", "true_up")}
    assert by_kind == {"discount": -discount_change,
                       "true_up": -(late_usage - discount_change)}
    assert november[0].total == Decimal("0.00")
    statement = next(row for row in _stored(month, "statement") if row.period == "2026-11")
    assert "prior period 2026-10" in statement.content
    report = showback(month, "support", "2026-11",
                      pools=pools_in_force(month, "2026-11"))
    assert [line.adjusts_period for line in report.lines] == ["2026-10"]
    assert report.to_dict()["lines"][0]["adjusts_period"] == "2026-10"
    assert report.total == statement.total


def test_statement_shows_budget_variance_outcomes_and_a_recommendation(month, close_settings):
    from zoneinfo import ZoneInfo

    from billing.budgets.budget import Budget, Scope
    from billing.budgets.store import set_budget
    from billing.ledger.outcomes import ingest_outcomes

    set_budget(month, Budget(Scope.of("support"), "2026-10", Decimal("20.00"), "USD"))
    rows = [{"outcome_id": f"o-{n}", "use_case": "support-copilot", "team": "support",
             "occurred_at": "2026-10-10T10:00:00Z", "accepted": n % 4 != 0} for n in range(40)]
    rows.append({"outcome_id": "t-1", "use_case": "ticket-triage", "team": "support",
                 "occurred_at": "2026-10-10T10:00:00Z", "accepted": False})
    ingest_outcomes(month, rows, zone=ZoneInfo("UTC"))
    close_period(month, close_settings, "2026-10", now=NOW)
    row = next(r for r in _stored(month, "statement") if r.subject == "support")
    twin = json.loads(row.content)
    assert Decimal(twin["budget"]) == Decimal("20.00")
    usage = sum(Decimal(line["amount"]) for line in twin["lines"])
    assert Decimal(twin["variance"]) == usage - Decimal("20.00")
    by_use_case = {item["use_case"]: item for item in twin["outcomes"]}
    copilot = by_use_case["support-copilot"]
    assert (copilot["accepted"], copilot["total"]) == (30, 40)
    expected = (Decimal(copilot["cost"]) / 30).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    assert Decimal(copilot["cost_per_accepted"]) == expected
    assert by_use_case["ticket-triage"]["cost_per_accepted"] is None
    over = (usage - 20) / 20
    assert over > 0 and twin["recommendation"]["action"] == (
        "stop" if over > Decimal("0.2") else "adjust")
    text = _pdf_text(row.pdf_path)
    assert "no accepted outcomes" in text and "20.00" in text
