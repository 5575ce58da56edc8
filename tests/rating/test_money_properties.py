"""Money invariants: rounding once per line, and splits that always sum to the whole."""

from decimal import Decimal

import pytest
from hypothesis import given
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


@given(st.integers(min_value=0, max_value=10**10), teams,
       st.sampled_from(["spend", "tokens", "requests", "even"]))
def test_every_pool_allocates_exactly_its_amount(cents, usage, driver):
    pool = Pool("p", Decimal(cents) / 100, "USD", driver, "charged")
    drivers = {team: TeamDrivers(Decimal(n) / 7, n, n % 1000) for team, n in usage.items()}
    assert sum(allocate(pool, drivers).values()) == pool.amount
