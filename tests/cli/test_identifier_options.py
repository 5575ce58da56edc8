"""Every CLI option naming a team, use case or customer keeps the identifier rule: a bad name
exits 2 with one line saying what a name may hold, no traceback, before any database or file
is touched; a valid name of any script is taken as it is."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from billing.cli import app

BAD = {"nul": "sup\x00port", "newline": "sup\nport", "slash": "a/b", "html": "<b>",
       "markup": "[x]", "bidi": "sup\u202eport", "zero-width": "support\u200b",
       "not-nfc": "e\u0301quipe", "too-long": "x" * 201}
KANA = "\u30b5\u30dd\u30fc\u30c8"  # サポート
# each command with {} where the name goes, and the option that names it
COMMANDS = [
    ("showback --period 2026-10 --team {}", "--team"),
    ("budgets set --period 2026-10 --amount 1 --team {}", "--team"),
    ("budgets set --period 2026-10 --amount 1 --team t --use-case {}", "--use-case"),
    ("budgets set --period 2026-10 --amount 1 --team t --customer {}", "--customer"),
    ("budgets list --team {}", "--team"),
    ("budgets status --team {}", "--team"),
    ("budgets status --team t --use-case {}", "--use-case"),
    ("budgets status --team t --customer {}", "--customer"),
    ("outcomes report --period 2026-10 --team {}", "--team"),
    ("forecast --team {}", "--team"),
    ("forecast --team t --use-case {}", "--use-case"),
    ("alerts list --team {}", "--team"),
    ("statements list --team {}", "--team"),
    ("invoices list --customer {}", "--customer"),
    ("export showback -o f.csv --period 2026-10 --team {}", "--team"),
    ("keys create --role team --team {}", "--team"),
    ("overhead set pool --amount 1 --driver shares --share {}=100", "--share team"),
]


def _args(command: str, name: str) -> list[str]:
    return [name if part == "{}" else part.replace("{}", name) for part in command.split()]


@pytest.mark.parametrize("name", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize(("command", "option"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_a_bad_name_exits_2_with_one_line_saying_what_is_allowed(command, option, name,
                                                                   tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'billing.db'}")
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(app, _args(command, name))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {option} "), result.output
    assert ("a name may hold only letters and marks of any script" in lines[0]
            or "NFC" in lines[0] or "at most 200" in lines[0]), lines[0]
    assert list(tmp_path.iterdir()) == []  # refused before any database or file is touched


def test_a_valid_name_of_any_script_is_taken(engine, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    made = runner.invoke(app, ["keys", "create", "--role", "team", "--team", KANA, "--json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["team"] == KANA


@pytest.mark.parametrize("field", ["team", "use_case", "customer"])
def test_budgets_load_refuses_a_bad_name_naming_budget_and_field(engine, database_url,
                                                                 monkeypatch, tmp_path, field):
    monkeypatch.setenv("DATABASE_URL", database_url)
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    entry = {"team": "support", "period": "2026-11", "amount": "5.00", field: "sup<b>"}
    if field == "customer":
        entry.pop("team")
    path = tmp_path / "budgets.yaml"
    path.write_text(json.dumps({"budgets": [entry]}))
    result = runner.invoke(app, ["budgets", "load", str(path)])
    assert result.exit_code == 2, result.output
    assert f"budget 1: {field}: {field} 'sup<b>' holds LESS-THAN SIGN" in " ".join(
        result.output.split()), result.output
    assert "Traceback" not in result.output
