"""Contracts over months, and prepaid credit: golden closes, each recomputed here with Decimal
from the card's prices by the rule as a customer reads it, each PDF read back with pypdf.

- a month below the commitment (discount, true-up; its unused part carried over or expired,
  as the card says), then a month above it (carry-over used, or not);
- a graduated volume discount whose band is crossed mid-month;
- prepaid credit drawn across two invoices, soonest expiry first, never in another currency,
  never twice; Stripe receives the credit lines once.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
import stripe_server
from pypdf import PdfReader
from sqlalchemy import func, select
from typer.testing import CliRunner

from billing.cli import app
from billing.close.chargeback import customer_charges
from billing.close.credits import grant_credit, list_credits
from billing.close.document_store import list_documents
from billing.close.period_close import close_period
from billing.close.stripe_billing import push_period
from billing.exports.focus_data import focus_dataset
from billing.ledger.metering import ingest_lines
from billing.models import CreditDrawdown, Document
from billing.rating.card_registry import publish, publish_shipped
from invoices.contract_labels import contract_labels
from invoices.labels import labels

CENT = Decimal("0.01")
VAT = Decimal("0.19")  # acme of the test registry: de_DE, 19%
MARKUP = Decimal("0.10")
PRICES = {"gpt-4o": (Decimal("2.50"), Decimal("10.00")),
          "gpt-4o-mini": (Decimal("1.00"), Decimal("4.00"))}
TIERS = """
tiers:
  good:
    description: small models
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0.10"
    per_request_fee: "0"
    models:
      gpt-4o-mini: {provider: openai, input: "1.00", output: "4.00", cached_input: "0.50"}
  better:
    description: mid models
    slo: {p95_latency_ms: 5000, availability: "99.5%"}
    markup: "0.10"
    per_request_fee: "0"
    models:
      gpt-4o: {provider: openai, input: "2.50", output: "10.00", cached_input: "1.25"}
"""
GERMAN = labels("de_DE")  # acme is billed in German
RULES = contract_labels("de_DE")


def _card(name: str, contract: str) -> str:
    return (f'card: {name}\nversion: "v1"\neffective_from: 2026-01-01\ncurrency: USD\n'
            + TIERS + contract)


CARRY = _card("c2-carry", 'commitments:\n  acme: {monthly_amount: "100.00", discount: "0.10", '
              'unused: carry_over, carry_over_months: 2}\n')
EXPIRE = _card("c2-expire", 'commitments:\n  acme: {monthly_amount: "100.00", discount: "0.10"}\n')
PLAIN = _card("c2-plain", 'volume_discounts:\n  good:\n'
              '    - {above_tokens: 100000000, discount: "0.05"}\n'
              '    - {above_tokens: 200000000, discount: "0.10"}\n')


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _usage(model: str, input_m: int, output_m: int = 0) -> Decimal:
    """The invoice's rounded token lines for `input_m`/`output_m` million tokens."""
    unit_in, unit_out = (price * (1 + MARKUP) for price in PRICES[model])
    return _cents(input_m * unit_in) + _cents(output_m * unit_out)


def _event(n: int, day: str, model: str, input_m: int, output_m: int = 0) -> str:
    return json.dumps({"event_id": f"c2-{n}", "occurred_at": f"{day}T10:00:00Z",
                       "team": "support", "use_case": "support-copilot", "customer": "acme",
                       "provider": "openai", "model": model,
                       "input_tokens": input_m * 1_000_000,
                       "output_tokens": output_m * 1_000_000})


def _setup(engine, settings, card: str, events: list[str]):  # noqa: ANN001, ANN202
    publish_shipped(engine)
    publish(engine, card, "card.yaml")
    ingest_lines(engine, events, zone=ZoneInfo("UTC"), source="test")
    return replace(settings, customer_card=card.split("\n")[0].split(": ")[1])


def _close(engine, settings, period: str, now: datetime) -> dict:  # noqa: ANN001
    result = close_period(engine, settings, period, now=now)
    assert result.status == "closed", result.message
    table = Document.__table__
    with engine.connect() as connection:
        row = connection.execute(table.select().where(
            table.c.kind == "invoice", table.c.subject == "acme",
            table.c.period == period)).one()
    return {"row": row, "twin": json.loads(row.content),
            "pdf": "\n".join(page.extract_text() for page in PdfReader(row.pdf_path).pages)}


