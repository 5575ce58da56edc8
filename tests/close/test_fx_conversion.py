"""FX: an overhead pool in another currency than the card is converted at the period's recorded
rate, or refused; the close records the rate and every document that converts prints it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pdfplumber
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from billing.api.app import create_app
from billing.close import period_close
from billing.close.lines import overhead_lines, period_lines
from billing.close.period_close import CloseRefused, close_period
from billing.fx import FxError, FxRefused, convert, list_rates, load_rates, rates_for, set_rate
from billing.models import Document, PeriodClose
from billing.money import CurrencyMismatch, Money
from billing.rating.card_registry import published_versions
from billing.rating.overhead import TeamDrivers, make_pool
from billing.rating.rate import Cards, rate
from invoices import from_json
from tests_support import publish_pools

PERIOD = "2026-10"
NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
documents = Document.__table__
closes = PeriodClose.__table__


def _rated(engine) -> None:  # noqa: ANN001
    rate(engine, Cards(team=published_versions(engine, "internal"),
                       customer=published_versions(engine, "external")), zone=ZoneInfo("UTC"))


def _pdf_text(path: str) -> str:
    with pdfplumber.open(path) as pdf:
        return " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)


def test_convert_rounds_once_half_up_to_the_target_minor_unit():
    assert convert(Money(Decimal("1000.00"), "EUR"), Decimal("1.0842"), "USD") == Money(
        Decimal("1084.20"), "USD")
    # JPY has no minor unit, USD two: 123,457 JPY at 0.006612 = 816.297684 -> 816.30 USD
    assert convert(Money(Decimal("123457"), "JPY"), Decimal("0.006612"), "USD") == Money(
        Decimal("816.30"), "USD")
    # the other way: 10.00 USD at 151.235 = 1512.35 JPY -> 1512 JPY; half-up at the half
    assert convert(Money(Decimal("10.00"), "USD"), Decimal("151.235"), "JPY").amount == 1512
    assert convert(Money(Decimal("1"), "USD"), Decimal("0.125"), "EUR").amount == Decimal(
        "0.13")
    # KWD has three decimals
    assert convert(Money(Decimal("100.00"), "USD"), Decimal("0.30712"), "KWD").amount == \
        Decimal("30.712")
    for bad in (1.0842, Decimal(0), Decimal(-1), Decimal("NaN")):
        with pytest.raises(FxError):
            convert(Money(Decimal("1"), "EUR"), bad, "USD")  # type: ignore[arg-type]


def test_overhead_lines_convert_a_pool_at_its_rate_before_splitting():
    pool = make_pool("platform", "1000.00", "EUR", "spend", "charged")
    drivers = {"support": TeamDrivers(Decimal("200"), 0, 0),
               "search": TeamDrivers(Decimal("100"), 0, 0),
               "legal-ops": TeamDrivers(Decimal("100"), 0, 0)}
    with pytest.raises(CurrencyMismatch, match="billing fx set EUR USD RATE --period 2026-10"):
        overhead_lines([pool], drivers, PERIOD, "USD")
    shares = overhead_lines([pool], drivers, PERIOD, "USD",
                            rates={("EUR", "USD"): Decimal("1.0842")})
    amounts = {team: lines[0].amount for team, lines in shares.items()}
    assert amounts == {"support": Decimal("542.10"), "search": Decimal("271.05"),
                       "legal-ops": Decimal("271.05")}
    share = shares["support"][0]
    assert (share.pool_amount, share.pool_currency, share.fx_rate, share.source_amount,
            share.source_currency) == (Decimal("1084.20"), "USD", Decimal("1.0842"),
                                       Decimal("1000.00"), "EUR")
    assert share.explanation() == ("platform 1000.00 EUR at 1.0842 = 1084.20 USD, split by "
                                   "spend: 200 of 400 USD")
    assert share.share == Decimal("0.5")
    accrued = overhead_lines([pool], drivers, PERIOD, "USD", accrued=(15, 31),
                             rates={("EUR", "USD"): Decimal("1.0842")})["search"][0]
    # 1000.00 x 15/31 = 483.87 EUR, at 1.0842 = 524.61 USD
    assert accrued.explanation().startswith(
        "platform 483.87 EUR accrued for 15 of 31 days at 1.0842 = 524.61 USD, split")
    with pytest.raises(CurrencyMismatch, match="billing fx set EUR USD"):  # never inverted
        overhead_lines([pool], drivers, PERIOD, "USD", rates={("USD", "EUR"): Decimal("0.92")})


def test_a_eur_pool_on_a_usd_card_is_refused_until_a_rate_is_recorded(month):
    _rated(month)
    eur = make_pool("platform", "1000.00", "EUR", "spend", "charged")
    with pytest.raises(CurrencyMismatch, match="billing fx set EUR USD RATE --period 2026-10"):
        period_lines(month, PERIOD, pools=[eur])
    assert set_rate(month, "EUR", "USD", "1.0842", period=PERIOD).status == "set"
    with month.connect() as connection:
        assert rates_for(connection, PERIOD) == {("EUR", "USD"): Decimal("1.0842")}
        assert rates_for(connection, "2026-11") == {}
    lines = period_lines(month, PERIOD, pools=[eur])
    shares = [share for team in lines.values() for share in team.overhead]
    assert sum(share.amount for share in shares) == Decimal("1084.20")
    assert all(share.fx_rate == Decimal("1.0842") and share.pool_currency == "USD"
               for share in shares)
    assert all(s.explanation().startswith("platform 1000.00 EUR at 1.0842 = 1084.20 USD, "
                                          "split by spend: ") for s in shares)
    for team in lines.values():
        assert team.total == team.usage_total + team.charged_overhead
        assert team.to_dict()["overhead"][0]["fx_rate"] == "1.0842"
    with pytest.raises(CurrencyMismatch, match="--period 2026-11"):  # a rate is per period
        overhead_lines([eur], {"support": TeamDrivers(Decimal(1), 0, 0)}, "2026-11", "USD",
                       rates={})


def test_a_jpy_pool_on_a_usd_card_converts_from_no_minor_unit_to_cents(month):
    _rated(month)
    gpu = make_pool("gpu", "123457", "JPY", "even", "charged")
    set_rate(month, "JPY", "USD", "0.006612", period=PERIOD, note="BoJ")
    lines = period_lines(month, PERIOD, pools=[gpu])
    shares = sorted(team.overhead[0].amount for team in lines.values())
    assert sum(shares) == Decimal("816.30")
    assert shares[-1] - shares[0] <= Decimal("0.01")  # even: largest remainder, to the cent
    assert all(amount == amount.quantize(Decimal("0.01")) for amount in shares)
    first = next(iter(lines.values())).overhead[0]
    assert "gpu 123457 JPY at 0.006612 = 816.30 USD" in first.explanation()


def test_the_close_refuses_without_a_rate_and_records_the_rate_it_used(month, close_settings):
    _rated(month)
    publish_pools(month, [
        make_pool("observability", "4800.00", "USD", "spend", "charged"),
        make_pool("platform", "1000.00", "EUR", "spend", "charged")])
    with pytest.raises(CloseRefused, match="billing fx set EUR USD RATE --period 2026-10"):
        close_period(month, close_settings, PERIOD, now=NOW)
    with month.connect() as connection:
        assert connection.execute(select(func.count()).select_from(documents)).scalar() == 0
        assert connection.execute(select(func.count()).select_from(closes)).scalar() == 0

    set_rate(month, "EUR", "USD", "1.0842", period=PERIOD, note="ECB reference rate")
    result = close_period(month, close_settings, PERIOD, now=NOW)
    used = [{"from": "EUR", "to": "USD", "period": PERIOD, "rate": "1.0842",
             "pools": ["platform"]}]
    assert result.status == "closed" and result.fx == used
    assert result.to_dict()["fx"] == used
    with month.connect() as connection:
        row = connection.execute(select(closes)).one()
        statements = connection.execute(select(documents).where(
            documents.c.kind == "statement")).all()
    assert json.loads(row.fx_rates) == used
    converted = Decimal(0)
    for statement in statements:
        twin = json.loads(statement.content)
        platform = next(s for s in twin["overhead"] if s["pool"] == "platform")
        assert (platform["fx_rate"], platform["source_amount"],
                platform["source_currency"]) == ("1.0842", "1000.00", "EUR")
        assert "platform 1000.00 EUR at 1.0842 = 1084.20 USD" in platform["explanation"]
        converted += Decimal(platform["amount"])
        assert from_json(twin).overhead[1].fx_rate == Decimal("1.0842")  # round-trips
        text = _pdf_text(statement.pdf_path)
        assert "platform 1000.00 EUR at 1.0842 = 1084.20 USD" in text, statement.number
        assert f"{statement.total:,.2f}" in text
    assert converted == Decimal("1084.20")
    assert close_period(month, close_settings, PERIOD, now=NOW).fx == used  # already closed

    with pytest.raises(FxRefused, match="2026-10 is closed"):
        set_rate(month, "EUR", "USD", "1.0900", period=PERIOD)
    with pytest.raises(FxRefused, match="closed"):
        set_rate(month, "GBP", "USD", "1.27", period=PERIOD)
    again = set_rate(month, "EUR", "USD", "1.08420", period=PERIOD)
    assert again.status == "unchanged" and "nothing to do" in again.message
    assert [(r.rate, r.note) for r in list_rates(month)] == [(Decimal("1.0842"),
                                                              "ECB reference rate")]
    assert set_rate(month, "EUR", "USD", "1.0900", period="2026-11").status == "set"


def test_a_rate_changed_while_the_close_builds_refuses_the_close(month, close_settings,
                                                                monkeypatch):
    _rated(month)
    publish_pools(month, [
        make_pool("platform", "1000.00", "EUR", "spend", "charged")])
    set_rate(month, "EUR", "USD", "1.0842", period=PERIOD)
    build = period_close.build_statements

    def build_then_change_the_rate(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        statements = build(*args, **kwargs)
        set_rate(month, "EUR", "USD", "1.0900", period=PERIOD)
        return statements

    monkeypatch.setattr(period_close, "build_statements", build_then_change_the_rate)
    with pytest.raises(CloseRefused, match="EUR->USD rate of 2026-10 changed"):
        close_period(month, close_settings, PERIOD, now=NOW)
    with month.connect() as connection:
        assert connection.execute(select(func.count()).select_from(documents)).scalar() == 0
    monkeypatch.undo()
    result = close_period(month, close_settings, PERIOD, now=NOW)
    assert [rate["rate"] for rate in result.fx] == ["1.09"]


def test_an_open_period_s_rate_can_be_replaced(engine):
    assert set_rate(engine, "EUR", "USD", "1.0842", period=PERIOD).status == "set"
    changed = set_rate(engine, "EUR", "USD", "1.0850", period=PERIOD, note="corrected")
    assert (changed.status, changed.previous) == ("changed", Decimal("1.0842"))
    assert "was 1.0842" in changed.message
    assert [(r.rate, r.note) for r in list_rates(engine, PERIOD)] == [
        (Decimal("1.085"), "corrected")]


def test_rates_are_stored_exactly(engine):
    set_rate(engine, "IDR", "USD", "0.000061234567", period=PERIOD)
    set_rate(engine, "USD", "JPY", "151.2345", period=PERIOD)
    set_rate(engine, "USD", "KRW", "1400", period=PERIOD)
    with engine.connect() as connection:
        assert rates_for(connection, PERIOD) == {
            ("IDR", "USD"): Decimal("0.000061234567"), ("USD", "JPY"): Decimal("151.2345"),
            ("USD", "KRW"): Decimal("1400")}
    assert [format(r.rate, "f") for r in list_rates(engine, PERIOD)] == [
        "0.000061234567", "151.2345", "1400"]


@pytest.mark.parametrize(("args", "message"), [
    (("EUR", "USD", "abc", PERIOD), "'abc' is not a decimal number"),
    (("EUR", "USD", "0", PERIOD), "must be greater than zero"),
    (("EUR", "USD", "-1", PERIOD), "must be greater than zero"),
    (("EUR", "USD", "NaN", PERIOD), "not a finite number"),
    (("EUR", "USD", "Infinity", PERIOD), "not a finite number"),
    (("EUR", "USD", 1.0842, PERIOD), "is a float"),
    (("EUR", "USD", "1.0000000000001", PERIOD), "more than 12 decimal places"),
    (("usd1", "USD", "1", PERIOD), "from: 'usd1' is not an ISO 4217"),
    (("EUR", "usd", "1", PERIOD), "to: 'usd' is not an ISO 4217"),
    (("USD", "USD", "1", PERIOD), "converts nothing"),
    (("EUR", "USD", "1", "2026-13"), "period: '2026-13' is not a month written YYYY-MM"),
])
def test_bad_rates_are_refused_with_the_field(engine, args, message):
    source, target, value, period = args
    with pytest.raises(FxError, match=message):
        set_rate(engine, source, target, value, period=period)
    assert list_rates(engine) == []


def test_fx_yaml_problems_name_the_file_the_entry_and_the_field():
    good = load_rates('rates:\n  - {from: EUR, to: USD, rate: "1.0842", period: 2026-10}\n'
                      '  - {from: JPY, to: USD, rate: "0.0066", period: 2026-10, note: BoJ}\n',
                      "fx.yaml")
    assert [(e.from_currency, e.rate, e.note) for e in good] == [
        ("EUR", Decimal("1.0842"), ""), ("JPY", Decimal("0.0066"), "BoJ")]
    cases = {
        "rates:\n  - {from: EUR, to: USD, rate: 1.08, period: 2026-10}\n":
            "fx.yaml: rate 1: rate: 1.08 is a float",
        "rates:\n  - {from: EUR, to: USD, rate: \"1.08\", period: 2026-10}\n"
        "  - {from: EUR, to: usd1, rate: \"1.08\", period: 2026-10}\n":
            "fx.yaml: rate 2: to: 'usd1' is not an ISO 4217",
        "rates:\n  - {from: EUR, to: USD, rate: \"1.08\"}\n": "fx.yaml: rate 1: period: missing",
        "rates:\n  - {from: EUR, to: USD, rate: \"1.08\", period: 2026-10-01}\n":
            "fx.yaml: rate 1: period: datetime.date",
        "rates:\n  - {from: EUR, to: USD, rate: \"1.08\", period: 2026-10, by: me}\n":
            "fx.yaml: rate 1: unknown field 'by'",
        "rates:\n  - {from: EUR, to: USD, rate: \"1.08\", period: 2026-10}\n"
        "  - {from: EUR, to: USD, rate: \"1.09\", period: 2026-10}\n":
            "fx.yaml: rate 2: EUR->USD 2026-10 is already given by rate 1",
        "pools: []\n": "fx.yaml: expected a top-level 'rates:' list",
        "rates: [\n": "fx.yaml: not valid YAML",
    }
    for text, message in cases.items():
        with pytest.raises(FxError) as caught:
            load_rates(text, "fx.yaml")
        assert str(caught.value).startswith(message), (text, str(caught.value))


def test_the_showback_api_answers_a_missing_rate_with_a_problem(month, close_settings):
    _rated(month)
    publish_pools(month, [
        make_pool("platform", "1000.00", "EUR", "spend", "charged")])
    auth = {"Authorization": "Bearer test-key"}
    with TestClient(create_app(close_settings)) as client:
        team = sorted(period_lines(month, PERIOD))[0]
        refused = client.get(f"/v1/showback/{team}?period={PERIOD}", headers=auth)
        assert refused.status_code == 409
        assert refused.headers["content-type"] == "application/problem+json"
        assert "billing fx set EUR USD RATE --period 2026-10" in refused.json()["detail"]
        set_rate(month, "EUR", "USD", "1.0842", period=PERIOD)
        shown = client.get(f"/v1/showback/{team}?period={PERIOD}", headers=auth)
        assert shown.status_code == 200
        platform = shown.json()["overhead"][0]
        assert platform["fx_rate"] == "1.0842" and platform["source_currency"] == "EUR"
        assert "at 1.0842" in platform["explanation"]
