"""The demo month's levers: a prompt change that shipped, and the evaluation that let it.

support-copilot's v5 prompt (35% shorter context) went out on the 21st after the gate
promoted it over an aggressive compression that lost too many tickets; from then on its calls
carry `prompt_version: v5`. The evaluation results are the seed paper's own table, so the
demo's gate reproduces it. The same seed always gives the same rows.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Engine

from billing.budgets.levers.store import ingest_evaluations, propose, run_gate
from billing.demo_data import MODELS, _period_bounds, _tokens

USE_CASE, TEAM, SHIP_DAY = "support-copilot", "support", 21
CANDIDATES = (  # name, baseline?, configuration, calls, passes, cost per call
    ("current", True, {"model": "claude-sonnet-4", "prompt_version": "v4"}, 1000, 950,
     Decimal("0.0336")),
    ("aggressive-compression", False, {"model": "claude-sonnet-4", "prompt_version": "v5a",
                                       "levers": ["compression:input-60%"]}, 1000, 880,
     Decimal("0.0121")),
    ("gated-compression-routing", False, {"prompt_version": "v5",
                                          "levers": ["compression:input-35%",
                                                     "routing:claude-sonnet-4->gpt-4o-mini:30%"]},
     1000, 954, Decimal("0.0149")),
)


def generate_rollout(period: str, events: int, seed: int = 7) -> Iterator[str]:
    """support-copilot's calls from the ship day on, on prompt v5: 35% less input, a third
    routed from claude-sonnet-4 to gpt-4o-mini; about 2% of the month's events."""
    rng = random.Random(seed * 97 + 5)
    start, days = _period_bounds(period)
    for number in range(max(1, events // 50)):
        day = rng.randrange(SHIP_DAY - 1, days)
        model = "gpt-4o-mini" if rng.random() < 0.65 else "claude-sonnet-4"
        requests = 1 if rng.random() < 0.8 else rng.randint(2, 20)
        prompt = int(_tokens(rng, 2400) * 0.65) * requests
        cached = int(prompt * 0.4 * rng.random())
        yield orjson.dumps({
            "event_id": f"demo-{period}-v5-{number:07d}",
            "occurred_at": (start + timedelta(days=day, seconds=rng.randrange(86_400)))
            .isoformat().replace("+00:00", "Z"),
            "team": TEAM, "use_case": USE_CASE, "environment": "production",
            "provider": MODELS[model], "model": model, "input_tokens": prompt - cached,
            "output_tokens": _tokens(rng, 350) * requests, "cached_input_tokens": cached,
            "requests": requests, "prompt_version": "v5",
        }).decode()


def evaluation_rows(period: str) -> list[dict[str, Any]]:
    return [{"evaluation_id": f"demo-{period}-{name}", "use_case": USE_CASE, "candidate": name,
             "calls": calls, "passes": passes, "cost": str(per_call * calls),
             "currency": "USD", "evaluated_at": f"{period}-18T09:00:00Z"}
            for name, _, _, calls, passes, per_call in CANDIDATES]


def stage_levers(engine: Engine, period: str) -> dict[str, Any]:
    """Propose the candidates, record their evaluation and let the gate decide; again is a
    no-op."""
    for name, baseline, config, *_ in CANDIDATES:
        propose(engine, USE_CASE, name, config, baseline=baseline,
                note="demo: the seed paper's gate table", by="billing demo")
    ingest_evaluations(engine, evaluation_rows(period), source="billing demo")
    return run_gate(engine, USE_CASE, record=True).to_dict()