def _kinds(twin: dict, *kinds: str) -> list[Decimal]:
    return [Decimal(line["amount"]) for line in twin["lines"] if line["kind"] in kinds]


def _german(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


def _dollars(amount: Decimal) -> str:
    """A USD amount as a German reader sees it: ``65,35 $``."""
    return f"{_german(amount)}\xa0$"


def _flat(text: str) -> str:
    return text.replace("\n", " ").replace("\xa0", " ")


OCT, NOV = datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)


@pytest.mark.parametrize("card", [CARRY, EXPIRE], ids=["carry_over", "expire"])
def test_a_short_month_is_trued_up_and_its_unused_commitment_carries_over_or_expires(
        engine, close_settings, card):
    settings = _setup(engine, close_settings, card, [
        _event(1, "2026-10-10", "gpt-4o", 10, 1), _event(2, "2026-11-10", "gpt-4o", 60, 2)])
    monthly, rate = Decimal("100.00"), Decimal("0.10")

    october = _close(engine, settings, "2026-10", OCT)
    usage = _usage("gpt-4o", 10, 1)
    discount = _cents(usage * rate)
    true_up = monthly - (usage - discount)
    assert (usage, discount, true_up) == (Decimal("38.50"), Decimal("3.85"), Decimal("65.35"))
    assert _kinds(october["twin"], "usage", "fee") and sum(
        _kinds(october["twin"], "usage", "fee")) == usage
    assert _kinds(october["twin"], "discount", "true_up", "carry_over") == [-discount, true_up]
    assert Decimal(october["twin"]["subtotal"]) == monthly
    assert october["row"].total == monthly + _cents(monthly * VAT)
    said = (RULES.carries_over.format(amount=_dollars(true_up), months="2 Monate")
            if card is CARRY else RULES.expires.format(amount=_dollars(true_up)))
    assert said in " ".join(october["twin"]["notes"])
    assert GERMAN.commitment_true_up in october["pdf"] and _german(true_up) in october["pdf"]
    assert _flat(said) in _flat(october["pdf"])

    november = _close(engine, settings, "2026-11", NOV)
    usage = _usage("gpt-4o", 60, 2)
    discount = _cents(usage * rate)
    after = usage - discount
    carried = min(true_up, after - monthly) if card is CARRY else Decimal(0)
    assert (usage, after) == (Decimal("187.00"), Decimal("168.30"))
    contract = [-discount, -carried] if carried else [-discount]
    assert _kinds(november["twin"], "discount", "true_up", "carry_over") == contract
    subtotal = after - carried
    assert Decimal(november["twin"]["subtotal"]) == subtotal
    assert november["row"].total == subtotal + _cents(subtotal * VAT)
    if card is CARRY:
        assert subtotal == Decimal("102.95")
        assert RULES.carry_over_line in november["pdf"]
        assert _german(carried) in november["pdf"]
        assert RULES.carry_over_used.format(
            used=_dollars(carried), carried=_dollars(true_up),
            left=_dollars(true_up - carried)) in " ".join(november["twin"]["notes"])
        with engine.connect() as connection:  # what exports and reconcile compute again
            again = customer_charges(connection, "2026-11")["acme"]
        assert [line.amount for line in again.lines if line.kind == "carry_over"] == [-carried]
        [grant] = list_credits(engine, customer="acme")
        assert (grant["source"], grant["origin_period"], grant["expires_on"]) == (
            "carry_over", "2026-10", "2026-12-31")
        assert Decimal(grant["balance"]) == 0
    else:
        assert RULES.carry_over_line not in november["pdf"] and list_credits(engine) == []
    with stripe_server.FakeStripe() as fake:
        pushed = replace(settings, stripe_api_key=fake.api_key, stripe_api_base=fake.url)
        for period in ("2026-10", "2026-11", "2026-10", "2026-11"):
            push_period(engine, pushed, period)
        sent = sorted(item["amount"] for invoice in fake.of("invoice")
                      for item in invoice["lines"]["data"])
        ours = [Decimal(line["amount"]) for twin in (october["twin"], november["twin"])
                for line in twin["lines"]]
        ours += [Decimal(october["twin"]["tax"]), Decimal(november["twin"]["tax"])]
        assert sent == sorted(int(amount * 100) for amount in ours)


