"""A rated month with overhead pools and a registry, on each database."""

from __future__ import annotations

import pytest
from focus_validator_venv import start_in_background

from billing.rating.card_registry import published_versions
from billing.rating.rate import Cards, rate


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The FOCUS validator's venv starts building as soon as a test that needs it is
    collected, so it is ready (or nearly) when that test runs."""
    if any(item.path.name == "test_focus_conformance.py" for item in items):
        start_in_background()


@pytest.fixture
def rated_month(month, close_settings):  # noqa: ANN001, ANN201
    rate(month, Cards(team=published_versions(month, "internal"),
                      customer=published_versions(month, "external")), zone=close_settings.zone)
    return month
