"""The console is as wide as the terminal at each print, and formats numbers for people."""

from __future__ import annotations

import os
from decimal import Decimal

from billing.cli import console


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
