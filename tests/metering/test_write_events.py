"""`write_events`, the insert the bucket restatements and the aggregate events use: how many
landed, and a database it cannot write to refused by name."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from billing.ledger import metering


def test_no_rows_land_no_rows(engine):
    with engine.begin() as connection:
        assert metering.write_events(connection, []) == 0


def test_an_unsupported_database_is_refused_by_name():
    other = SimpleNamespace(dialect=SimpleNamespace(name="mysql"))
    with pytest.raises(RuntimeError, match="unsupported database 'mysql': use SQLite or "
                                           "PostgreSQL"):
        metering._write_tuples(other, [("e-1",)])  # type: ignore[arg-type]
