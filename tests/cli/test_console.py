"""The console is as wide as the terminal at each print, and formats numbers for people."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from billing.cli import app, console


def test_width_is_columns_else_the_terminal_else_pipe_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert console.out.width == 200
    monkeypatch.setenv("COLUMNS", "80")
    assert console.out.width == console.err.width == 80      # read at each print, not import
    monkeypatch.delenv("COLUMNS")
    monkeypatch.setattr(os, "get_terminal_size", lambda fd: os.terminal_size((132, 40)))
    assert console.out.width == 132
    def no_terminal(fd: int) -> os.terminal_size:
        raise OSError("not a terminal")
    monkeypatch.setattr(os, "get_terminal_size", no_terminal)
    assert console.out.width == console.PIPE_WIDTH


def test_money_counts_and_percents_for_people():
    assert console.money(Decimal("1338.314"), "USD") == "1,338.31"
    assert console.money("5000", "USD", code=True) == "5,000.00 USD"
    assert console.money("1234.5", "JPY") == "1,235"           # half-up; JPY has no minor unit
    assert console.number(195581) == "195,581"
    assert console.number(Decimal("2090.56")) == "2,090.56"
    assert console.percent("40") == "40.00%"


@pytest.mark.parametrize("command", [
    "coverage", "showback --team t", "rate", "close", "statements list", "invoices list",
    "budgets set --team t --amount 1", "budgets list", "budgets status --team t",
    "outcomes report", "forecast --team t", "alerts list", "overhead list",
    "overhead set pool --amount 1 --driver spend --period 2026-10", "export focus -o f.csv",
    "export showback -o f.csv", "stripe push", "stripe reconcile", "demo", "archive --to a",
    "spark reduce --input i --format json",
])
def test_every_period_option_refuses_a_bad_month_with_the_one_message(command, tmp_path,
                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'billing.db'}")
    result = CliRunner().invoke(app, [*command.split(), "--period", "[/]2026-13"])
    assert result.exit_code == 2, result.output
    assert "period '[/]2026-13' is not a month written YYYY-MM, such as 2026-10" in result.output
    assert list(tmp_path.iterdir()) == []  # refused before any database or file is touched
