"""The shared model-alias table (issue 17): a published policy (`kind: model_aliases`) maps the
names sources report a model by to a card's model, for every card; a card's own names and
aliases come first; each rated line keeps the model as reported and the model as priced."""

from __future__ import annotations

import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from billing.cli import app
from billing.ledger.metering import ingest_lines
from billing.models import RatedLine
from billing.policies.document import PolicyValidationError
from billing.policies.in_force import model_aliases_for
from billing.policies.registry import publish
from billing.rating.rate import Cards, rate
from ratecards import load_card
from tests.cards.test_model_aliases import CARD

UTC = ZoneInfo("UTC")
runner = CliRunner()
TABLE = """kind: model_aliases
version: "2026-10"
effective_from: 2026-10
aliases:
  gpt-4o-mini: [gpt-4o-mini-latest, gpt4o-mini-nickname]
  claude-sonnet-4: [claude-4-sonnet]
  # the card says gpt-4o-mini-2024-07-18 is gpt-4o-mini: the card wins
  claude-sonnet-4-20250514: [gpt-4o-mini-2024-07-18]
"""
REPORTED = ("gpt-4o-mini-latest", "openrouter/anthropic/claude-4-sonnet",
            "gpt-4o-mini-2024-07-18", "gpt4o-mini-nickname", "mystery-model-1")


def _events(models: tuple[str, ...]) -> list[str]:
    return [json.dumps({"event_id": f"alias-{n}", "occurred_at": "2026-10-05T10:00:00Z",
                        "team": "support", "model": model, "input_tokens": 1_000_000,
                        "output_tokens": 0}) for n, model in enumerate(models)]


def _priced(engine) -> dict[str, tuple]:  # noqa: ANN001
    table = RatedLine.__table__
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.model, table.c.priced_model, table.c.amount,
                                         table.c.unpriced_reason)
                                  .where(table.c.view == "showback")).all()
    return {row.model: (row.priced_model, row.amount, row.unpriced_reason) for row in rows}


def test_rating_prices_reported_names_through_the_table_after_the_card(engine):
    publish(engine, TABLE, "aliases.yaml", change_note="shared aliases")
    card = load_card(CARD, "aliases.yaml")
    assert ingest_lines(engine, _events(REPORTED), zone=UTC, fmt="native",
                        source="t").accepted == 5
    rate(engine, Cards(team=[card], customer=[card]), zone=UTC,
         aliases_for=model_aliases_for(engine))
    lines = _priced(engine)
    million_input = {"gpt-4o-mini": Decimal("0.15"), "claude-sonnet-4": Decimal("3.00")}
    expected = {"gpt-4o-mini-latest": "gpt-4o-mini",
                "openrouter/anthropic/claude-4-sonnet": "claude-sonnet-4",
                "gpt-4o-mini-2024-07-18": "gpt-4o-mini",  # the card's alias, not the table's
                "gpt4o-mini-nickname": "gpt-4o-mini"}  # table -> card alias -> model
    for reported, priced in expected.items():
        priced_model, amount, reason = lines[reported]
        assert (priced_model, reason) == (priced, None), reported
        assert Decimal(amount) == million_input[priced]
    assert lines["mystery-model-1"][0] is None
    assert "mystery-model-1" in lines["mystery-model-1"][2]


def test_without_the_table_the_same_names_stay_unpriced(engine):
    card = load_card(CARD, "aliases.yaml")
    ingest_lines(engine, _events(REPORTED[:2]), zone=UTC, fmt="native", source="t")
    rate(engine, Cards(team=[card], customer=[card]), zone=UTC,
         aliases_for=model_aliases_for(engine))
    assert {model: line[0] for model, line in _priced(engine).items()} == {
        "gpt-4o-mini-latest": None, "openrouter/anthropic/claude-4-sonnet": None}


@pytest.mark.parametrize(("body", "words"), [
    ("aliases: {gpt-4o-mini: [a], claude-sonnet-4: [a]}", "'a' is already an alias of"),
    ("aliases: {gpt-4o-mini: [claude-sonnet-4], claude-sonnet-4: [x]}", "a model of this"),
    ("aliases: {gpt-4o-mini: []}", "list the names"),
    ("aliases: []", "aliases must map"),
])
def test_a_bad_table_is_refused_naming_the_alias(engine, body, words):  # noqa: ANN001
    text = 'kind: model_aliases\nversion: "x"\neffective_from: 2026-10\n' + body + "\n"
    with pytest.raises(PolicyValidationError) as refused:
        publish(engine, text, "bad.yaml")
    assert words in str(refused.value) and "aliases" in str(refused.value)


def test_cli_publishes_lists_shows_and_rates_with_the_table(engine, database_url, monkeypatch,
                                                             tmp_path):  # noqa: ANN001
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert runner.invoke(app, ["init"]).exit_code == 0
    path = tmp_path / "model_aliases.yaml"
    path.write_text(TABLE)
    made = runner.invoke(app, ["policy", "publish", str(path), "-m", "aliases", "--json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["kind"] == "model_aliases"
    listed = json.loads(runner.invoke(app, ["policy", "list", "--json"]).output)
    assert [row["version"] for row in listed if row["kind"] == "model_aliases"] == ["2026-10"]
    shown = json.loads(runner.invoke(app, ["policy", "show", "model_aliases", "--json"]).output)
    assert shown["body"]["aliases"]["gpt-4o-mini"] == ["gpt-4o-mini-latest",
                                                       "gpt4o-mini-nickname"]
    source = tmp_path / "usage.jsonl"
    source.write_text("\n".join(_events(("gpt-4o-mini-latest",))) + "\n")
    assert runner.invoke(app, ["ingest", str(source)]).exit_code == 0
    rated = runner.invoke(app, ["rate", "--json"])
    assert rated.exit_code == 0, rated.output
    priced_model, amount, reason = _priced(engine)["gpt-4o-mini-latest"]
    assert (priced_model, reason) == ("gpt-4o-mini", None) and Decimal(amount) > 0