def test_a_graduated_discount_whose_band_is_crossed_mid_month(engine, close_settings):
    settings = _setup(engine, close_settings, PLAIN, [
        _event(1, "2026-10-05", "gpt-4o-mini", 80), _event(2, "2026-10-20", "gpt-4o-mini", 60)])
    invoice = _close(engine, settings, "2026-10", OCT)
    amount = _usage("gpt-4o-mini", 140)
    # 140M tokens: the first 100M full price, the 40M past the band that the second half of
    # the month crossed at 5%; the amount is spread evenly over the tokens
    discount = _cents(amount * Decimal(40) / Decimal(140) * Decimal("0.05"))
    assert (amount, discount) == (Decimal("154.00"), Decimal("2.20"))
    assert _kinds(invoice["twin"], "discount") == [-discount]
    subtotal = amount - discount
    assert Decimal(invoice["twin"]["subtotal"]) == subtotal
    assert invoice["row"].total == subtotal + _cents(subtotal * VAT)
    assert GERMAN.volume_discount.format(tier="good") in invoice["pdf"]
    assert _german(discount) in invoice["pdf"]
    assert "5 % ab 100.000.000 Tokens" in _flat(invoice["pdf"])


def test_prepaid_credit_is_applied_after_tax_across_two_invoices_once_and_sent_to_stripe_once(
        engine, close_settings):
    """Prepaid credit is an advance payment: it pays the invoice total, tax included, and
    never lowers the taxable subtotal (Stripe's customer credit balance works the same)."""
    settings = _setup(engine, close_settings, PLAIN, [
        _event(1, "2026-10-10", "gpt-4o-mini", 30), _event(2, "2026-11-10", "gpt-4o-mini", 90)])
    granted = datetime(2026, 10, 1, tzinfo=UTC)
    later = grant_credit(engine, "acme", "60.00", "USD", "2027-06-30", now=granted)
    sooner = grant_credit(engine, "acme", "25.00", "USD", "2026-12-31", now=granted)
    euros = grant_credit(engine, "acme", "50.00", "EUR", "2026-11-30", now=granted)

    october = _close(engine, settings, "2026-10", OCT)
    subtotal = _usage("gpt-4o-mini", 30)
    tax = _cents(subtotal * VAT)  # on the whole subtotal: the credit is no discount
    total = subtotal + tax
    first = min(total, Decimal("25.00"))
    second = min(total - first, Decimal("60.00"))
    assert (subtotal, tax, total, first, second) == (
        Decimal("33.00"), Decimal("6.27"), Decimal("39.27"), Decimal("25.00"), Decimal("14.27"))
    twin = october["twin"]
    assert [line["kind"] for line in twin["lines"]].count("credit") == 0
    assert [(line["description"], Decimal(line["amount"])) for line in twin["prepaid"]] == [
        (RULES.prepaid_line.format(grant=sooner["id"], date="31.12.2026"), -first),
        (RULES.prepaid_line.format(grant=later["id"], date="30.06.2027"), -second)]
    assert (Decimal(twin["subtotal"]), Decimal(twin["tax"]), Decimal(twin["total"])) == (
        subtotal, tax, total)
    assert Decimal(twin["prepaid_applied"]) == first + second
    assert Decimal(twin["amount_due"]) == 0 == october["row"].total
    left = Decimal("60.00") - second
    assert f"Restguthaben {_dollars(left)}" in " ".join(twin["notes"])
    pdf = _flat(october["pdf"])
    for shown in (RULES.prepaid_applied, RULES.invoice_total.format(currency="USD"),
                  RULES.amount_due.format(currency="USD"), f"Restguthaben {_german(left)}",
                  _german(subtotal), _german(tax), _german(total), _german(second),
                  f"#{sooner['id']}"):
        assert _flat(shown) in pdf, shown
    # the totals block reads top to bottom: subtotal, tax, total, credit applied, amount due
    assert (pdf.index(_german(tax)) < pdf.index(_german(total))
            < pdf.index(RULES.prepaid_applied) < pdf.index(RULES.amount_due.format(currency="USD")))

    again = close_period(engine, settings, "2026-10", now=OCT)
    assert again.status == "already_closed"
    [listed] = list_documents(engine, kinds="invoice", today=OCT.date())
    assert (listed["number"], Decimal(listed["credit_balance"])) == (
        october["row"].number, left)

    november = _close(engine, settings, "2026-11", NOV)
    subtotal = _usage("gpt-4o-mini", 90)
    total = subtotal + _cents(subtotal * VAT)
    applied = min(left, total)
    assert (subtotal, total, applied) == (Decimal("99.00"), Decimal("117.81"), left)
    assert [Decimal(line["amount"]) for line in november["twin"]["prepaid"]] == [-applied]
    assert Decimal(november["twin"]["subtotal"]) == subtotal
    assert Decimal(november["twin"]["total"]) == total
    assert november["row"].total == total - applied == Decimal("72.08")
    assert _german(applied) in november["pdf"] and _german(total - applied) in november["pdf"]

    chargeback = focus_dataset(engine, settings, "2026-11", "chargeback")
    rows = [row for row in chargeback.rows if row["x_Customer"] == "acme"]
    assert [(row["ChargeCategory"], row["BilledCost"]) for row in rows
            if row["x_Component"] == "credit"] == [("Credit", -left)]
    assert sum(row["BilledCost"] for row in rows) == subtotal - applied

    balances = {item["id"]: (Decimal(item["drawn"]), Decimal(item["balance"]))
                for item in list_credits(engine, customer="acme")}
    assert balances == {sooner["id"]: (first, Decimal(0)),
                        later["id"]: (Decimal("60.00"), Decimal(0)),
                        euros["id"]: (Decimal(0), Decimal("50.00"))}
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(
            CreditDrawdown.__table__)).scalar_one() == 3

    with stripe_server.FakeStripe() as fake:
        pushed = replace(settings, stripe_api_key=fake.api_key, stripe_api_base=fake.url)
        for period in ("2026-10", "2026-11", "2026-10", "2026-11"):
            push_period(engine, pushed, period)
        sent = fake.of("invoice")
        assert len(sent) == 2
        amounts = sorted(item["amount"] for invoice in sent
                         for item in invoice["lines"]["data"] if item["amount"] < 0)
        assert amounts == sorted(-int(value * 100) for value in (first, second, left))
        # the credit items come after the tax item: Stripe's total is our amount due
        for invoice in sent:
            items = invoice["lines"]["data"]
            kinds = [item["metadata"]["line_id"].split("-")[0] for item in items]
            assert kinds.index("tax") < kinds.index("prepaid"), kinds
        assert sorted(invoice["amount_due"] for invoice in sent) == [0, 7208]


