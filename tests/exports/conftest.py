"""A rated month with overhead pools and a registry, on each database."""

from __future__ import annotations

import pytest

from billing.rating.card_registry import published_versions
from billing.rating.rate import Cards, rate


@pytest.fixture
def rated_month(month, close_settings):  # noqa: ANN001, ANN201
    rate(month, Cards(team=published_versions(month, "internal"),
                      customer=published_versions(month, "external")), zone=close_settings.zone)
    return month
