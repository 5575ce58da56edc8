"""The parties and use-cases policies say who owns the spend, what each use case counts and
accepts, which environments are production and what a customer is billed for; the statement
prints them, and a bad field is refused with file, line and field."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import orjson
import pdfplumber
import pytest
from sqlalchemy import select

from billing.close.period_close import close_period
from billing.demo_data import generate
from billing.ledger.metering import ingest_lines
from billing.models import Document
from billing.policies.document import PolicyValidationError
from billing.policies.registry import publish, published_versions, validate

PARTIES = """\
kind: parties
version: "{y}-p"
effective_from: "{y}-01"
effective_to: "{y}-12"
issuer: {{name: Example Corp AI Platform, email: ai-billing@example.com}}
teams:
  support:
    raci: {{accountable: dana.lee@example.com, responsible: engineering,
           consulted: [finance, governance], informed: product}}
environments:
  production: [production]
  non_production: [staging, development, test, sandbox, hackweek]
  default: non-production
"""

USE_CASES = """\
kind: use_cases
version: "{y}-u"
effective_from: "{y}-01"
effective_to: "{y}-12"
use_cases:
  support-copilot:
    team: support
    outcome:
      name: ticket resolved
      start: ticket assigned
      end: ticket closed
      quality_rule: not reopened within 7 days
    guardrail: {{metric: escalation rate, limit: "<= 5%"}}
    raci: {{accountable: jane.doe@example.com, responsible: engineering}}
