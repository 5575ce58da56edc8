"""money_sum: the database sums money columns exactly, on SQLite as on PostgreSQL."""

from __future__ import annotations

from decimal import Context, Decimal, localcontext

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import literal, select, union_all

from billing.exact_sum import money_sum
from billing.models import ExactDecimal

amounts = st.lists(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=18,
                               allow_nan=False, allow_infinity=False), min_size=1, max_size=30)


def _sum(engine, items: list[Decimal | None]) -> Decimal | None:  # noqa: ANN001
    rows = union_all(*[select(literal(item, ExactDecimal()).label("x")) for item in items])
    table = rows.subquery()
    with engine.connect() as connection:
        return connection.execute(select(money_sum(table.c.x))).scalar_one()


def test_sums_are_exact_where_a_float_is_not(engine):
    assert _sum(engine, [Decimal("0.1")] * 3) == Decimal("0.3")
    tiny = Decimal("0.000000123456789012345678")
    assert _sum(engine, [tiny, tiny, Decimal("12345678901.5")]) == Decimal(
        "12345678901.500000246913578024691356")
    assert _sum(engine, [None, None]) is None
    assert _sum(engine, [None, Decimal("2.50")]) == Decimal("2.50")


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts)
def test_the_database_sum_is_the_python_sum(engine, items):
    with localcontext(Context(prec=80)):
        assert _sum(engine, items) == sum(items, Decimal(0))
