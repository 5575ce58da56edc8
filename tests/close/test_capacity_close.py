"""A self-hosted model priced by its capacity, from rating to the statement PDF.

Card (both variants): llama-self in tier better, markup 10%, no fee; 720 GPU hours x 2.35 =
1,692.00 a month; 90,000,000 tokens at full use.
Team a: 20,000,000 input + 3,456,789 output tokens on 2026-10-03, rated first (a provisional
price: a alone served the month so far); team b: 4,444,567 input on 2026-10-20, rated later.
Served 27,901,356 tokens in October.
- idle charged: price = 1,692.00 / 27.901356 per million; a pays 23.456789 M x price x 1.1.
- idle central: price = 1,692.00 / 90 = 18.80 per million; a pays 23.456789 x 18.80 x 1.1,
  and the idle 1,692.00 - 27.901356 x 18.80 is a central pool, shared by llama tokens.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import orjson
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from billing.close.period_close import close_period
from billing.ledger.metering import ingest_lines
from billing.models import Document, RatedLine
from billing.policies.in_force import attribution_rules_for
from billing.rating.card_registry import publish
from billing.rating.rate import cards_in_use, rate

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
CARD = """
card: capacity-{idle}
version: "2026-10"
effective_from: 2026-10-01
currency: USD
tiers:
  better:
    description: self-hosted
    slo: {{p95_latency_ms: 5000}}
    markup: "0.10"
    per_request_fee: "0"
    models: {{}}
capacity:
  llama-self:
    provider: internal
    tier: better
    gpu_hours: "720"
    gpu_hour_rate: "2.35"
    capacity_tokens: 90000000
    idle: {idle}
"""
COST, FULL, MILLION = Decimal("720") * Decimal("2.35"), Decimal(90_000_000), Decimal(1_000_000)
A_TOKENS, B_TOKENS = 20_000_000 + 3_456_789, 4_444_567
SERVED = A_TOKENS + B_TOKENS
CENT = Decimal("0.01")


def _event(event_id: str, day: str, team: str, inp: int, out: int) -> str:
    return orjson.dumps({"event_id": event_id, "occurred_at": f"2026-10-{day}T12:00:00Z",
                         "team": team, "use_case": f"{team}-uc", "model": "llama-self",
                         "provider": "internal", "input_tokens": inp, "output_tokens": out,
                         "requests": 10}).decode()


def _rate(engine, card: str):  # noqa: ANN001, ANN202
    return rate(engine, cards_in_use(engine, card, card), zone=ZoneInfo("UTC"),
                rules_for=attribution_rules_for(engine))


def _showback(engine, team: str) -> Decimal:  # noqa: ANN001
    rated = RatedLine.__table__
    with engine.connect() as connection:
        return sum(connection.execute(select(rated.c.amount).where(
            rated.c.view == "showback", rated.c.team == team)).scalars(), Decimal(0))


def _statement(engine, team: str):  # noqa: ANN001, ANN202
    documents = Document.__table__
    with engine.connect() as connection:
        row = connection.execute(select(documents).where(
            documents.c.kind == "statement", documents.c.subject == team)).one()
    text = "".join(page.extract_text() or "" for page in PdfReader(row.pdf_path).pages)
    return json.loads(row.content), text


def _close(engine, close_settings, idle: str):  # noqa: ANN001, ANN202
    card = f"capacity-{idle}"
    publish(engine, CARD.format(idle=idle), f"{card}.yaml")
    ingest_lines(engine, [_event("a1", "03", "a", 20_000_000, 3_456_789)], zone=ZoneInfo("UTC"))
    _rate(engine, card)
    provisional = _showback(engine, "a")
    ingest_lines(engine, [_event("b1", "20", "b", B_TOKENS, 0)], zone=ZoneInfo("UTC"))
    _rate(engine, card)
    repriced = _showback(engine, "a")
    config = replace(close_settings, team_card=card, customer_card=card)
    result = close_period(engine, config, "2026-10", now=NOW)
    assert "rerated" not in result.rating  # the incremental runs priced the month
    return provisional, repriced, result


def test_idle_charged_spreads_the_month_over_the_tokens_served(engine, close_settings):
    provisional, repriced, result = _close(engine, close_settings, "charged")
    price = COST * MILLION / Decimal(SERVED)
    # a alone had served the month when it was first rated: its price was provisional
    assert provisional == pytest.approx(COST * Decimal("1.10"), abs=Decimal("1e-9"))
    expected = (Decimal(A_TOKENS) * price / MILLION * Decimal("1.10")).quantize(
        CENT, ROUND_HALF_UP)
    # b's usage raised the throughput: a's line was re-priced by the second rating run
    assert repriced.quantize(CENT, ROUND_HALF_UP) == expected
    twin, text = _statement(engine, "a")
    assert [Decimal(line["amount"]) for line in twin["lines"]] == [expected]
    assert f"{expected:,}" in text and "llama-self" in text
    (capacity,) = result.capacity
    assert capacity["served_tokens"] == SERVED and Decimal(capacity["idle_cost"]) == 0
    assert Decimal(capacity["price_per_million"]) == price
    assert not [pool for pool in twin["overhead"] if pool["pool"].startswith("idle capacity")]


def test_idle_central_charges_the_full_use_price_and_shows_the_idle_pool(engine,
                                                                           close_settings):
    _, _, result = _close(engine, close_settings, "central")
    price = COST * MILLION / FULL
    assert price == Decimal("18.80")
    expected = (Decimal(A_TOKENS) * price / MILLION * Decimal("1.10")).quantize(
        CENT, ROUND_HALF_UP)
    twin, text = _statement(engine, "a")
    assert [Decimal(line["amount"]) for line in twin["lines"]] == [expected]
    assert f"{expected:,}" in text
    idle = (COST - Decimal(SERVED) * price / MILLION).quantize(CENT, ROUND_HALF_UP)
    (capacity,) = result.capacity
    assert Decimal(capacity["idle_cost"]).quantize(CENT, ROUND_HALF_UP) == idle
    # the idle pool is central: a's share (by its llama tokens) is shown, never added
    share = next(pool for pool in twin["overhead"] if pool["pool"] == "idle capacity: llama-self")
    a_share = (idle * A_TOKENS / SERVED).quantize(CENT, ROUND_HALF_UP)
    assert share["treatment"] == "central" and abs(Decimal(share["amount"]) - a_share) <= CENT
    _, b_text = _statement(engine, "b")
    assert "idle capacity: llama-self" in text and "idle capacity: llama-self" in b_text
