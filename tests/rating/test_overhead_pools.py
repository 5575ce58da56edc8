"""Overhead allocation: each driver weighs the teams as it says, a pool applies to its periods,
and a pool in another currency names the periods it has no rate for and how to fix it."""

from __future__ import annotations

from decimal import Decimal

from billing.fx import set_rate
from billing.rating.overhead import Pool, TeamDrivers, allocate, missing_rate, periods_without_rate

TEAMS = {"search": TeamDrivers(Decimal("30.00"), 100, 1),
         "support": TeamDrivers(Decimal("10.00"), 300, 3)}


def pool(driver: str, amount: str = "100.005", **fields) -> Pool:  # noqa: ANN003
    return Pool("platform", Decimal(amount), fields.pop("currency", "USD"), driver, "charged",
                **fields)


def test_each_driver_weighs_the_teams_by_its_quantity():
    # the pool is rounded once (100.01), then split by largest remainder
    assert allocate(pool("spend"), TEAMS) == {"search": Decimal("75.01"),
                                              "support": Decimal("25.00")}
    assert allocate(pool("tokens"), TEAMS) == {"search": Decimal("25.00"),
                                               "support": Decimal("75.01")}
    assert allocate(pool("requests"), TEAMS) == allocate(pool("tokens"), TEAMS)
    assert allocate(pool("even"), {**TEAMS, "legal": TeamDrivers(Decimal(0), 0, 0)}) == {
        "legal": Decimal("33.34"), "search": Decimal("33.34"), "support": Decimal("33.33")}


def test_fixed_shares_ignore_usage():
    shares = {"search": Decimal("0.1"), "support": Decimal("0.9")}
    assert allocate(pool("shares", "10.00", shares=shares), TEAMS) == {
        "search": Decimal("1.00"), "support": Decimal("9.00")}
    # a team with a share and no usage still gets its share
    assert allocate(pool("shares", "10.00", shares=shares), {}) == {
        "search": Decimal("1.00"), "support": Decimal("9.00")}


def test_a_pool_applies_to_its_periods_or_to_every_period():
    assert pool("even").applies_to("2026-10")
    some = pool("even", periods=("2026-10", "2026-11"))
    assert some.applies_to("2026-11") and not some.applies_to("2026-12")


def test_a_pool_in_another_currency_says_which_rate_is_missing(engine):
    eur = pool("even", currency="EUR", periods=("2026-10", "2026-11"))
    assert missing_rate(eur, "USD", "2026-11") == (
        "overhead pool 'platform' is in EUR but teams are shown in USD; give the pool in USD, "
        "or record a rate with `billing fx set EUR USD RATE --period 2026-11`")
    set_rate(engine, "EUR", "USD", "1.08", period="2026-10")
    with engine.connect() as connection:
        assert periods_without_rate(connection, eur, "USD", "2026-12") == ["2026-11"]
        assert periods_without_rate(connection, eur, "EUR", "2026-12") == []
        every = pool("even", currency="EUR")
        assert periods_without_rate(connection, every, "USD", "2026-10") == []
        assert periods_without_rate(connection, every, "USD", "2026-12") == ["2026-12"]