def test_credits_from_the_command_line_and_the_api(engine, close_env):
    from fastapi.testclient import TestClient

    from billing.api.app import create_app

    runner = CliRunner()
    made = runner.invoke(app, ["credits", "grant", "--customer", "acme", "--amount", "500",
                               "--currency", "eur", "--expires", "2099-06-30", "--json"])
    assert made.exit_code == 0, made.output
    grant = json.loads(made.output)
    assert (grant["currency"], grant["balance"], grant["status"]) == ("EUR", "500.00", "active")
    for args, says in ((["--amount", "5.001"], "more decimals than EUR"),
                       (["--amount", "-1"], "not a positive amount"),
                       (["--expires", "2099-02-30"], "not a date like"),
                       (["--currency", "EURO"], "not an ISO 4217 code")):
        given = {"--amount": "5.00", "--currency": "EUR", "--expires": "2099-06-30",
                 **dict([args])}
        refused = runner.invoke(app, ["credits", "grant", "--customer", "acme",
                                      *[part for pair in given.items() for part in pair]])
        assert refused.exit_code == 2 and says in refused.output, refused.output
        assert "Traceback" not in refused.output
    listed = runner.invoke(app, ["credits", "list"])
    assert listed.exit_code == 0 and "500.00" in listed.output, listed.output
    with TestClient(create_app(close_env)) as client:
        auth = {"Authorization": "Bearer test-key"}
        bad = client.post("/v1/credits", headers=auth, json={
            "customer": "acme", "amount": "1.5x", "currency": "USD", "expires": "2099-01-31"})
        assert bad.status_code == 422 and bad.json()["field"] == "amount", bad.text
        made = client.post("/v1/credits", headers=auth, json={
            "customer": "acme", "amount": "25.00", "currency": "USD", "expires": "2099-01-31"})
        assert made.status_code == 201, made.text
        data = client.get("/v1/credits?customer=acme", headers=auth).json()["data"]
        assert sorted((item["currency"], item["balance"]) for item in data) == [
            ("EUR", "500.00"), ("USD", "25.00")]


