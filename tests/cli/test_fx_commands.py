"""FX rates from the command line: a EUR pool on a USD card is refused until a rate is set;
bad input says what to fix; a closed period's rate never changes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from billing.cli import app
from billing.rating.overhead import make_pool
from tests_support import pools_in_force, publish_pools

USAGE = Path(__file__).parent.parent / "fixtures" / "usage"
FX_SET = "billing fx set EUR USD RATE --period 2026-10"
runner = CliRunner()


@pytest.fixture
def env(engine, database_url, monkeypatch, tmp_path) -> Path:  # noqa: ANN001
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BILLING_DOCUMENTS_DIR", str(tmp_path / "documents"))
    monkeypatch.setenv("COLUMNS", "200")
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["ingest", str(USAGE / "native.jsonl")]).exit_code == 1  # bad rows
    assert runner.invoke(app, ["rate"]).exit_code == 0
    return tmp_path


def _refused(result, *words: str) -> None:  # noqa: ANN001
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    text = " ".join(result.output.split())
    for word in words:
        assert word in text, text


def test_a_eur_pool_is_refused_until_the_rate_is_set_then_converts(env: Path, engine):  # noqa: ANN001
    refused = runner.invoke(app, ["overhead", "set", "platform", "--amount", "1000.00",
                                  "--currency", "EUR", "--driver", "spend", "--period",
                                  "2026-10"])
    _refused(refused, "'platform' is in EUR but teams are shown in USD", FX_SET)
    assert pools_in_force(engine) == []
    every = runner.invoke(app, ["overhead", "set", "platform", "--amount", "1000.00",
                                "--currency", "EUR", "--driver", "spend"])
    _refused(every, "applies to every period", "needs its own EUR->USD rate")

    made = runner.invoke(app, ["fx", "set", "EUR", "USD", "1.0842", "--period", "2026-10",
                               "-m", "ECB reference rate"])
    assert made.exit_code == 0 and "1 EUR = 1.0842 USD for 2026-10 recorded" in made.output
    again = runner.invoke(app, ["fx", "set", "EUR", "USD", "1.0842", "--period", "2026-10"])
    assert again.exit_code == 0 and "already recorded; nothing to do" in again.output
    assert json.loads(runner.invoke(app, ["fx", "set", "EUR", "USD", "1.0842", "--period",
                                          "2026-10", "--json"]).stdout)["status"] == "unchanged"

    saved = runner.invoke(app, ["overhead", "set", "platform", "--amount", "1000.00",
                                "--currency", "EUR", "--driver", "spend", "--period",
                                "2026-10"])
    assert saved.exit_code == 0, saved.output
    assert [p.currency for p in pools_in_force(engine)] == ["EUR"]
    listed = json.loads(runner.invoke(app, ["overhead", "list", "--period", "2026-10",
                                            "--json"]).stdout)
    parts = [Decimal(s["amount"]) for shares in listed["allocation"].values() for s in shares]
    assert sum(parts) == Decimal("1084.20")

    shown = runner.invoke(app, ["showback", "--team", "support", "--period", "2026-10"])
    assert shown.exit_code == 0
    assert "platform 1000.00 EUR at 1.0842 = 1084.20 USD, split by spend" in " ".join(
        shown.output.split())
    rates = json.loads(runner.invoke(app, ["fx", "list", "--json"]).stdout)["rates"]
    assert [(r["from"], r["to"], r["period"], r["rate"], r["note"]) for r in rates] == [
        ("EUR", "USD", "2026-10", "1.0842", "ECB reference rate")]
    assert "1.0842" in runner.invoke(app, ["fx", "list", "--period", "2026-10"]).output
    assert "No FX rates recorded for 2026-11" in runner.invoke(
        app, ["fx", "list", "--period", "2026-11"]).output

    closed = runner.invoke(app, ["close", "--period", "2026-10"])
    assert closed.exit_code == 0, closed.output
    assert "FX: 1 EUR = 1.0842 USD for 2026-10, converting platform" in closed.output
    changed = runner.invoke(app, ["fx", "set", "EUR", "USD", "1.0900", "--period", "2026-10"])
    _refused(changed, "2026-10 is closed", "at 1.0842", "never changes")
    same = runner.invoke(app, ["fx", "set", "EUR", "USD", "1.0842", "--period", "2026-10"])
    assert same.exit_code == 0 and "nothing to do" in same.output


def test_showback_and_close_without_a_rate_exit_2_with_the_fx_command(env: Path, engine):  # noqa: ANN001
    publish_pools(engine, [make_pool("platform", "1000.00", "EUR", "spend", "charged")])
    _refused(runner.invoke(app, ["showback", "--team", "support", "--period", "2026-10"]),
             FX_SET)
    _refused(runner.invoke(app, ["showback", "--team", "support", "--period", "2026-10",
                                 "--json"]), FX_SET)
    _refused(runner.invoke(app, ["overhead", "list", "--period", "2026-10"]), FX_SET)
    _refused(runner.invoke(app, ["close", "--period", "2026-10"]),
             "2026-10 cannot close", FX_SET, "nothing was written")
    _refused(runner.invoke(app, ["close", "--period", "2026-10", "--dry-run"]), FX_SET)
    assert json.loads(runner.invoke(app, ["statements", "list", "--json"]).stdout) == []


def test_a_jpy_pool_converts_to_cents(env: Path):
    assert runner.invoke(app, ["fx", "set", "JPY", "USD", "0.006612", "--period",
                               "2026-10"]).exit_code == 0
    assert runner.invoke(app, ["overhead", "set", "gpu", "--amount", "123457", "--currency",
                               "JPY", "--driver", "even", "--period", "2026-10"]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["overhead", "list", "--period", "2026-10",
                                            "--json"]).stdout)
    parts = [Decimal(s["amount"]) for shares in listed["allocation"].values() for s in shares]
    assert sum(parts) == Decimal("816.30")
    assert all(part == part.quantize(Decimal("0.01")) for part in parts)


@pytest.mark.parametrize(("args", "message"), [
    (["EUR", "USD", "abc"], "rate: 'abc' is not a decimal number"),
    (["EUR", "USD", "0"], "rate: '0' must be greater than zero"),
    (["EUR", "USD", "-1"], "rate: '-1' must be greater than zero"),
    (["EUR", "USD", "nan"], "rate: 'nan' is not a finite number"),
    (["usd1", "USD", "1.08"], "from: 'usd1' is not an ISO 4217 currency code"),
    (["EUR", "eur", "1.08"], "to: 'eur' is not an ISO 4217 currency code"),
])
def test_bad_input_exits_2_and_says_what_to_fix(env: Path, args, message):
    result = runner.invoke(app, ["fx", "set", *args, "--period", "2026-10"])
    _refused(result, message)
    assert json.loads(runner.invoke(app, ["fx", "list", "--json"]).stdout)["rates"] == []


def test_bad_period_exits_2(env: Path):
    _refused(runner.invoke(app, ["fx", "set", "EUR", "USD", "1.08", "--period", "2026-13"]),
             "2026-13")


def test_fx_yaml_loads_all_or_nothing_and_names_file_entry_and_field(env: Path):
    good = env / "fx.yaml"
    good.write_text('rates:\n  - {from: EUR, to: USD, rate: "1.0842", period: 2026-10}\n'
                    '  - {from: JPY, to: USD, rate: "0.006612", period: 2026-10, note: BoJ}\n')
    loaded = runner.invoke(app, ["fx", "load", str(good)])
    assert loaded.exit_code == 0 and "2 of 2 rates recorded" in loaded.output
    again = json.loads(runner.invoke(app, ["fx", "load", str(good), "--json"]).stdout)
    assert [item["status"] for item in again["rates"]] == ["unchanged", "unchanged"]

    floats = env / "floats.yaml"
    floats.write_text('rates:\n  - {from: GBP, to: USD, rate: "1.27", period: 2026-10}\n'
                      '  - {from: CHF, to: USD, rate: 1.08, period: 2026-10}\n')
    _refused(runner.invoke(app, ["fx", "load", str(floats)]),
             f"{floats}: rate 2: rate: 1.08 is a float", 'quoted decimal string such as "1.0842"')
    currency = env / "currency.yaml"
    currency.write_text('rates:\n  - {from: usd1, to: USD, rate: "1", period: 2026-10}\n')
    _refused(runner.invoke(app, ["fx", "load", str(currency)]),
             f"{currency}: rate 1: from: 'usd1' is not an ISO 4217")
    rates = json.loads(runner.invoke(app, ["fx", "list", "--json"]).stdout)["rates"]
    assert {r["from"] for r in rates} == {"EUR", "JPY"}  # the GBP of the bad file: not kept


def test_every_fx_command_has_help():
    for command in (["fx"], ["fx", "set"], ["fx", "list"], ["fx", "load"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, command


def test_the_example_fx_yaml_loads(env: Path):
    example = Path(__file__).parent.parent.parent / "examples" / "fx.yaml"
    loaded = runner.invoke(app, ["fx", "load", str(example)])
    assert loaded.exit_code == 0 and "2 of 2 rates recorded" in loaded.output
