"""Overhead pools set, listed with their allocation, replaced and removed from the CLI."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from billing.cli import app
from tests_support import pools_in_force

USAGE = Path(__file__).parent.parent / "fixtures" / "usage"
runner = CliRunner()


@pytest.fixture
def pools_file(engine, database_url, monkeypatch):  # noqa: ANN001, ANN201
    """The database whose overhead policy the commands publish."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert runner.invoke(app, ["init"]).exit_code == 0
    return engine


def test_set_list_allocate_replace_remove(pools_file):
    runner.invoke(app, ["ingest", str(USAGE / "native.jsonl")])
    runner.invoke(app, ["rate"])
    made = runner.invoke(app, ["overhead", "set", "observability", "--amount", "100.00",
                               "--driver", "even"])
    assert made.exit_code == 0, made.output
    runner.invoke(app, ["overhead", "set", "platform", "--amount", "50.00", "--driver",
                        "shares", "--share", "support=75", "--share", "search=25",
                        "--treatment", "central"])
    pools = pools_in_force(pools_file)
    assert [(p.name, p.amount, p.treatment) for p in pools] == [
        ("observability", Decimal("100.00"), "charged"), ("platform", Decimal("50.00"), "central")]

    listed = json.loads(runner.invoke(app, ["overhead", "list", "--period", "2026-10",
                                            "--json"]).stdout)
    for pool in ("observability", "platform"):
        parts = [Decimal(share["amount"]) for shares in listed["allocation"].values()
                 for share in shares if share["pool"] == pool]
        assert sum(parts) == Decimal({"observability": "100.00", "platform": "50.00"}[pool])
    platform = {team: shares for team, shares in listed["allocation"].items()}
    assert [s["amount"] for s in platform["support"] if s["pool"] == "platform"] == ["37.50"]

    runner.invoke(app, ["overhead", "set", "observability", "--amount", "120.00", "--driver",
                        "requests"])
    assert [(p.name, p.amount, p.driver) for p in pools_in_force(pools_file)][0] == (
        "observability", Decimal("120.00"), "requests")
    assert runner.invoke(app, ["overhead", "remove", "platform"]).exit_code == 0
    assert [p.name for p in pools_in_force(pools_file)] == ["observability"]


def test_bad_input_says_what_to_fix(pools_file):
    bad_driver = runner.invoke(app, ["overhead", "set", "x", "--amount", "1", "--driver", "vibes"])
    assert bad_driver.exit_code == 2 and "spend, tokens" in bad_driver.output
    bad_amount = runner.invoke(app, ["overhead", "set", "x", "--amount", "1,5", "--driver",
                                     "even"])
    assert bad_amount.exit_code == 2 and "not a decimal" in bad_amount.output
    bad_share = runner.invoke(app, ["overhead", "set", "x", "--amount", "1", "--driver",
                                    "shares", "--share", "support"])
    assert bad_share.exit_code == 2 and "TEAM=WEIGHT" in bad_share.output
    missing = runner.invoke(app, ["overhead", "remove", "nope"])
    assert missing.exit_code == 2 and "billing overhead list" in missing.output
    assert pools_in_force(pools_file) == []
