"""Rating's core, piece by piece: the ledger aggregated per line grain, the attribution rules
applied to what is still unattributed, one aggregate priced on the version in force on its day,
and the summary of what could not be priced."""

from __future__ import annotations

import json
from datetime import UTC, date
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from billing.ledger.metering import ingest_lines
from billing.models import UsageEvent
from billing.rating.attribution import Rule, RuleSet
from billing.rating.rate import (
    _aggregate,
    _merge,
    _unpriced_summary,
    next_open_period,
    price_line,
)
from ratecards import load_card, quote, shipped_card_files

CARDS = {f"{c.card}@{c.version}": c for c in
         (load_card(p.read_text(), p.name) for p in shipped_card_files())}
INTERNAL = [CARDS["internal@2026-10"], CARDS["internal@2026-11"]]
DAY = date(2026, 10, 5)
UTC_ZONE = ZoneInfo("UTC")

RULES = RuleSet("attribution@1", (
    Rule("by-key", {"provider": "openai", "model": "gpt-4o-mini", "api_key": "key_2"},
         team="legal", use_case="contract-extraction"),
    Rule("by-prompt", {"prompt_version": "v2"}, use_case="support-copilot"),
    Rule("by-cost-center", {}, tags={"cost_center": "cc-100"}, team="legal"),
    Rule("by-project", {"provider_project": "proj_abc"}, team="cx", use_case="support-copilot"),
))


def _event(event_id: str, **fields) -> str:  # noqa: ANN003
    return json.dumps({"event_id": event_id, "occurred_at": "2026-10-05T10:00:00Z",
                       "provider": "openai", "model": "gpt-4o-mini", "input_tokens": 10,
                       "output_tokens": 5, **fields})


EVENTS = [
    # nothing attributed; only the api_key tag tells the first from the second
    _event("e1", tags={"api_key": "key_1"}),
    _event("e2", tags={"api_key": "key_2"}, prompt_version="a", cached_input_tokens=7),
    _event("e3", tags={"api_key": "key_2"}, prompt_version="b", requests=3,
           cache_write_input_tokens=2),
    # a team without a use case, found by its prompt version
    _event("e4", team="support", prompt_version="v2", input_tokens=100),
    # a use case without a team, found by a tag
    _event("e5", use_case="contract-extraction", tags={"cost_center": "cc-100"},
           input_tokens=1000),
    # attributed already: the rules are not asked
    _event("e6", team="search", use_case="search-answers", prompt_version="v2",
           output_tokens=50),
    _event("e7", model="gpt-4o", team="search", use_case="search-answers"),
    # found by the provider's project
    _event("e8", tags={"provider_project": "proj_abc"}, input_tokens=3),
    # another period
    _event("e9", occurred_at="2026-09-20T10:00:00Z", team="search", use_case="search-answers"),
]


def _lines(engine, low: int = 0, high: int = 10**9, period: str | None = None,  # noqa: ANN001
           ) -> dict:
    ingest_lines(engine, EVENTS, zone=UTC)
    asked: list[str] = []

    def rules_for(period: str) -> RuleSet:
        asked.append(period)
        return RULES

    with engine.connect() as connection:
        # the marks count from the ledger's first id (a sequence need not start at 1)
        base = connection.execute(select(func.min(UsageEvent.__table__.c.id))).scalar_one() - 1
        merged = _merge(_aggregate(connection, base + low, base + high, period), rules_for)
    assert set(asked) == {key[0] for key in merged}
    return {key[:1] + key[2:4] + key[7:8] + key[9:10]: totals
            for key, totals in merged.items()} | {
        "keys": sorted(merged, key=str)}


def test_aggregates_are_attributed_by_the_rules_and_merged_per_line(engine):
    lines = _lines(engine)
    keys = lines.pop("keys")
    # (period, team, use case, model, rule) -> events, requests and input, output, cached and
    # cache-write tokens, the reported cost in nano-dollars, the 1-hour cache-write tokens and
    # the web-search requests
    mini, october = "gpt-4o-mini", "2026-10"
    assert lines == {
        (october, None, None, mini, None): [1, 1, 10, 5, 0, 0, 0, 0, 0],
        (october, "legal", "contract-extraction", mini, "by-key"):
            [2, 4, 20, 10, 7, 2, 0, 0, 0],
        (october, "support", "support-copilot", mini, "by-prompt"): [1, 1, 100, 5, 0, 0, 0, 0, 0],
        (october, "legal", "contract-extraction", mini, "by-cost-center"):
            [1, 1, 1000, 5, 0, 0, 0, 0, 0],
        (october, "search", "search-answers", mini, None): [1, 1, 10, 50, 0, 0, 0, 0, 0],
        (october, "search", "search-answers", "gpt-4o", None): [1, 1, 10, 5, 0, 0, 0, 0, 0],
        (october, "cx", "support-copilot", mini, "by-project"): [1, 1, 3, 5, 0, 0, 0, 0, 0],
        ("2026-09", "search", "search-answers", mini, None): [1, 1, 10, 5, 0, 0, 0, 0, 0],
    }
    assert {key[:2] for key in keys} == {("2026-10", DAY), ("2026-09", date(2026, 9, 20))}
    assert {key[4:7] + key[8:9] + key[10:] for key in keys} == {
        (None, "production", "openai", None, "standard", None)}  # ..., service tier, project


def test_only_the_events_between_the_marks_and_of_the_period_are_aggregated(engine):
    lines = _lines(engine, low=1, high=6)
    lines.pop("keys")
    assert {key[1:] for key in lines} == {
        ("legal", "contract-extraction", "gpt-4o-mini", "by-key"),
        ("support", "support-copilot", "gpt-4o-mini", "by-prompt"),
        ("legal", "contract-extraction", "gpt-4o-mini", "by-cost-center"),
        ("search", "search-answers", "gpt-4o-mini", None)}
    october = _lines(engine, period="2026-10")
    october.pop("keys")
    assert {key[0] for key in october} == {"2026-10"} and len(october) == 7


