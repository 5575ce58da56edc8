"""Exact sums of money columns, taken by the database.

Money is stored as exact decimal text (`models.ExactDecimal`): SQLite has no exact decimal,
and its `sum()` of text is a float. `money_sum(column)` is `sum(column::numeric)` on
PostgreSQL, exact at any precision, and on SQLite an aggregate of Python Decimals registered on
each connection (`register`), so a period's lines are summed per group inside the database on
both, with no binary fraction on the way.
"""

from __future__ import annotations

from decimal import Context, Decimal, localcontext
from typing import Any

from sqlalchemy import Numeric, cast
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

from billing.models import ExactDecimal

SQLITE_NAME = "exact_decimal_sum"
EXACT = Context(prec=80)  # as exact as PostgreSQL's numeric for any amount we store


class _DecimalSum:
    """The SQLite aggregate: text in, text out, Decimal in between; NULLs are skipped."""

    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, float):
            raise TypeError("money column holds a float; money is stored as decimal text")
        with localcontext(EXACT):
            self.total = (self.total or Decimal(0)) + Decimal(str(value))

    def finalize(self) -> str | None:
        return None if self.total is None else format(self.total, "f")


def register(dbapi_connection: Any) -> None:
    """Make `money_sum` available on a new SQLite connection."""
    dbapi_connection.create_aggregate(SQLITE_NAME, 1, _DecimalSum)


class money_sum(GenericFunction):  # noqa: N801  (SQL function names are lower case)
    """SUM of a money column, exact on every database; NULL when every value is NULL."""

    type = ExactDecimal()
    inherit_cache = True


@compiles(money_sum)
def _postgresql(element: money_sum, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return f"sum({compiler.process(cast(column, Numeric()), **kw)})"


@compiles(money_sum, "sqlite")
def _sqlite(element: money_sum, compiler: Any, **kw: Any) -> str:
    return f"{SQLITE_NAME}({compiler.process(element.clauses, **kw)})"