TEAM = _card("c2-team", 'volume_discounts:\n  better:\n'
             '    - {above_tokens: 5000000, discount: "0.05"}\n'
             'commitments:\n  support: {monthly_amount: "100.00", discount: "0.10"}\n')


def test_a_team_card_s_contract_is_on_the_statement_and_every_surface(engine, close_settings):
    from billing.close.lines import team_lines
    from tests_support import pools_in_force

    settings = _setup(engine, close_settings, TEAM, [_event(1, "2026-10-10", "gpt-4o", 10, 1)])
    settings = replace(settings, team_card="c2-team", customer_card="external")
    result = close_period(engine, settings, "2026-10", now=OCT)
    assert result.status == "closed", result.message
    table = Document.__table__
    with engine.connect() as connection:
        row = connection.execute(table.select().where(
            table.c.kind == "statement", table.c.subject == "support")).one()
    twin = json.loads(row.content)
    usage = _usage("gpt-4o", 10, 1)
    # 11M better tokens, 6M of them past the 5M band at 5%; then 10% committed-use off
    volume = _cents(usage * Decimal(6) / Decimal(11) * Decimal("0.05"))
    committed = _cents((usage - volume) * Decimal("0.10"))
    true_up = Decimal("100.00") - (usage - volume - committed)
    assert (usage, volume, committed) == (Decimal("38.50"), Decimal("1.05"), Decimal("3.75"))
    assert [(line["kind"], Decimal(line["amount"])) for line in twin["contract"]] == [
        ("discount", -volume), ("discount", -committed), ("true_up", true_up)]
    charged = sum(Decimal(share["amount"]) for share in twin["overhead"]
                  if share["treatment"] == "charged")
    assert Decimal(twin["total"]) == Decimal("100.00") + charged == row.total
    assert Decimal(twin["contract_total"]) == -volume - committed + true_up
    showback = team_lines(engine, "support", "2026-10", pools=pools_in_force(engine))
    assert showback.total == row.total and showback.contract_total == Decimal(
        twin["contract_total"])
    pdf = "\n".join(page.extract_text() for page in PdfReader(row.pdf_path).pages)
    assert "Commitment true-up" in pdf and "Volume discount, better tier" in pdf
    assert "5% above 5,000,000 tokens" in pdf.replace("\n", " ")
    assert f"{true_up:,.2f}" in pdf or _german(true_up) in pdf


