"""Helpers tests import (conftest.py is for fixtures only)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

FIXTURES = Path(__file__).parent / "fixtures"
TABLES_CHILD_FIRST = (
    "api_key", "fx_rate", "stripe_event", "document", "document_sequence", "period_close",
    "apscheduler_jobs",
    "alert_delivery", "alert", "outcome", "spend_total", "budget",
    "rated_line", "rating_run", "usage_event", "quarantined_row", "ingest_batch",
)
# rate_card_version is immutable by trigger; tests that publish use their own cards


def truncate(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in TABLES_CHILD_FIRST:
            connection.exec_driver_sql(f"DELETE FROM {table}")
        _clear_policies(connection)


def _clear_policies(connection) -> None:  # noqa: ANN001
    """Each test starts with no published policy: the immutability trigger is lifted for the
    clearing only (PostgreSQL's TRUNCATE fires no row trigger; SQLite's is dropped and put
    back as it was)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("TRUNCATE policy_version")
        return
    trigger = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
        "AND name = 'policy_version_no_delete'").scalar_one()
    connection.exec_driver_sql("DROP TRIGGER policy_version_no_delete")
    connection.exec_driver_sql("DELETE FROM policy_version")
    connection.exec_driver_sql(trigger)

# a small issuer and customer registry, and two pools, for closes in tests
REGISTRY = """
issuer:
  name: Example Corp AI Platform
  address: ["1 Market St", "San Francisco, CA 94105"]
  email: ai-billing@example.com
  invoice_prefix: INV
customers:
  acme: {name: ACME GmbH, locale: de_DE, tax_rate: "0.19", payment_terms_days: 14,
         tax_ids: ["eu_vat:DE123456789"],
         address: ["Hauptstr. 1", "10115 Berlin"]}
"""
POOLS = """
pools:
  - {name: observability, amount: "4800.00", currency: USD, driver: spend, treatment: charged}
  - {name: platform, amount: "9000.00", currency: USD, driver: even, treatment: central}
"""