def _key(**changes) -> tuple:  # noqa: ANN003
    fields = {"period": "2026-10", "usage_date": DAY, "team": "support",
              "use_case": "support-copilot", "customer": "acme", "environment": "production",
              "provider": "anthropic", "model": "claude-sonnet-4", "tier": None,
              "rule": "by-prompt", "service_tier": "standard", **changes}
    return tuple(fields.values())


# events, requests, input, output, cached, cache-write tokens, reported cost (nano-dollars)
TOTALS = [2, 3, 1_000, 2_000, 300, 400, 0]


def test_a_line_is_priced_on_the_version_in_force_on_its_day():
    cache: dict = {}
    line = price_line("showback", _key(), TOTALS, INTERNAL, UTC_ZONE, cache)
    priced = quote(CARDS["internal@2026-10"], "claude-sonnet-4", input_tokens=1_000,
                   output_tokens=2_000, cached_input_tokens=300, cache_write_input_tokens=400,
                   requests=3)
    assert line == {
        "view": "showback", "period": "2026-10", "usage_date": DAY, "team": "support",
        "use_case": "support-copilot", "customer": "acme", "environment": "production",
        "provider": "anthropic", "model": "claude-sonnet-4", "tier": "better",
        "attributed_by": "by-prompt", "events": 2, "requests": 3, "input_tokens": 1_000,
        "output_tokens": 2_000, "cached_input_tokens": 300, "cache_write_input_tokens": 400,
        "service_tier": "standard", "reported_cost_nanos": 0, "web_search_requests": 0,
        "project": None,
        "card": "internal",
        "card_version": "2026-10", "currency": "USD", "priced_model": "claude-sonnet-4",
        "web_search_price": None,
        "input_price": Decimal("3.00"), "output_price": Decimal("15.00"),
        "cached_input_price": Decimal("0.30"), "cache_write_input_price": Decimal("3.75"),
        "markup": Decimal("0.08"), "per_request_fee": Decimal("0.0002"),
        # 1,000 x 3 + 2,000 x 15 + 300 x 0.30 + 400 x 3.75 = 34,590 per million
        "provider_cost": Decimal("0.03459"), "amount": priced.internal_price,
    }
    assert priced.internal_price == Decimal("0.03459") * Decimal("1.08") + 3 * Decimal("0.0002")
    assert cache == {("showback", DAY): CARDS["internal@2026-10"]}


def test_the_version_is_looked_up_once_per_view_and_day():
    cache = {("showback", DAY): CARDS["internal@2026-11"]}
    line = price_line("showback", _key(), TOTALS, INTERNAL, UTC_ZONE, cache)
    assert line["card_version"] == "2026-11"


def test_the_day_starts_in_the_billing_zone():
    # 1 November in Tokyo starts on 31 October in UTC: still the November version
    tokyo = price_line("showback", _key(usage_date=date(2026, 11, 1)), TOTALS, INTERNAL,
                       ZoneInfo("Asia/Tokyo"), {})
    assert tokyo["card_version"] == "2026-11"


def test_an_unpriced_line_says_why_and_on_which_card():
    wrong_tier = price_line("showback", _key(tier="best"), TOTALS, INTERNAL, UTC_ZONE, {})
    assert wrong_tier["unpriced_reason"] == (
        "model 'claude-sonnet-4' is in tier better of internal@2026-10, not best")
    assert wrong_tier["unpriced_card"] == "internal" and "amount" not in wrong_tier
    assert wrong_tier["tier"] == "best"
    early = price_line("showback", _key(usage_date=date(2026, 9, 30)), TOTALS, INTERNAL,
                       UTC_ZONE, {})
    assert early["unpriced_reason"].startswith("no version of card internal is in force")
    assert early["unpriced_card"] is None


def _unpriced(view: str, model: str, reason: str | None, *tokens: int) -> dict:
    events, requests, input_tokens, output_tokens, cached, cache_write = tokens
    return {"view": view, "provider": "openai", "model": model, "unpriced_reason": reason,
            "events": events, "requests": requests, "input_tokens": input_tokens,
            "output_tokens": output_tokens, "cached_input_tokens": cached,
            "cache_write_input_tokens": cache_write}


def test_the_unpriced_summary_adds_up_per_view_model_and_reason_largest_first():
    lines = [
        _unpriced("showback", "gpt-4o", None, 5, 5, 500, 500, 0, 0),
        _unpriced("showback", "gpt-9", "not priced", 1, 2, 10, 20, 30, 40),
        _unpriced("showback", "gpt-9", "not priced", 3, 4, 1, 2, 3, 4),
        _unpriced("chargeback", "gpt-9", "not priced", 1, 1, 1000, 0, 0, 0),
    ]
    assert _unpriced_summary(lines) == [
        {"view": "chargeback", "provider": "openai", "model": "gpt-9", "reason": "not priced",
         "events": 1, "requests": 1, "tokens": 1000},
        {"view": "showback", "provider": "openai", "model": "gpt-9", "reason": "not priced",
         "events": 4, "requests": 6, "tokens": 110},
    ]
    assert _unpriced_summary(lines[:1]) == []


def test_late_usage_goes_to_the_first_open_period():
    assert next_open_period("2026-10", frozenset()) == "2026-11"
    assert next_open_period("2026-11", frozenset({"2026-12", "2027-01", "2027-03"})) == "2027-02"