def test_a_credited_line_credits_what_it_cost_under_the_contract(engine, close_settings):
    from billing.close.credit_notes import CreditRefused, issue_credit_note

    settings = _setup(engine, close_settings, PLAIN, [
        _event(1, "2026-10-05", "gpt-4o-mini", 80, 10), _event(2, "2026-10-20", "gpt-4o-mini", 60)])
    invoice = _close(engine, settings, "2026-10", OCT)
    number = invoice["row"].number
    unit_in, unit_out = (price * (1 + MARKUP) for price in PRICES["gpt-4o-mini"])
    usage_in, usage_out = _cents(140 * unit_in), _cents(10 * unit_out)

    def discounted(amount: Decimal, tokens_m: int) -> Decimal:  # past the 100M band, 5%
        return amount - _cents(amount * Decimal(tokens_m - 100) / Decimal(tokens_m)
                               * Decimal("0.05"))

    billed = discounted(usage_in + usage_out, 150)
    assert Decimal(invoice["twin"]["subtotal"]) == billed == Decimal("194.70")
    lines = [line["description"] for line in invoice["twin"]["lines"]]
    output = lines.index(next(text for text in lines
                              if text.endswith(GERMAN.token_output))) + 1
    note = issue_credit_note(engine, settings, number, None, "output not delivered",
                             line=output, now=NOV)
    expected = billed - discounted(usage_in, 140)
    assert expected == Decimal("42.90") and expected != usage_out
    assert Decimal(note["total"]) == expected + _cents(expected * VAT)
    with pytest.raises(CreditRefused, match="credited already"):
        issue_credit_note(engine, settings, number, None, "again", line=output, now=NOV)
    discount = lines.index(GERMAN.volume_discount.format(tier="good")) + 1
    with pytest.raises(CreditRefused, match="is a discount line"):
        issue_credit_note(engine, settings, number, None, "no", line=discount, now=NOV)


def test_a_credited_line_of_a_trued_up_month_moves_the_true_up(engine, close_env):
    settings = _setup(engine, close_env, EXPIRE, [
        _event(1, "2026-10-10", "gpt-4o", 10, 1), _event(2, "2026-11-10", "gpt-4o", 60, 2)])
    october = _close(engine, settings, "2026-10", OCT)
    november = _close(engine, settings, "2026-11", NOV)
    runner = CliRunner()
    refused = runner.invoke(app, ["invoices", "credit", october["row"].number, "--line", "2",
                                  "--reason", "test"])
    assert refused.exit_code == 2 and "changes nothing" in refused.output, refused.output
    assert "trued up to its commitment" in refused.output
    monthly, rate = Decimal("100.00"), Decimal("0.10")
    usage_in, usage_out = _usage("gpt-4o", 60), _usage("gpt-4o", 0, 2)

    def billed(usage: Decimal) -> Decimal:
        return max(monthly, usage - _cents(usage * rate))

    credited = []
    for line, still in ((2, usage_in), (1, Decimal(0))):
        before = billed(usage_in + usage_out) - sum(credited)
        done = runner.invoke(app, ["invoices", "credit", november["row"].number, "--line",
                                   str(line), "--reason", "test", "--json"])
        assert done.exit_code == 0, done.output
        credited.append(before - billed(still))
        assert Decimal(json.loads(done.output)["total"]) == credited[-1] + _cents(
            credited[-1] * VAT)
    assert credited == [Decimal("19.80"), Decimal("48.50")]
    assert sum(credited) == billed(usage_in + usage_out) - monthly


def test_carried_over_commitment_expires_after_its_months_and_the_invoice_says_so(
        engine, close_settings):
    card = CARRY.replace("c2-carry", "c2-carry1").replace("carry_over_months: 2",
                                                          "carry_over_months: 1")
    settings = _setup(engine, close_settings, card, [
        _event(n, f"2026-{day}", "gpt-4o", 10, 1)  # usage from the future is refused
        for n, day in enumerate(("10-10", "11-10", "12-01"))])
    invoices = [_close(engine, settings, period, datetime(year, month, 2, tzinfo=UTC))
                for period, year, month in (("2026-10", 2026, 11), ("2026-11", 2026, 12),
                                            ("2026-12", 2027, 1))]
    true_up = Decimal("100.00") - (_usage("gpt-4o", 10, 1) - _cents(
        _usage("gpt-4o", 10, 1) * Decimal("0.10")))
    assert [_kinds(invoice["twin"], "true_up", "carry_over") for invoice in invoices] == [
        [true_up]] * 3  # below the commitment each month: nothing carried is used
    expired = RULES.carry_over_expired.format(origin="2026-10", left=_dollars(true_up),
                                              amount=_dollars(true_up), date="30.11.2026")
    assert expired not in " ".join(invoices[1]["twin"]["notes"])
    assert expired in " ".join(invoices[2]["twin"]["notes"])
    assert _flat(expired) in _flat(invoices[2]["pdf"])
