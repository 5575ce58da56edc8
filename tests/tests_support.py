"""Helpers tests import (conftest.py is for fixtures only)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from billing.budgets.freshness import invalidate
from billing.budgets.reservations import book_for

FIXTURES = Path(__file__).parent / "fixtures"
TABLES_CHILD_FIRST = (
    "evaluation", "lever_candidate", "forecast_snapshot",
    "api_key", "fx_rate", "stripe_event", "credit_drawdown", "credit_grant", "sla_proposal",
    "document",
    "document_sequence", "period_close",
    "apscheduler_jobs",
    "alert_delivery", "alert", "outcome", "spend_total", "budget",
    "usage_archive", "rated_line", "rating_run", "usage_restatement", "usage_bucket", "usage_event",
    "quarantined_row", "ingest_batch",
)
# rate_card_version is immutable by trigger; tests that publish use their own cards


def truncate(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in TABLES_CHILD_FIRST:
            connection.exec_driver_sql(f"DELETE FROM {table}")
        if connection.dialect.name == "postgresql":  # event ids kept across partitions
            connection.exec_driver_sql("DELETE FROM usage_event_id")
        _clear_policies(connection)
    # the live budget state and reservations of the previous test are gone with its data
    invalidate()
    book_for(engine).holds.clear()


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


def publish_policy(engine: Engine, kind: str, body: str, *, version: str | None = None,
                   effective_from: str = "2000-01") -> str:
    """Publish a policy body (the YAML below the header) as the test's version in force from
    `effective_from`; a later call replaces it from the same month. Returns the version."""
    from billing.policies.registry import publish, published_versions

    if version is None:
        taken = {v.version for v in published_versions(engine, kind)}
        number = 1
        while f"test-{number}" in taken:
            number += 1
        version = f"test-{number}"
    text = f"kind: {kind}\nversion: \"{version}\"\neffective_from: \"{effective_from}\"\n" + body
    publish(engine, text, f"{kind}.yaml", published_by="tests", change_note="test")
    return version


def publish_pools(engine: Engine, pools, **kwargs) -> str:  # noqa: ANN001
    """Publish overhead pools (a YAML body, or Pool objects) as the pools in force."""
    from billing.rating.overhead import dump_pools

    body = pools if isinstance(pools, str) else dump_pools(list(pools))
    return publish_policy(engine, "overhead", body, **kwargs)


def pools_in_force(engine: Engine, period: str = "2026-10"):  # noqa: ANN201
    from billing.policies.in_force import policies_for

    return policies_for(engine, period).pools
