"""Demo usage: a seeded, realistic month of AI usage across teams, use cases and customers.

It includes what real feeds contain: resends (duplicates), untagged calls from a shared
provider project, non-production traffic, and a few malformed rows, so every part of the
engine has something to show. The same seed always gives the same file.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from billing.period import Period


@dataclass(frozen=True)
class UseCase:
    team: str
    name: str
    models: tuple[str, ...]
    weight: float
    input_mean: int
    output_mean: int
    cache_share: float = 0.0
    customer_facing: bool = False


# (model, provider) as the shipped rate cards name them
MODELS: dict[str, str] = {
    "gpt-4o-mini": "openai",
    "gpt-4.1-mini": "openai",
    "gpt-4o": "openai",
    "gpt-4.1": "openai",
    "o3": "openai",
    "claude-3-5-haiku": "anthropic",
    "claude-sonnet-4": "anthropic",
    "claude-opus-4": "anthropic",
    "gemini-2.0-flash": "google",
    "gemini-2.5-pro": "google",
    "mistral-small": "mistral",
    "mistral-large": "mistral",
}
SELF_HOSTED_MODEL = ("llama-3-70b-selfhosted", "internal")  # priced by the cards' capacity

USE_CASES: tuple[UseCase, ...] = (
    UseCase("support", "support-copilot", ("gpt-4o-mini", "claude-sonnet-4"), 0.22, 2400, 350,
            0.4, True),
    UseCase("support", "ticket-triage", ("gpt-4o-mini", "gemini-2.0-flash"), 0.12, 900, 60),
    UseCase("legal-ops", "contract-extraction", ("claude-sonnet-4", "gpt-4.1"), 0.08, 14000,
            1200, 0.2),
    UseCase("legal-ops", "clause-review", ("claude-opus-4",), 0.02, 9000, 1500),
    UseCase("sales", "email-drafting", ("gpt-4.1-mini", "mistral-small"), 0.10, 1200, 450),
    UseCase("sales", "call-summaries", ("gpt-4o",), 0.06, 7000, 600, 0.0, True),
    UseCase("search", "semantic-search", ("gemini-2.0-flash", "gpt-4o-mini"), 0.18, 1500, 120,
            0.5, True),
    UseCase("search", "query-rewrite", ("mistral-small",), 0.07, 300, 40),
    UseCase("data-science", "eval-harness", ("gpt-4.1", "claude-sonnet-4", "gemini-2.5-pro"),
            0.05, 3000, 800),
    UseCase("platform", "code-review-bot", ("o3", "claude-sonnet-4"), 0.04, 6000, 900, 0.3),
    UseCase("platform", "agent-runner", ("gpt-4.1", "mistral-large"), 0.03, 5000, 1500),
)
CUSTOMERS = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka")
ENVIRONMENTS = (("production", 0.86), ("staging", 0.07), ("development", 0.05), ("test", 0.02))
SHARED_PROJECTS = ("proj_shared_sandbox", "proj_hackweek")


# Typical latency of a call per model (ms), for the demo's service levels; one customer's
# traffic is slow and rate-limited, so its good tier breaches the SLO.
LATENCY_MS = {"gpt-4o-mini": 650, "gpt-4.1-mini": 700, "claude-3-5-haiku": 700,
              "gemini-2.0-flash": 550, "mistral-small": 600, "gpt-4o": 1900, "gpt-4.1": 2100,
              "claude-sonnet-4": 2400, "gemini-2.5-pro": 2600, "mistral-large": 2000,
              "o3": 7000, "claude-opus-4": 6500}
FAILURES = (("error", 0.0008), ("rate_limited", 0.0012), ("timeout", 0.0003),
            ("refused", 0.0010))
SLOW_CUSTOMER = "umbrella"


def _service(rng: random.Random, event: dict) -> dict:
    """latency_ms and status of one demo call, from their own random stream (so adding them
    left every other number of the demo month as it was)."""
    slow = event.get("customer") == SLOW_CUSTOMER
    latency = LATENCY_MS.get(event["model"], 1500) * rng.lognormvariate(0, 0.35)
    roll, status = rng.random(), "ok"
    scale = 0.1 if event.get("customer") and not slow else 1.0
    for name, share in FAILURES:
        if slow and name == "rate_limited":
            share = 0.04
        if roll < share * scale:
            status = name
            break
        roll -= share * scale
    return {"latency_ms": int(latency * (2.6 if slow else 1.0)), "status": status}


def _period_bounds(period: str) -> tuple[datetime, int]:
    """The demo's month in UTC: its first instant and its number of days."""
    month = Period.parse(period)
    return month.bounds(UTC)[0], month.days


def _tokens(rng: random.Random, mean: int) -> int:
    return max(1, int(rng.lognormvariate(0, 0.6) * mean * 0.835))


