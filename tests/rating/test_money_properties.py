"""Money invariants: rounding once per line, and splits that always sum to the whole."""

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from billing.money import round_line, split_largest_remainder
from billing.rating.overhead import Pool, TeamDrivers, allocate

currencies = st.sampled_from(["USD", "JPY", "KWD", "EUR"])
exponent = {"USD": 2, "JPY": 0, "KWD": 3, "EUR": 2}
teams = st.dictionaries(st.text("abcdefgh", min_size=1, max_size=4),
                        st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12)


def test_half_up_at_the_minor_unit():
    assert round_line(Decimal("0.125"), "USD") == Decimal("0.13")
    assert round_line(Decimal("0.1249"), "USD") == Decimal("0.12")
    assert round_line(Decimal("1234.5"), "JPY") == Decimal("1235")
    assert round_line(Decimal("1.0005"), "KWD") == Decimal("1.001")
    with pytest.raises(TypeError):
        round_line(0.1, "USD")  # type: ignore[arg-type]


@given(st.integers(min_value=-10**9, max_value=10**12), teams, currencies)
def test_split_sums_exactly_and_no_part_is_off_by_more_than_one_unit(minor, weights, currency):
    unit = Decimal(1).scaleb(-exponent[currency])
    total = Decimal(minor) * unit
    parts = split_largest_remainder(total, weights, currency)
    assert sum(parts.values()) == total
    whole = sum(weights.values())
    for key, part in parts.items():
        share = total * weights[key] / whole if whole else total / len(weights)
        assert abs(part - share) < unit


def _shares_in_minor_units(minor: int, weights: dict[str, int]) -> dict[str, Fraction]:
    whole = sum(weights.values())
    if whole == 0:
        return {key: Fraction(minor, len(weights)) for key in weights}
    return {key: Fraction(minor * weight, whole) for key, weight in weights.items()}


@given(st.integers(min_value=-10**9, max_value=10**12), teams, currencies)
# exact ties whose shares have no finite decimal form, at different magnitudes
@example(40, {"a": 100, "b": 1, "c": 30, "d": 1}, "USD")
@example(217007756244, {"a": 7, "b": 10, "c": 100, "d": 7}, "USD")
def test_split_gives_the_leftover_units_to_the_largest_remainders_ties_by_key(
    minor, weights, currency
):
    """Each part is its exact share cut toward zero, plus one unit (away from zero) for the
    parts whose cut-off remainder is largest; equal remainders go in key order."""
    unit = Decimal(1).scaleb(-exponent[currency])
    parts = split_largest_remainder(Decimal(minor) * unit, weights, currency)
    shares = _shares_in_minor_units(minor, weights)
    step = 1 if minor >= 0 else -1
    cut = {key: math.trunc(share) for key, share in shares.items()}
    remainder = {key: abs(shares[key] - cut[key]) for key in shares}
    got = {key: parts[key] / unit for key in shares}
    assert set(parts) == set(weights)
    bumped = {key for key in shares if got[key] == cut[key] + step}
    assert all(got[key] == cut[key] for key in shares.keys() - bumped)
    assert len(bumped) == abs(minor - sum(cut.values()))
    for winner in bumped:
        for loser in shares.keys() - bumped:
            assert (remainder[winner], loser) > (remainder[loser], winner), (winner, loser)


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        # remainders 0.6, 0.3, 0.1 (in cents): one leftover cent, to a
        ("0.10", {"a": 6, "b": 3, "c": 1}, {"a": "0.06", "b": "0.03", "c": "0.01"}),
        ("0.01", {"a": 1, "b": 2, "c": 7}, {"a": "0.00", "b": "0.00", "c": "0.01"}),
        # shares 0.4, 0.6, 1.0 cents: c keeps its whole cent, the one left over goes to b
        ("0.02", {"a": 2, "b": 3, "c": 5}, {"a": "0.00", "b": "0.01", "c": "0.01"}),
        # three equal remainders: the leftover cents go in key order
        ("0.02", {"c": 1, "b": 1, "a": 1}, {"a": "0.01", "b": "0.01", "c": "0.00"}),
        ("-0.02", {"c": 1, "b": 1, "a": 1}, {"a": "-0.01", "b": "-0.01", "c": "0.00"}),
        # no weight at all: split evenly
        ("1.00", {"x": 0, "y": 0, "z": 0}, {"x": "0.34", "y": "0.33", "z": "0.33"}),
    ],
)
def test_split_examples_worked_by_hand(total, weights, expected):
    parts = split_largest_remainder(Decimal(total), weights, "USD")
    assert parts == {key: Decimal(value) for key, value in expected.items()}


@given(st.integers(min_value=0, max_value=10**10), teams,
       st.sampled_from(["spend", "tokens", "requests", "even"]))
def test_every_pool_allocates_exactly_its_amount(cents, usage, driver):
    pool = Pool("p", Decimal(cents) / 100, "USD", driver, "charged")
    drivers = {team: TeamDrivers(Decimal(n) / 7, n, n % 1000) for team, n in usage.items()}
    assert sum(allocate(pool, drivers).values()) == pool.amount
