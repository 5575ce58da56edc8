"""Usage the billable policy leaves out stays in showback and never reaches an invoice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import orjson
import pytest
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from billing.cli import app
from billing.close.period_close import close_period
from billing.close.reconcile import reconcile
from billing.ledger.metering import ingest_lines
from billing.ledger.usage_event import InvalidEvent, validate
from billing.models import Document, RatedLine
from billing.parties import RegistryError, load_registry
from billing.rating.card_registry import publish_shipped
from invoices import from_json, render_invoice
from invoices.billable_reasons import reason_in
from tests_support import publish_policy

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
PARTIES = """
billable:
  except: {projects: [proj_hackweek], use_cases: [sandbox]}
customers:
  acme: {name: ACME GmbH, address: ["Hauptstr. 1", "10115 Berlin"]}
"""
rated = RatedLine.__table__


def _event(event_id: str, team: str, use_case: str, inp: int, **extra) -> str:  # noqa: ANN003
    return orjson.dumps({"event_id": event_id, "occurred_at": "2026-10-07T12:00:00Z",
                         "team": team, "use_case": use_case, "customer": "acme",
                         "model": "gpt-4o-mini", "input_tokens": inp, "output_tokens": 1_000,
                         **extra}).decode()


@pytest.fixture
def closed(engine, close_env):  # noqa: ANN001, ANN201
    publish_shipped(engine)
    publish_policy(engine, "parties", PARTIES)
    ingest_lines(engine, [
        _event("e1", "support", "support-copilot", 2_000_000),
        _event("e2", "data-science", "hackweek-demo", 3_000_000, project="proj_hackweek"),
        _event("e3", "platform", "sandbox", 500_000),
    ], zone=ZoneInfo("UTC"))
    return close_period(engine, close_env, "2026-10", now=NOW)


def _document(engine, kind: str, subject: str):  # noqa: ANN001, ANN202
    documents = Document.__table__
    with engine.connect() as connection:
        row = connection.execute(select(documents).where(
            documents.c.kind == kind, documents.c.subject == subject)).one()
    return json.loads(row.content), "".join(
        page.extract_text() or "" for page in PdfReader(row.pdf_path).pages)


def _chargeback(engine, **where) -> Decimal:  # noqa: ANN001, ANN003
    with engine.connect() as connection:
        return sum(connection.execute(select(rated.c.amount).where(
            rated.c.view == "chargeback",
            *[rated.c[name] == value for name, value in where.items()])).scalars(), Decimal(0))


def test_not_billable_usage_never_reaches_the_invoice_but_stays_in_showback(engine, closed):
    twin, text = _document(engine, "invoice", "acme")
    usage = sum(Decimal(line["amount"]) for line in twin["lines"]
                if line["kind"] in ("usage", "fee"))
    billed = _chargeback(engine, use_case="support-copilot")
    assert abs(usage - billed) <= Decimal("0.005") * len(twin["lines"])
    hackweek = _chargeback(engine, project="proj_hackweek")
    assert hackweek > Decimal("0.50")  # so the invoice would show it, had it been billed
    listed = {(item["use_case"], item["project"]) for item in twin["not_billed"]}
    assert listed == {("hackweek-demo", "proj_hackweek"), ("sandbox", None)}
    assert "project proj_hackweek is never billable" in " ".join(text.split())  # wraps
    # and it stays in showback
    twin, _ = _document(engine, "statement", "data-science")
    assert twin["lines"] and twin["total"] != "0.00"
    assert any(line.get("use_case") == "hackweek-demo" for line in twin["lines"])


def test_the_close_lists_what_it_kept_off_each_invoice(engine, closed, close_env):
    skipped = {(item["customer"], item["project"], item["reason"]) for item in closed.not_billed}
    assert skipped == {("acme", "proj_hackweek", "project proj_hackweek is never billable"),
                       ("acme", None, "use case sandbox is never billable")}
    again = CliRunner().invoke(app, ["close", "--period", "2026-10", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["not_billed"] == closed.not_billed  # from the close's row
    shown = CliRunner().invoke(app, ["close", "--period", "2026-10"])
    assert "Not billable" in shown.output and "proj_hackweek" in shown.output


def test_a_project_is_an_identifier_like_a_team():
    assert validate({"event_id": "p", "occurred_at": "2026-10-07T12:00:00Z", "model": "m",
                     "input_tokens": 1, "output_tokens": 1, "project": "proj_a"},
                    UTC)["project"] == "proj_a"
    with pytest.raises(InvalidEvent) as caught:
        validate({"event_id": "p", "occurred_at": "2026-10-07T12:00:00Z", "model": "m",
                  "input_tokens": 1, "output_tokens": 1, "project": "proj\u202ea"}, UTC)
    assert caught.value.field == "project"


def test_a_wrong_billable_names_its_field():
    with pytest.raises(RegistryError, match=r"billable\.except\.colours: unknown key"):
        load_registry("billable: {except: {colours: [red]}}")


def test_reconcile_holds_after_a_close_that_left_usage_off_invoices(engine, closed, close_env):
    """The invoice's lines at their unit prices equal the customer's rated chargeback less
    what `billable` kept off it; a fresh `make demo` month reconciles with no break."""
    result = reconcile(engine, close_env, "2026-10", now=NOW)
    assert result.breaks == []


def test_usage_without_a_use_case_is_billed_when_billable_leaves_other_use_cases_out(
        engine, close_env):
    """A left-out group compared with a row whose use case or project is missing must not
    drop that row from the invoice (SQL's NULL): it is billed, and reconcile holds."""
    publish_shipped(engine)
    publish_policy(engine, "parties", PARTIES)
    no_use_case = orjson.dumps({"event_id": "e4", "occurred_at": "2026-10-07T12:00:00Z",
                                "team": "support", "customer": "acme", "model": "gpt-4o-mini",
                                "input_tokens": 4_000_000, "output_tokens": 1_000}).decode()
    ingest_lines(engine, [_event("e1", "support", "support-copilot", 2_000_000),
                          _event("e3", "platform", "sandbox", 500_000), no_use_case],
                 zone=ZoneInfo("UTC"))
    close_period(engine, close_env, "2026-10", now=NOW)
    twin, _ = _document(engine, "invoice", "acme")
    billed = sum(Decimal(line["amount"]) for line in twin["lines"]
                 if line["kind"] in ("usage", "fee"))
    owed = _chargeback(engine, use_case="support-copilot") + _chargeback(engine, use_case=None)
    assert abs(billed - owed) <= Decimal("0.005") * len(twin["lines"])
    assert reconcile(engine, close_env, "2026-10", now=NOW).breaks == []


def test_the_invoice_s_not_billed_table_names_each_group_s_project(engine, closed):
    twin, text = _document(engine, "invoice", "acme")
    rows = text.split("Usage not billed")[-1]
    assert "Project" in rows.split("hackweek-demo")[0]  # the table's header
    cells = [cell.strip() for cell in rows.splitlines()]
    # each cell reads on its own line: the project follows the use case, "–" for none
    assert cells[cells.index("hackweek-demo") + 1] == "proj_hackweek"
    assert cells[cells.index("sandbox") + 1] == "–"


@pytest.mark.parametrize(("locale", "said"), [
    ("de_DE", "Projekt proj_hackweek wird nie berechnet"),
    ("fr_FR", "Le projet proj_hackweek n'est jamais facturé"),
    ("en_US", "project proj_hackweek is never billable"),
])
def test_the_reason_usage_was_not_billed_is_in_the_invoice_s_language(engine, closed, tmp_path,
                                                                      locale, said):
    twin, _ = _document(engine, "invoice", "acme")
    render_invoice(from_json({**twin, "locale": locale}), tmp_path / "invoice.pdf")
    text = " ".join("".join(page.extract_text() for page in
                            PdfReader(tmp_path / "invoice.pdf").pages).split())
    assert said in text
    assert twin["not_billed"][0]["reason"].endswith("billable")  # the twin keeps it as stated


@pytest.mark.parametrize(("reason", "locale", "worded"), [
    ("use case sandbox is not billable", "de_CH", "Anwendungsfall sandbox ist nicht abrechenbar"),
    ("usage without a project is not billable", "fr_FR", "Usage sans projet : non facturable"),
    ("environment staging is never billable", "ja_JP", "environment staging is never billable"),
    ("a reason of its own", "de_DE", "a reason of its own"),
])
def test_only_the_policy_s_own_reasons_are_reworded(reason, locale, worded):
    assert reason_in(reason, locale) == worded
