"""A month of demo usage ingested, with a registry and pools, ready to close."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from billing.config import Settings
from billing.demo_data import generate
from billing.metering import ingest_lines
from billing.ratecard_registry import publish_shipped

REGISTRY = """
issuer:
  name: Example Corp AI Platform
  address: ["1 Market St", "San Francisco, CA 94105"]
  email: ai-billing@example.com
  invoice_prefix: INV
customers:
  acme: {name: ACME GmbH, locale: de_DE, tax_rate: "0.19", payment_terms_days: 14,
         address: ["Hauptstr. 1", "10115 Berlin"]}
"""
POOLS = """
pools:
  - {name: observability, amount: "4800.00", currency: USD, driver: spend, treatment: charged}
  - {name: platform, amount: "9000.00", currency: USD, driver: even, treatment: central}
"""


@pytest.fixture
def close_settings(settings: Settings, tmp_path: Path) -> Settings:
    (tmp_path / "registry.yaml").write_text(REGISTRY)
    (tmp_path / "overhead.yaml").write_text(POOLS)
    return replace(settings, registry=tmp_path / "registry.yaml",
                   overhead_pools=tmp_path / "overhead.yaml",
                   attribution_rules=tmp_path / "none.yaml")


@pytest.fixture
def month(engine, close_settings):  # noqa: ANN001, ANN201
    publish_shipped(engine)
    ingest_lines(engine, generate("2026-10", 3000, 5), zone=ZoneInfo("UTC"), source="demo")
    return engine
