"""Running totals always equal the rated ledger they summarise, however usage arrives."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from budget_support import event
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from billing.budgets.spend_totals import deltas, line_scopes
from billing.models import RatedLine, SpendTotal
from tests_support import truncate

TEAMS = ("a", "b")
USE_CASES = ("u1", "u2", None)
CUSTOMERS = ("c1", None)
MODELS = ("m-cheap", "m-good", "m-mixed", "unknown-model")

usage_events = st.lists(st.tuples(
    st.sampled_from(TEAMS), st.sampled_from(USE_CASES), st.sampled_from(CUSTOMERS),
    st.sampled_from(MODELS), st.integers(1, 3_000_000), st.integers(0, 500_000),
    st.sampled_from(["2026-10-30", "2026-11-01", "2026-11-17"]), st.integers(1, 20)),
    min_size=1, max_size=12)


def _from_ledger(engine) -> dict:  # noqa: ANN001
    expected: dict = defaultdict(lambda: [Decimal(0), 0])
    with engine.connect() as connection:
        for line in connection.execute(select(RatedLine.__table__)).mappings():
            if line["amount"] is None:
                continue
            for kind, key in line_scopes(line):
                expected[(line["period"], kind, key)][0] += line["amount"]
                expected[(line["period"], kind, key)][1] += line["requests"]
    return {key: tuple(value) for key, value in expected.items()}


def _totals(engine) -> dict:  # noqa: ANN001
    with engine.connect() as connection:
        return {(r.period, r.scope_kind, r.scope_key): (r.amount, r.requests)
                for r in connection.execute(select(SpendTotal.__table__))}


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(usage_events, min_size=1, max_size=3), data=st.data())
def test_totals_match_the_rated_ledger_over_batches_and_rerate(engine, usage, batches, data):
    truncate(engine)
    counter = 0
    for batch in batches:
        lines = []
        for team, use_case, customer, model, tokens_in, tokens_out, day, requests in batch:
            counter += 1
            who = {"team": team}
            if use_case:
                who["use_case"] = use_case
            if customer:
                who["customer"] = customer
            lines.append(event(f"e{counter}", day, model=model, input_tokens=tokens_in,
                               output_tokens=tokens_out, requests=requests, **who))
        usage(lines)
        assert _totals(engine) == _from_ledger(engine)
    usage([], rerate_period=data.draw(st.sampled_from(["2026-10", "2026-11"])))
    assert _totals(engine) == _from_ledger(engine)


def test_deltas_skip_unpriced_and_split_views():
    lines = [
        {"view": "showback", "period": "2026-11", "team": "a", "use_case": "u",
         "customer": "c", "currency": "USD", "amount": Decimal("1.5"), "requests": 2,
         "input_tokens": 10, "output_tokens": 5},
        {"view": "chargeback", "period": "2026-11", "team": "a", "use_case": "u",
         "customer": "c", "currency": "EUR", "amount": Decimal("2"), "requests": 2,
         "input_tokens": 10, "output_tokens": 5},
        {"view": "showback", "period": "2026-11", "team": "a", "currency": None,
         "amount": None, "requests": 9, "unpriced_reason": "no price"},
    ]
    assert deltas(lines) == {
        ("2026-11", "team", "a", "USD"): [Decimal("1.5"), 2, 15],
        ("2026-11", "use_case", "a/u", "USD"): [Decimal("1.5"), 2, 15],
        ("2026-11", "customer", "c", "EUR"): [Decimal("2"), 2, 15],
    }
