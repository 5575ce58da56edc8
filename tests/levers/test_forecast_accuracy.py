"""Forecast accuracy across two closes: the close of November forecasts December from
November's drivers and October-to-November adoption; the close of December scores it.
Every figure is recomputed here with Decimal from the card's own prices."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from billing.budgets.forecast import Drivers
from billing.budgets.forecast_snapshots import (
    adoption_growth,
    curve,
    forecast_accuracy,
    stored_curve,
)
from billing.close.period_close import close_period
from billing.ledger.metering import ingest_lines
from billing.rating.card_registry import publish_shipped

INPUT, OUTPUT, MARKUP, FEE = (Decimal("0.15"), Decimal("0.60"), Decimal("0.05"),
                              Decimal("0.0001"))  # gpt-4o-mini, good tier, internal card
MONTHS = {"2026-10": (1000, 10_000_000, 2_000_000), "2026-11": (1200, 12_000_000, 2_400_000),
          "2026-12": (1300, 13_000_000, 2_600_000)}


def _spend(requests: int, inp: int, out: int) -> Decimal:
    return (inp * INPUT + out * OUTPUT) / 1_000_000 * (1 + MARKUP) + requests * FEE


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _ingest(engine, period: str) -> None:  # noqa: ANN001
    requests, inp, out = MONTHS[period]
    ingest_lines(engine, [json.dumps({
        "event_id": f"f-{period}", "occurred_at": f"{period}-02T10:00:00Z", "team": "support",
        "use_case": "copilot", "model": "gpt-4o-mini", "requests": requests,
        "input_tokens": inp, "output_tokens": out})], zone=ZoneInfo("UTC"))


def test_the_next_close_scores_the_forecast_the_last_one_made(engine, close_settings):
    publish_shipped(engine)
    _ingest(engine, "2026-10")
    _ingest(engine, "2026-11")
    close_period(engine, close_settings, "2026-10", now=datetime(2026, 11, 2, tzinfo=UTC))
    close_period(engine, close_settings, "2026-11", now=datetime(2026, 12, 2, tzinfo=UTC))

    requests, inp, out = MONTHS["2026-11"]
    growth = Decimal(1200) / Decimal(1000) - 1
    tokens_per_call = (Decimal(inp + out) / requests).quantize(Decimal("0.01"))
    rate = (_spend(*MONTHS["2026-11"]) * 1000 / (inp + out)).quantize(Decimal("1E-10"))
    expected = []
    for k in (1, 2, 3):
        calls = (Decimal(requests) * (1 + growth) ** k).quantize(Decimal(1),
                                                                 rounding=ROUND_HALF_UP)
        expected.append(_cents(calls * tokens_per_call * rate / 1000))
    stored = stored_curve(engine, "2026-11", "support")
    assert [row["period"] for row in stored] == ["2026-12", "2027-01", "2027-02"]
    assert [Decimal(row["amount"]) for row in stored] == expected
    assert [row["calls"] for row in stored] == ["1440", "1728", "2074"]

    _ingest(engine, "2026-12")  # early December: today is 2026-12-03 on the test machine
    close_period(engine, close_settings, "2026-12", now=datetime(2027, 1, 2, tzinfo=UTC))
    scored = forecast_accuracy(engine, "2026-12")["support"]
    actual = _cents(_spend(*MONTHS["2026-12"]))
    assert scored["forecast"] == str(expected[0])
    assert scored["actual"] == str(actual)
    assert scored["forecast_taken_at_close_of"] == "2026-11"
    error = ((actual - expected[0]) / expected[0] * 100).quantize(Decimal("0.1"),
                                                                  rounding=ROUND_HALF_UP)
    assert scored["error_percent"] == str(error)
    assert Decimal(scored["error_percent"]) < -5  # growth slowed: December fell short

    again = close_period(engine, close_settings, "2026-12", now=datetime(2027, 1, 3,
                                                                         tzinfo=UTC))
    assert again.status == "already_closed"
    assert len(stored_curve(engine, "2026-12", "support")) == 3  # one forecast per close


def test_growth_is_held_within_half_a_month_and_the_curve_within_a_year():
    assert adoption_growth(Decimal(300), Decimal(100)) == Decimal("0.5")
    assert adoption_growth(Decimal(10), Decimal(100)) == Decimal("-0.5")
    assert adoption_growth(Decimal(10), None) == 0
    today = Drivers(Decimal(100), Decimal(1000), Decimal("0.002"))
    months = curve(today, Decimal("0.1"), "2026-11", 12, "USD")
    assert months[-1].period == "2027-11" and months[0].drivers.calls == 110
    try:
        curve(today, Decimal(0), "2026-11", 13, "USD")
    except ValueError as exc:
        assert "1 to 12" in str(exc)
    else:
        raise AssertionError("13 months were accepted")


def test_forecast_months_ahead_cli_and_api_agree(engine, close_settings, monkeypatch):
    import json as _json

    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from billing.api.app import create_app
    from billing.cli import app

    publish_shipped(engine)
    _ingest(engine, "2026-10")
    _ingest(engine, "2026-11")
    from billing.rating.card_registry import published_versions
    from billing.rating.rate import Cards, rate

    rate(engine, Cards(published_versions(engine, "internal"),
                       published_versions(engine, "external")), zone=ZoneInfo("UTC"))
    monkeypatch.setenv("DATABASE_URL", close_settings.database_url)
    args = ["forecast", "--team", "support", "--period", "2026-11", "--months", "4", "-s",
            "lean=tokens:-25%"]
    done = CliRunner().invoke(app, [*args, "--json"])
    assert done.exit_code == 0, done.output
    cli = _json.loads(done.output)
    assert cli["ahead"]["growth_per_month"] == "0.2"  # 1,200 calls after 1,000
    assert cli["ahead"]["months"] == ["2026-12", "2027-01", "2027-02", "2027-03"]
    today = cli["ahead"]["curves"]["today"]
    lean = cli["ahead"]["curves"]["lean"]
    assert [row["calls"] for row in today] == ["1440", "1728", "2074", "2488"]
    for a, b in zip(today, lean, strict=True):  # a quarter fewer tokens, a quarter less cost
        assert abs(Decimal(b["amount"]) - Decimal(a["amount"]) * Decimal("0.75")) <= Decimal(
            "0.01")
    with TestClient(create_app(close_settings)) as client:
        got = client.get("/v1/forecast/support", params={
            "period": "2026-11", "months": 4, "scenario": "lean=tokens:-25%"},
            headers={"Authorization": "Bearer test-key"})
        assert got.status_code == 200
        assert got.json()["ahead"] == cli["ahead"]
        bad = client.get("/v1/forecast/support", params={
            "period": "2026-11", "months": 4, "growth": "80%"},
            headers={"Authorization": "Bearer test-key"})
        assert bad.status_code == 422 and bad.json()["field"] == "growth"
    given = _json.loads(CliRunner().invoke(app, [*args, "--growth", "5%", "--json"]).output)
    assert given["ahead"]["growth_per_month"] == "0.05"
    table = CliRunner().invoke(app, args)
    assert "Months ahead, calls 20.00% a month" in " ".join(table.output.split())