"""


@pytest.fixture
def year() -> int:
    """Published versions cannot be deleted: each test takes a year no other test uses."""
    return random.randrange(3000, 9999)


def _sandbox_events(period: str, count: int) -> list[str]:
    """Support usage in sandbox and hackweek: never production, whatever its volume."""
    events = []
    for number in range(count):
        events.append(orjson.dumps({
            "event_id": f"sandbox-{period}-{number}", "occurred_at": f"{period}-15T12:00:00Z",
            "team": "support", "use_case": "support-copilot",
            "environment": ("sandbox", "hackweek")[number % 2], "provider": "openai",
            "model": "gpt-4o-mini", "input_tokens": 50_000, "output_tokens": 5_000,
            "cached_input_tokens": 0, "requests": 10}).decode())
    return events


def _pdf_text(path: str) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_the_statement_names_owner_use_case_rules_and_keeps_sandbox_out_of_production(
        engine, close_settings, year, tmp_path):
    from billing.rating.card_registry import publish_shipped

    publish_shipped(engine)
    period = f"{year}-10"
    ingest_lines(engine, [*generate(period, 300, 3), *_sandbox_events(period, 6)],
                 zone=ZoneInfo("UTC"), source="demo", backfill=True)
    publish(engine, PARTIES.format(y=year), "parties.yaml")
    publish(engine, USE_CASES.format(y=year), "use_cases.yaml")
    closed = close_period(engine, close_settings, period, now=datetime(year, 11, 2, tzinfo=UTC))
    assert closed.status == "closed", closed.message
    with engine.connect() as connection:
        row = connection.execute(select(Document.__table__).where(
            Document.__table__.c.period == period, Document.__table__.c.kind == "statement",
            Document.__table__.c.subject == "support")).one()
    content = json.loads(row.content)
    assert content["owner"] == "dana.lee@example.com"
    assert content["production_environments"] == ["production"]
    environments = {line["environment"] for line in content["lines"]}
    assert {"sandbox", "hackweek"} <= environments
    copilot = next(note for note in content["use_cases"] if note["use_case"] == "support-copilot")
    assert copilot["owner"] == "jane.doe@example.com"
    assert copilot["acceptance_rule"] == "not reopened within 7 days"
    assert "escalation rate" in copilot["guardrail"]

    text = _pdf_text(row.pdf_path)
    production, _, rest = text.partition("Non-production usage")
    production = production.split("Production usage", 1)[1]
    assert "sandbox" not in production and "hackweek" not in production
    assert "sandbox" in rest and "hackweek" in rest
    assert "Owner dana.lee@example.com" in text
    assert "Accountable: dana.lee@example.com" in text
    assert "Consulted: finance, governance" in text
    assert "not reopened within 7 days" in text and "escalation rate" in text
    assert "ticket resolved" in text and "jane.doe@example.com" in text
    assert "parties@" in text and "use_cases@" in text


@pytest.mark.parametrize(("body", "line", "field", "words"), [
    ("kind: parties\n{h}teams:\n  support: {{locale: en_US, colour: red}}\n",
     6, "teams.support.colour", "unknown"),
    ("kind: parties\n{h}teams:\n  support:\n    raci: {{accountable: [a@x.io, b@x.io]}}\n",
     7, "teams.support.raci.accountable", "exactly one"),
    ("kind: parties\n{h}teams:\n  support:\n    raci: {{accountable: finanse}}\n",
     7, "teams.support.raci.accountable", "not one of the functions"),
    ("kind: parties\n{h}teams:\n  support: {{webhook: 'ftp://x'}}\n",
     6, "teams.support.webhook", "http"),
    ("kind: parties\n{h}customers:\n  acme:\n    billable: {{environments: [], colour: x}}\n",
     7, "customers.acme.billable.colour", "unknown key"),
    ("kind: parties\n{h}customers:\n  acme: {{currency: EURO}}\n",
     6, "customers.acme.currency", ""),
    ("kind: parties\n{h}environments: {{production: [prod], default: maybe}}\n",
     5, "environments.default", ""),
    ("kind: use_cases\n{h}use_cases:\n  bot:\n    team: support\n    owner: [a, b]\n"
     "    outcome: {{name: n, start: s, end: e}}\n",
     9, "use_cases.bot.outcome.quality_rule", "missing"),
    ("kind: use_cases\n{h}use_cases:\n  bot: {{team: support, budget: '5'}}\n",
     6, "use_cases.bot.budget", "unknown"),
])
def test_a_bad_policy_field_is_refused_with_file_line_and_field(engine, year, body, line, field,
                                                                 words):
    header = f"version: v{year}\neffective_from: '{year}-01'\neffective_to: '{year}-12'\n"
    source = body.format(h=header)
    problems = validate(engine, source, "bad.yaml")
    assert any((p.file, p.field) == ("bad.yaml", field) and p.line is not None
               and words in p.message for p in problems), problems
    assert any((p.line, p.field) == (line, field) for p in problems), problems
    before = len(published_versions(engine))
    with pytest.raises(PolicyValidationError):
        publish(engine, source, "bad.yaml")
    assert len(published_versions(engine)) == before


def test_usage_a_customer_is_not_billed_for_is_listed_apart_and_not_in_the_total(
        engine, close_settings, year):
    from billing.rating.card_registry import publish_shipped

    publish_shipped(engine)
    period = f"{year}-10"
    ingest_lines(engine, generate(period, 600, 5), zone=ZoneInfo("UTC"), source="demo",
                 backfill=True)
    from billing.rating.rate import cards_in_use, rate

    rate(engine, cards_in_use(engine, close_settings.team_card, close_settings.customer_card),
         zone=ZoneInfo("UTC"))
    before = _invoice_totals(engine, close_settings, period, year, billable=None)
    after = _invoice_totals(engine, close_settings, period, year,
                            billable="{use_cases: [support-copilot]}")
    acme_all, acme = before["acme"], after["acme"]
    assert acme["not_billed"], acme
    assert {usage["use_case"] for usage in acme["not_billed"]} <= {None, "call-summaries",
                                                                   "semantic-search"}
    assert all("is not billable" in usage["reason"] for usage in acme["not_billed"])
    lines = sum(Decimal(line["amount"]) for line in acme["lines"])
    assert Decimal(acme["subtotal"]) == lines
    not_billed = sum(Decimal(usage["amount"]) for usage in acme["not_billed"])
    assert Decimal(acme["not_billed_amount"]) == not_billed
    assert abs(Decimal(acme_all["subtotal"]) - lines - not_billed) <= Decimal("0.05")
    assert "Usage not billed" in _pdf_text(acme["pdf_path"])


def _invoice_totals(engine, settings, period, year, billable):  # noqa: ANN001, ANN202
    """Each customer's invoice as JSON, built as the close builds it, with acme's `billable`
    published first when given."""
    from billing.close.chargeback import build_invoice, customer_charges
    from billing.policies.in_force import policies_for
    from invoices.json_twin import to_json
    from invoices.pdf_invoice import render_invoice

    if billable:
        publish(engine, f"kind: parties\nversion: '{year}-b'\neffective_from: '{year}-01'\n"
                f"customers:\n  acme: {{name: ACME, billable: {billable}}}\n", "parties.yaml")
    policies = policies_for(engine, period)
    with engine.connect() as connection:
        charges = customer_charges(connection, period, policies.registry)
    out = {}
    for customer, charge in charges.items():
        invoice = build_invoice(customer, charge, number="T-1", period=period,
                                registry=policies.registry, issued_on=date(year, 11, 2))
        out[customer] = to_json(invoice)
        if customer == "acme":
            path = settings.documents_dir.parent / f"acme-{bool(billable)}.pdf"
            render_invoice(invoice, path)
            out[customer]["pdf_path"] = str(path)
    return out


def test_a_party_whose_declared_currency_is_not_its_cards_stops_the_close(
        engine, close_settings, year):
    from billing.close.period_close import CloseRefused
    from billing.rating.card_registry import publish_shipped

    publish_shipped(engine)
    period = f"{year}-10"
    ingest_lines(engine, generate(period, 200, 7), zone=ZoneInfo("UTC"), source="demo",
                 backfill=True)
    publish(engine, f"kind: parties\nversion: '{year}-c'\neffective_from: '{year}-01'\n"
            "teams:\n  support: {currency: EUR}\n"
            "customers:\n  acme: {name: ACME, currency: GBP}\n", "parties.yaml")
    with pytest.raises(CloseRefused) as refused:
        close_period(engine, close_settings, period, now=datetime(year, 11, 2, tzinfo=UTC))
    message = str(refused.value)
    assert "team support" in message and "currency EUR" in message
    assert "customer acme" in message and "currency GBP" in message
    with engine.connect() as connection:
        assert not connection.execute(select(Document.__table__).where(
            Document.__table__.c.period == period)).first()
