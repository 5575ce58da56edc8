"""A forecast table computed by hand: calls x tokens per call x rate per 1,000 tokens.

Team support in October: 1,000 calls of m-mixed, 6,000,000 input and 2,000,000 output tokens:
spend 6 x 3.00 + 2 x 6.00 = 30.00; tokens per call 8,000; rate 30.00 / 8,000 (thousands) =
0.00375 per 1,000 tokens. today = 1,000 x 8,000 x 0.00375 / 1,000 = 30.00.

  scenario        calls   tokens   rate     cost                          change   %
  flat            1,000   8,000    0.00375  30.00                           0.00    0.00
  growth          1,400   8,000    0.00375  1,400 x 8 x 0.00375 = 42.00   +12.00  +40.00
  context-creep   1,000  10,000    0.00375  1,000 x 10 x 0.00375 = 37.50   +7.50  +25.00
  levers          1,400   9,100    0.0042   1,400 x 9.1 x 0.0042 = 53.508 -> 53.51
                                                                          +23.51  +78.36
The change in money is between the rounded costs; in percent between the exact ones
(23.508 / 30 = 78.36%).
  cheaper         1,200   8,000    0.002    1,200 x 8 x 0.002 = 19.20     -10.80  -36.00
"""

from __future__ import annotations

import calendar
import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from budget_support import UTC, event
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from billing.api.app import create_app
from billing.budgets.forecast import (
    Drivers,
    ScenarioError,
    drivers_from_usage,
    ledger_forecast,
    parse_scenario,
    project,
)
from billing.cli import app
from billing.cli.budgets import print_forecast

AUTH = {"Authorization": "Bearer test-key"}
runner = CliRunner()
NOVEMBER = datetime(2026, 11, 15, 9, tzinfo=UTC)  # October is a whole past month

SCENARIOS = ["flat=", "growth=calls:+40%", "context-creep=tokens:+25%",
             "levers=calls:+40%,tokens:9100,rate:0.0042", "cheaper=rate:0.002,calls:1200"]
TABLE = [
    ("today", "1000", "8000", "0.00375", "30.00", "0.00", "0.00"),
    ("flat", "1000", "8000", "0.00375", "30.00", "0.00", "0.00"),
    ("growth", "1400", "8000", "0.00375", "42.00", "12.00", "40.00"),
    ("context-creep", "1000", "10000", "0.00375", "37.50", "7.50", "25.00"),
    ("levers", "1400", "9100", "0.0042", "53.51", "23.51", "78.36"),
    ("cheaper", "1200", "8000", "0.002", "19.20", "-10.80", "-36.00"),
]


def _rows(result) -> list[tuple]:  # noqa: ANN001
    return [(r["scenario"], r["calls"], r["tokens_per_call"], r["rate_per_1k"], r["cost"],
             r["change"], r["change_percent"]) for r in result.to_dict()["scenarios"]]


def test_five_scenarios_by_hand_from_the_ledger(engine, usage):
    usage([event("f1", "2026-10-07", model="m-mixed", input_tokens=6_000_000,
                 output_tokens=2_000_000, requests=1_000, team="support", use_case="copilot")])
    result = ledger_forecast(engine, "support", "2026-10",
                             [parse_scenario(text) for text in SCENARIOS], now=NOVEMBER, zone=UTC)
    assert result.currency == "USD" and result.base_period == "2026-10"
    assert _rows(result) == TABLE
    assert result.in_progress is None and result.to_dict()["month_in_progress"] is None
    default_base = ledger_forecast(engine, "support", None, [], now=NOVEMBER, zone=UTC)
    assert default_base.base_period == "2026-10"                    # the month before now's
    use_case = ledger_forecast(engine, "support", "2026-10", [], use_case="copilot",
                               now=NOVEMBER, zone=UTC)
    assert use_case.projections[0].cost == Decimal("30.00")


def test_overridden_drivers_and_pure_projection():
    today = Drivers(Decimal(1000), Decimal(8000), Decimal("0.00375"))
    result = project(today, [parse_scenario("x=calls:-50%")], "USD")
    assert [(p.name, p.cost, p.change) for p in result.projections] == [
        ("today", Decimal("30.00"), Decimal(0)), ("x", Decimal("15.00"), Decimal("-15.00"))]
    assert drivers_from_usage(Decimal("30"), 1000, 8_000_000) == Drivers(
        Decimal(1000), Decimal("8000.00"), Decimal("0.0037500000"))
    assert drivers_from_usage(Decimal(0), 0, 0).tokens_per_call == 0


