"""Quotes: one function behind `billing quote` and `POST /v1/quote`, so both read `at` alike,
pick the same card version and give the same JSON for the same input.

internal@2026-10 is in force from 2026-10-01 and internal@2026-11 from 2026-11-01, dates in
the billing time zone. 2026-11-01T00:30:00+02:00 is 2026-10-31T22:30Z: still October in UTC
(version 2026-10), already 07:30 on 1 November in Tokyo (version 2026-11).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from billing.api.app import create_app
from billing.cli import app
from billing.rating.card_registry import publish_shipped
from billing.rating.quote import in_billing_zone, read_at
from ratecards import PER_CALL, load_card, quote, shipped_card_files

AUTH = {"Authorization": "Bearer test-key"}
runner = CliRunner()
CARDS = {f"{c.card}@{c.version}": c for c in
         (load_card(p.read_text(), p.name) for p in shipped_card_files())}


def test_per_call_tokens_are_multiplied_by_the_requests():
    card = CARDS["internal@2026-10"]
    per_call = quote(card, "claude-sonnet-4", input_tokens=1_200, output_tokens=300,
                     cached_input_tokens=5_000, cache_write_input_tokens=800, requests=1_000,
                     tokens=PER_CALL)
    total = quote(card, "claude-sonnet-4", input_tokens=1_200_000, output_tokens=300_000,
                  cached_input_tokens=5_000_000, cache_write_input_tokens=800_000,
                  requests=1_000)
    # per call 1,200 x 3 + 300 x 15 + 5,000 x 0.30 + 800 x 3.75 = 12,600 per million = 0.0126;
    # x 1,000 calls = 12.60; markup 8% = 1.008; fees 1,000 x 0.0002 = 0.20; 13.808
    assert (per_call.provider_cost, per_call.internal_price) == (Decimal("12.6"),
                                                                 Decimal("13.808"))
    assert (total.provider_cost, total.internal_price) == (Decimal("12.6"), Decimal("13.808"))
    assert (per_call.tokens, per_call.input_tokens, total.tokens) == ("per_call", 1_200, "total")
    with pytest.raises(ValueError, match="per_call"):
        quote(card, "gpt-4o", input_tokens=1, output_tokens=1, tokens="each")


@pytest.mark.parametrize(("written", "read"), [
    ("2026-11-01", datetime(2026, 11, 1)),
    ("2026-10-31T23:30:00", datetime(2026, 10, 31, 23, 30)),
    ("2026-11-01T00:30:00+02:00", datetime(2026, 11, 1, 0, 30,
                                           tzinfo=timezone(timedelta(hours=2)))),
    ("2026-11-01t00:30:00.5z", datetime(2026, 11, 1, 0, 30, 0, 500_000, tzinfo=UTC)),
])
def test_at_is_a_date_or_an_rfc3339_timestamp(written, read):
    assert read_at(written) == read and read_at(written).tzinfo == read.tzinfo


@pytest.mark.parametrize("written", ["yesterday", "20261101", "2026-13-01", "1793577600", 5])
def test_at_written_otherwise_says_how_to_write_it(written):
    with pytest.raises(ValueError, match="2026-11-01T00:30:00"):
        read_at(written)


def test_an_explicit_offset_is_kept_and_a_naive_time_is_in_the_billing_zone():
    tokyo = ZoneInfo("Asia/Tokyo")
    offset = read_at("2026-11-01T00:30:00+02:00")
    assert in_billing_zone(offset, tokyo) is offset
    assert in_billing_zone(read_at("2026-11-01"), tokyo).isoformat() == "2026-11-01T00:00:00+09:00"


@pytest.fixture
def surfaces(engine, database_url, settings, monkeypatch):  # noqa: ANN001, ANN201
    """Quote through the CLI and through the API, on the same database and time zone."""
    publish_shipped(engine)
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name in ("BILLING_TEAM_CARD", "BILLING_CONFIG"):
        monkeypatch.delenv(name, raising=False)

    def both(zone: str, body: dict, args: list[str]) -> tuple:
        monkeypatch.setenv("BILLING_TIMEZONE", zone)
        cli = runner.invoke(app, ["quote", *args, "--json"])
        with TestClient(create_app(replace(settings, timezone=zone))) as client:
            api = client.post("/v1/quote", json=body, headers=AUTH)
        return cli, api

    return both


CASES = [
    # the brief's instant, with cache-write tokens, per call x 1,000 requests
    ({"model": "claude-sonnet-4", "input_tokens": 1200, "output_tokens": 300,
      "cached_input_tokens": 5000, "cache_write_input_tokens": 800, "requests": 1000,
      "tokens": "per_call", "at": "2026-11-01T00:30:00+02:00"},
     ["--model", "claude-sonnet-4", "--input", "1200", "--output", "300", "--cached", "5000",
      "--cache-write", "800", "--requests", "1000", "--per-call",
      "--at", "2026-11-01T00:30:00+02:00"]),
    # the same counts as totals over the requests, on the external card in its tier
    ({"model": "gpt-4o", "input_tokens": 1_200_000, "output_tokens": 300_000,
      "cache_write_input_tokens": 40_000, "requests": 10, "card": "external", "tier": "better",
      "at": "2026-11-01T00:30:00+02:00"},
     ["--model", "gpt-4o", "--input", "1200000", "--output", "300000", "--cache-write",
      "40000", "--requests", "10", "--card", "external", "--tier", "better",
      "--at", "2026-11-01T00:30:00+02:00"]),
    # a date is midnight in the billing zone; a time without an offset is wall time there
    ({"model": "gpt-4o-mini", "input_tokens": 1, "output_tokens": 2, "at": "2026-11-01"},
     ["--model", "gpt-4o-mini", "--input", "1", "--output", "2", "--at", "2026-11-01"]),
    ({"model": "gpt-4o-mini", "input_tokens": 7, "output_tokens": 0,
      "at": "2026-10-31T23:30:00"},
     ["--model", "gpt-4o-mini", "--input", "7", "--output", "0",
      "--at", "2026-10-31T23:30:00"]),
]
# (zone, case) -> the version in force
VERSIONS = {("UTC", 0): "2026-10", ("Asia/Tokyo", 0): "2026-11", ("UTC", 1): "2026-10",
            ("Asia/Tokyo", 1): "2026-10",   # external has one version
            ("UTC", 2): "2026-11", ("Asia/Tokyo", 2): "2026-11",
            ("UTC", 3): "2026-10", ("Asia/Tokyo", 3): "2026-10"}


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_cli_and_api_give_the_same_quote(surfaces, zone, case):
    body, args = CASES[case]
    cli, api = surfaces(zone, body, args)
    assert cli.exit_code == 0, cli.output
    assert api.status_code == 200, api.text
    assert json.loads(cli.stdout) == api.json()
    assert api.json()["version"] == VERSIONS[(zone, case)]


def test_the_brief_instant_in_utc_by_hand(surfaces):
    cli, api = surfaces("UTC", *CASES[0])
    quoted = api.json()
    assert json.loads(cli.stdout) == quoted
    assert {key: quoted[key] for key in (
        "version", "effective_from", "at", "tokens", "requests", "cache_write_input_tokens",
        "provider_cost", "markup_amount", "request_fees", "internal_price")} == {
        "version": "2026-10", "effective_from": "2026-10-01", "at": "2026-11-01T00:30:00+02:00",
        "tokens": "per_call", "requests": 1000, "cache_write_input_tokens": 800,
        "provider_cost": "12.60", "markup_amount": "1.0080", "request_fees": "0.2000",
        "internal_price": "13.8080"}
    human = runner.invoke(app, ["quote", *CASES[0][1]], env={"COLUMNS": "80"})
    assert "internal@2026-10" in human.output and "2026-11-01T00:30:00+02:00" in human.output
    assert "800 cache-write" in human.output and "per call x 1,000 requests" in human.output
    assert "13.808" in human.output
    totals = runner.invoke(app, ["quote", *CASES[1][1]], env={"COLUMNS": "80"})
    assert "in total over 10 requests" in totals.output


@pytest.mark.parametrize(("change", "flag", "exit_code", "status", "field"), [
    ({"model": "no-such-model"}, ["--model", "no-such-model"], 1, 422, "model"),
    ({"card": "nope"}, ["--card", "nope"], 2, 404, "card"),
    ({"at": "2020-01-01"}, ["--at", "2020-01-01"], 1, 422, "at"),
    ({"at": "yesterday"}, ["--at", "yesterday"], 2, 422, "at"),
    ({"tier": "best"}, ["--tier", "best"], 1, 422, "model"),
])
def test_cli_and_api_refuse_the_same_quotes(surfaces, change, flag, exit_code, status, field):
    body = {"model": "gpt-4o-mini", "input_tokens": 1, "output_tokens": 1} | change
    args = ["--model", "gpt-4o-mini", "--input", "1", "--output", "1", *flag]
    cli, api = surfaces("UTC", body, args)
    assert (cli.exit_code, api.status_code, api.json()["field"]) == (exit_code, status, field)
