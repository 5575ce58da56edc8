"""Gapless numbering: each series counts 1, 2, 3 on its own, and a rolled-back document gives
its number back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from billing.close.numbering import invoice_number, next_number, sequences
from billing.db import write_transaction


def test_each_series_counts_from_one_without_gaps(engine):
    with write_transaction(engine) as connection:
        taken = [next_number(connection, "INV-2026") for _ in range(3)]
        other = next_number(connection, "CN-2026")
        taken.append(next_number(connection, "INV-2026"))
    assert (taken, other) == ([1, 2, 3, 4], 1)
    with engine.connect() as connection:
        rows = connection.execute(select(sequences.c.series, sequences.c.next_value))
        stored = {row.series: row.next_value for row in rows}
    assert stored == {"INV-2026": 5, "CN-2026": 2}


def test_a_rolled_back_document_gives_its_number_back(engine):
    with write_transaction(engine) as connection:
        assert next_number(connection, "INV-2026") == 1
    with pytest.raises(RuntimeError), write_transaction(engine) as connection:
        assert next_number(connection, "INV-2026") == 2
        raise RuntimeError("the document failed to store")
    with write_transaction(engine) as connection:
        assert next_number(connection, "INV-2026") == 2


def test_invoice_numbers_are_prefix_year_and_five_digits():
    assert invoice_number("INV", 2026, 7) == "INV-2026-00007"
    assert invoice_number("ACME", 2027, 123456) == "ACME-2027-123456"