def test_overrides_from_the_ledger(engine):
    result = ledger_forecast(engine, "nobody", "2026-10", [parse_scenario("g=calls:+10%")],
                             now=NOVEMBER, zone=UTC, calls=Decimal(100), tokens=Decimal(1000),
                             rate=Decimal("0.01"))
    assert [str(p.cost) for p in result.projections] == ["1.00", "1.10"]


# November has 30 days. Team support has made 100 calls of m-cheap (1.00 per million tokens)
# so far, 10,000,000 tokens: spend 10.00, 100,000 tokens per call, 0.001 per 1,000 tokens.
# On day 10 the month is a third gone: 100 x 30 / 10 = 300 calls, 300 x 100 x 0.001 = 30.00;
# calls:+40% is 420 calls, 42.00. Once November is over, it is the 100 calls measured, 10.00.
SO_FAR = [event("p1", "2026-11-02", input_tokens=4_000_000, requests=40, team="support"),
          event("p2", "2026-11-09", input_tokens=6_000_000, requests=60, team="support")]


def _today(result) -> tuple:  # noqa: ANN001
    today = result.projections[0]
    return today.drivers.calls, today.drivers.tokens_per_call, today.cost


def test_a_month_in_progress_is_projected_from_the_days_elapsed(engine, usage):
    usage(SO_FAR)
    day_10 = datetime(2026, 11, 10, 15, tzinfo=UTC)
    result = ledger_forecast(engine, "support", "2026-11", [parse_scenario("g=calls:+40%")],
                             now=day_10, zone=UTC)
    assert _today(result) == (Decimal(300), Decimal(100_000), Decimal("30.00"))
    assert [str(p.cost) for p in result.projections] == ["30.00", "42.00"]
    assert result.to_dict()["month_in_progress"] == {
        "days_elapsed": 10, "days_in_month": 30, "calls_so_far": "100", "projected_calls": "300"}
    # the same month as of its default base: now in December, November is the month before
    default = ledger_forecast(engine, "support", None, [], now=datetime(2026, 12, 1, tzinfo=UTC),
                              zone=UTC)
    assert default.base_period == "2026-11" and default.in_progress is None


def test_a_full_past_month_is_unchanged(engine, usage):
    usage(SO_FAR)
    for now in (datetime(2026, 12, 5, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC)):
        result = ledger_forecast(engine, "support", "2026-11", [], now=now, zone=UTC)
        assert _today(result) == (Decimal(100), Decimal(100_000), Decimal("10.00"))
        assert result.in_progress is None
    # the month's last day counts as its whole: 30 of 30 days elapsed
    last_day = ledger_forecast(engine, "support", "2026-11", [], zone=UTC,
                               now=datetime(2026, 11, 30, 8, tzinfo=UTC))
    assert _today(last_day)[0] == Decimal(100) and last_day.in_progress is None


def test_days_elapsed_are_counted_in_the_billing_time_zone(engine, usage):
    usage(SO_FAR)
    late_on_the_9th_utc = datetime(2026, 11, 9, 23, 30, tzinfo=UTC)   # the 10th in Berlin
    berlin = ledger_forecast(engine, "support", "2026-11", [], now=late_on_the_9th_utc,
                             zone=ZoneInfo("Europe/Berlin"))
    assert (berlin.in_progress.days_elapsed, _today(berlin)[0]) == (10, Decimal(300))
    utc = ledger_forecast(engine, "support", "2026-11", [], now=late_on_the_9th_utc, zone=UTC)
    assert (utc.in_progress.days_elapsed, _today(utc)[0]) == (9, Decimal(333))  # 333.33