def generate(period: str, events: int, seed: int = 7) -> Iterator[str]:
    """JSON lines for `events` calls in `period`, plus resends and malformed rows."""
    rng = random.Random(seed)
    service = random.Random(seed * 7919 + 2)
    start, days = _period_bounds(period)
    weights = [use_case.weight for use_case in USE_CASES]
    env_names = [name for name, _ in ENVIRONMENTS]
    env_weights = [weight for _, weight in ENVIRONMENTS]
    recent: list[str] = []
    for number in range(events):
        use_case = rng.choices(USE_CASES, weights)[0]
        model = rng.choice(use_case.models)
        day = min(days - 1, int(rng.triangular(0, days, days * 0.7)))
        moment = start + timedelta(days=day, seconds=rng.randrange(86_400))
        requests = 1 if rng.random() < 0.8 else rng.randint(2, 40)
        prompt = _tokens(rng, use_case.input_mean) * requests
        cached = int(prompt * use_case.cache_share * rng.random())
        event: dict = {
            "event_id": f"demo-{period}-{number:08d}",
            "occurred_at": moment.isoformat().replace("+00:00", "Z"),
            "team": use_case.team,
            "use_case": use_case.name,
            "environment": rng.choices(env_names, env_weights)[0],
            "provider": MODELS[model],
            "model": model,
            "input_tokens": prompt - cached,
            "output_tokens": _tokens(rng, use_case.output_mean) * requests,
            "cached_input_tokens": cached,
            "requests": requests,
            "prompt_version": f"v{rng.randint(1, 4)}",
        }
        if use_case.customer_facing and event["environment"] == "production":
            event["customer"] = rng.choice(CUSTOMERS)
        roll = rng.random()
        if roll < 0.06:
            del event["team"], event["use_case"]
            event["tags"] = {"provider_project": rng.choice(SHARED_PROJECTS)}
            event["project"] = event["tags"]["provider_project"]
        elif roll < 0.075:
            del event["use_case"]
        elif roll < 0.078:
            event["model"], event["provider"] = SELF_HOSTED_MODEL
        event.update(_service(service, event))
        line = orjson.dumps(event).decode()
        yield line
        recent.append(line)
        if len(recent) > 50:
            recent.pop(0)
        if rng.random() < 0.004:
            yield rng.choice(recent)
        if rng.random() < 0.0015:
            yield _malformed(rng, event, number)


def _malformed(rng: random.Random, event: dict, number: int) -> str:
    broken = dict(event, event_id=f"demo-bad-{number:08d}")
    kind = rng.randrange(4)
    if kind == 0:
        broken["occurred_at"] = broken["occurred_at"].replace("T", " at ").replace("Z", "")
    elif kind == 1:
        broken["output_tokens"] = -abs(broken["output_tokens"])
    elif kind == 2:
        del broken["model"]
    else:
        return orjson.dumps(broken).decode()[:-7]
    return orjson.dumps(broken).decode()


# Share of a use case's outcomes that pass its quality rule, and outcomes per 100 calls.
PASS_RATES = {"support-copilot": 0.82, "ticket-triage": 0.91, "contract-extraction": 0.74,
              "clause-review": 0.66, "email-drafting": 0.58, "call-summaries": 0.88,
              "semantic-search": 0.93, "query-rewrite": 0.97, "eval-harness": 0.71,
              "code-review-bot": 0.63, "agent-runner": 0.41}
OUTCOMES_PER_100_CALLS = 4


def generate_outcomes(period: str, events: int, seed: int = 7) -> Iterator[str]:
    """JSON lines of business outcomes for the demo month: a few per hundred calls, each
    accepted or not by its use case's quality rule, so cost per accepted outcome is real."""
    rng = random.Random(seed * 31 + 1)
    start, days = _period_bounds(period)
    total = sum(use_case.weight for use_case in USE_CASES)
    for use_case in USE_CASES:
        count = max(1, round(events * use_case.weight / total * OUTCOMES_PER_100_CALLS / 100))
        for number in range(count):
            moment = start + timedelta(days=rng.randrange(days), seconds=rng.randrange(86_400))
            accepted = rng.random() < PASS_RATES[use_case.name]
            yield orjson.dumps({
                "outcome_id": f"demo-{period}-{use_case.name}-{number:06d}",
                "use_case": use_case.name, "team": use_case.team,
                "occurred_at": moment.isoformat().replace("+00:00", "Z"),
                "accepted": accepted,
                "quality_score": round(rng.uniform(0.7, 1.0) if accepted else
                                       rng.uniform(0.2, 0.7), 2),
            }).decode()


# A team's budget as a share of what it spent: some under, one just over, one well over.
BUDGET_FACTORS = {"support": 1.25, "search": 1.10, "legal-ops": 0.95, "sales": 1.40,
                  "data-science": 0.80, "platform": 1.05}