def test_calls_given_for_a_month_in_progress_are_not_projected(engine, usage):
    usage(SO_FAR)
    result = ledger_forecast(engine, "support", "2026-11", [], calls=Decimal(250), zone=UTC,
                             now=datetime(2026, 11, 10, tzinfo=UTC))
    assert _today(result) == (Decimal(250), Decimal(100_000), Decimal("25.00"))
    assert result.to_dict()["month_in_progress"] == {
        "days_elapsed": 10, "days_in_month": 30, "calls_so_far": "100", "projected_calls": None}


@pytest.mark.parametrize(("text", "message"), [
    ("growth", "NAME=driver"), ("g=calls:40%", r"calls:\+40%"), ("g=speed:2", "calls:"),
    ("g=calls:abc", "not a number"), ("g=calls:-5", "negative"), ("today=calls:1", "today"),
    ("g=calls:1,calls:2", "twice")])
def test_bad_scenarios_say_how_to_write_them(text, message):
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(text)


@pytest.fixture
def cli(engine, database_url, monkeypatch):  # noqa: ANN001, ANN201
    """`billing ... --json` on the test database, as a user runs it."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("BILLING_TIMEZONE", "BILLING_TEAM_CARD", "BILLING_CONFIG"):
        monkeypatch.delenv(name, raising=False)

    def run(args: list[str]) -> dict:
        result = runner.invoke(app, [*args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return run


def test_cli_and_api_forecast_alike_for_past_and_current_months(engine, settings, usage, cli):
    now = datetime.now(UTC)
    current = f"{now:%Y-%m}"
    usage(SO_FAR + [event("c1", now.isoformat(), input_tokens=700_000, requests=7,
                          team="support")])
    cases = [({"period": "2026-11", "scenario": ["g=calls:+40%", "c=tokens:+25%,rate:0.002"]},
              ["--period", "2026-11", "--scenario", "g=calls:+40%", "--scenario",
               "c=tokens:+25%,rate:0.002"]),
             ({"period": "2026-11", "calls": "500"}, ["--period", "2026-11", "--calls", "500"]),
             ({"period": current}, ["--period", current])]
    with TestClient(create_app(settings)) as client:
        for params, args in cases:
            api = client.get("/v1/forecast/support", params=params, headers=AUTH)
            assert api.status_code == 200, api.text
            assert cli(["forecast", "--team", "support", *args]) == api.json()
    days = calendar.monthrange(now.year, now.month)[1]
    progress = api.json()["month_in_progress"]
    if now.day < days:   # the current month projects its 7 calls so far to the whole month
        assert progress == {"days_elapsed": now.day, "days_in_month": days, "calls_so_far": "7",
                            "projected_calls": str((Decimal(7 * days) / now.day).quantize(
                                Decimal(1), rounding=ROUND_HALF_UP))}
    else:
        assert progress is None


def test_forecast_prints_tokens_whole_and_rates_to_four_figures(engine, usage, cli, monkeypatch,
                                                                 capsys):
    # 6,000,000 in at 3.00 + 1,000,000 out at 6.00 = 24.00 over 777 calls: 9,009.01 tokens
    # per call, 24.00 / 7,000 = 0.0034285714 per 1,000 tokens
    usage([event("r1", "2026-10-07", model="m-mixed", input_tokens=6_000_000,
                 output_tokens=1_000_000, requests=777, team="support")])
    assert cli(["forecast", "--team", "support", "--period", "2026-10"])["scenarios"][0][
        "rate_per_1k"] == "0.0034285714"                        # machines: every digit kept
    table = runner.invoke(app, ["forecast", "--team", "support", "--period", "2026-10",
                                "--scenario", "growth=calls:+40%"], env={"COLUMNS": "80"})
    assert "9,009 " in table.output and "0.003429 " in table.output, table.output
    assert "9,009.01" not in table.output and "0.0034285714" not in table.output
    assert "hidden" not in table.output and "in progress" not in table.output
    assert max(len(line) for line in table.output.splitlines()) <= 80
    monkeypatch.setenv("COLUMNS", "80")
    usage(SO_FAR)
    print_forecast(ledger_forecast(engine, "support", "2026-11", [], zone=UTC,
                                   now=datetime(2026, 11, 10, tzinfo=UTC)), "support")
    printed = " ".join(capsys.readouterr().out.split())
    assert "2026-11 is in progress, day 10 of 30: 100 calls so far x 30/10 = 300 projected." \
        in printed
