"""The finance overview, the KPI panels and the what-if panel in headless Chromium.

A finance key lands on the organisation page; every figure it shows is the API's own, formatted
for en-US (babel here, Intl in the page), and where the same amount is on a statement, the
statement's. A team key never sees the organisation page, whatever address it opens.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest
from babel.numbers import format_currency
from dashboard_support import CLOSED
from overview_support import seed_finance_world, serving

from billing.db import migrate

CHROMIUM = Path("/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright "
                                     "(in the dev extras)")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium: apt-get install "
                                "chromium chromium-driver")
expect = playwright_api.expect
expect.set_options(timeout=30_000)  # the organisation's figures take a moment on a busy box


def money(value: str, currency: str = "USD") -> str:
    return format_currency(Decimal(value), currency, locale="en_US")


def unit_money(value: str, currency: str = "USD") -> str:
    return format_currency(Decimal(value), currency, format="¤#,##0.00##", locale="en_US",
                           currency_digits=False)


def percent(value: str) -> str:
    """A percent value (53.1) as Intl writes it; half away from zero, as Intl rounds."""
    return f"{Decimal(value).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, dict[str, str]]]:  # noqa: ANN001
    root = tmp_path_factory.mktemp("overview")
    url = f"sqlite:///{root / 'billing.db'}"
    migrate(url)
    settings, keys = seed_finance_world(url, root / "documents")
    with serving(settings) as base:
        yield base, keys


@pytest.fixture
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                          args=["--no-sandbox", "--disable-gpu"])
        try:
            yield chromium
        finally:
            chromium.close()


def _signed_in(browser, base: str, key: str):  # noqa: ANN001, ANN202
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base + "/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    return page, errors


def _api(base: str, key: str, path: str) -> object:
    response = httpx.get(base + path, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    response.raise_for_status()
    return response.json()


def _kpi_cells(row) -> dict[str, tuple[str, str]]:  # noqa: ANN001
    cells = row.locator("td.kpi-cell")
    return {cells.nth(n).get_attribute("data-kpi"): (
        cells.nth(n).locator(".kpi-value").inner_text(), cells.nth(n).get_attribute("data-status"))
        for n in range(cells.count())}


def _shown(kpi: dict, signed: bool = False) -> tuple[str, str]:
    if kpi["value"] is None:
        return "–", kpi["status"]
    plus = "+" if signed and Decimal(kpi["value"]) > 0 else ""
    return plus + percent(kpi["value"]), kpi["status"]


def test_a_finance_key_lands_on_the_organisation_with_the_api_figures(served, browser):
    base, keys = served
    key = keys["finance"]
    page, errors = _signed_in(browser, base, key)
    page.goto(f"{base}/#view=overview&period={CLOSED}")
    expect(page.locator("#overview")).to_be_visible()
    expect(page.locator("#overview-title")).to_have_text("Organisation · October 2026")
    expect(page.locator("#org-teams tbody tr")).not_to_have_count(0)
    overview = _api(base, key, f"/v1/overview?period={CLOSED}")

    [total] = overview["totals"]
    assert page.locator("#org-total").inner_text() == money(total["total"])
    assert page.locator("#org-teams tfoot .org-sum").inner_text() == money(total["total"])
    for team in overview["teams"]:
        row = page.locator(f'#org-teams tr[data-team="{team["team"]}"]')
        [statement] = _api(base, key, f"/v1/teams/{team['team']}/statements"
                                      f"?period={CLOSED}")["data"]
        assert row.locator(".usage").inner_text() == money(team["usage_total"])
        assert row.locator(".total").inner_text() == money(team["total"]) == money(
            statement["total"])
        assert statement["number"] in row.inner_text()
        forecast = team["forecast"]
        assert row.locator(".forecast").inner_text() == money(forecast["forecast"])
        assert money(forecast["actual"]) in row.locator(".forecast-error").inner_text()
        if team["budget"]:
            assert row.locator(".budget").inner_text() == money(team["budget"]["amount"])
            variance = team["budget"]["variance"]
            assert row.locator(".variance").inner_text() == (
                f"{money(variance['absolute'].lstrip('-'))} {variance['standing']}")
    [support] = [t for t in overview["teams"] if t["team"] == "support"]
    [budget] = [b for b in _api(base, key, f"/v1/budgets?period={CLOSED}&team=support")
                if b["scope"] == "team"]
    assert support["budget"]["amount"] == budget["amount"]

    coverage = overview["coverage"]
    assert page.locator("#org-unattributed").inner_text() == money(coverage["unattributed"])
    assert page.locator("#org-unpriced").inner_text() == str(coverage["unpriced_requests"])
    assert page.locator("#org-sources tbody tr").count() == len(coverage["sources"])

    review = overview["kpis"]
    org = page.locator('#org-kpis .kpi-org')
    assert org.get_attribute("data-status") == review["organisation"][
        "attribution_coverage"]["status"]
    assert percent(review["organisation"]["attribution_coverage"]["value"]) in org.inner_text()
    for row in review["use_cases"]:
        shown = _kpi_cells(page.locator(
            f'#org-kpis tr[data-use-case="{row["team"]}/{row["use_case"]}"]'))
        assert shown == {name: _shown(kpi, signed=name == "cost_per_outcome")
                         for name, kpi in row["kpis"].items()}, row["use_case"]
    for row in review["teams"]:
        shown = _kpi_cells(page.locator(f'#org-kpis tr[data-team="{row["team"]}"]'))
        assert shown == {name: _shown(row[name])
                         for name in ("forecast_accuracy", "budget_variance")}
    assert page.locator("#org-anomalies li").count() == len(overview["anomalies"]) > 0
    documents = page.locator("#org-documents tbody tr")
    assert documents.count() == len(overview["documents"])
    invoice = next(d for d in overview["documents"] if d["kind"] == "invoice")
    row = page.locator(f'#org-documents tr[data-document="{invoice["number"]}"]')
    assert money(invoice["total"]) in row.inner_text()
    with page.expect_download() as download:
        row.get_by_role("button").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    page.screenshot(path="/tmp/finance-overview.png", full_page=True)
    page.locator("#org-teams").screenshot(path="/tmp/finance-overview-teams.png")
    page.locator("#org-kpis").screenshot(path="/tmp/finance-overview-kpis.png")
    assert not errors


def test_the_what_if_panel_shows_the_simulation_the_api_gives(served, browser):
    base, keys = served
    key = keys["finance"]
    page, errors = _signed_in(browser, base, key)
    page.goto(f"{base}/#view=overview&period={CLOSED}")
    expect(page.locator("#what-if")).to_be_visible()
    page.select_option("#what-if-use-case", label="support-copilot (support)")
    levers = ["compression:input-35%", "routing:claude-sonnet-4->gpt-4o-mini:30%"]
    page.fill("#what-if-levers", " ".join(levers))
    page.get_by_role("button", name="Simulate").click()
    expect(page.locator("#what-if-result")).to_be_visible()
    result = _api(base, key, "/v1/levers/simulate?use_case=support-copilot&team=support"
                             f"&period={CLOSED}&" + str(httpx.QueryParams(
                                 [("lever", lever) for lever in levers])))
    expected = [("Actual", result["before"]), *[(row["levers"], row) for row in result["levers"]],
                ("Combined", result["combined"])]
    rows = page.locator("#what-if-result tbody tr")
    assert rows.count() == len(expected)
    for n, (label, row) in enumerate(expected):
        shown = rows.nth(n)
        assert shown.get_attribute("data-levers") == label
        assert shown.locator(".what-if-spend").inner_text() == money(row["spend"])
        assert shown.locator(".what-if-per-call").inner_text() == unit_money(row["cost_per_call"])
    page.fill("#what-if-levers", "teleport:50%")
    page.get_by_role("button", name="Simulate").click()
    expect(page.locator("#what-if-error")).not_to_be_empty()
    assert page.locator("#what-if-result").is_hidden()
    page.fill("#what-if-levers", " ".join(levers))
    page.get_by_role("button", name="Simulate").click()
    expect(page.locator("#what-if-result")).to_be_visible()
    page.locator("#what-if").screenshot(path="/tmp/finance-what-if.png")
    assert not errors


def test_the_team_page_keeps_working_with_its_kpi_panel(served, browser):
    base, keys = served
    key = keys["team"]
    page, errors = _signed_in(browser, base, key)
    page.goto(f"{base}/#team=support&period={CLOSED}")
    expect(page.locator("#title")).to_have_text("support · October 2026")
    showback = _api(base, key, f"/v1/showback/support?period={CLOSED}")
    assert page.locator("#spend-total").inner_text() == money(showback["total"])
    expect(page.locator("#team-kpis tbody tr")).not_to_have_count(0)
    review = _api(base, key, f"/v1/kpis?period={CLOSED}&team=support")
    for row in review["use_cases"]:
        shown = _kpi_cells(page.locator(
            f'#team-kpis tr[data-use-case="support/{row["use_case"]}"]'))
        assert shown == {name: _shown(kpi, signed=name == "cost_per_outcome")
                         for name, kpi in row["kpis"].items()}
    expect(page.locator("#what-if")).to_be_visible()
    assert page.locator("#views").is_hidden()
    page.screenshot(path="/tmp/team-page-with-kpis.png", full_page=True)
    assert not errors


def test_a_team_key_cannot_see_the_organisation(served, browser):
    base, keys = served
    page, errors = _signed_in(browser, base, keys["team"])
    expect(page.locator("#who")).to_have_text("Team key · support")
    page.goto(f"{base}/#view=overview&period={CLOSED}")
    expect(page.locator("#title")).to_have_text("support · October 2026")
    assert page.locator("#overview").is_hidden()
    assert page.locator("#views").is_hidden()
    overview = _api(base, keys["finance"], f"/v1/overview?period={CLOSED}")
    [legal] = [t for t in overview["teams"] if t["team"] == "legal-ops"]
    assert money(legal["total"]) not in page.locator("body").inner_text()
    response = httpx.get(f"{base}/v1/overview?period={CLOSED}",
                         headers={"Authorization": f"Bearer {keys['team']}"})
    assert response.status_code == 403
    page.screenshot(path="/tmp/team-key-no-overview.png", full_page=True)
    assert not errors


def test_a_finance_key_switches_between_the_organisation_and_a_team(served, browser):
    base, keys = served
    page, errors = _signed_in(browser, base, keys["finance"])
    me = _api(base, keys["finance"], "/v1/me")
    if me["current_period"] in me["periods"]:  # no address: the organisation, this month
        expect(page.locator("#overview")).to_be_visible()
        page.select_option("#period", CLOSED)
    else:
        expect(page.locator("#message")).to_contain_text("No rated usage in")
        page.screenshot(path="/tmp/finance-overview-empty-period.png")
        page.get_by_role("button", name="Show October 2026").click()
    expect(page.locator("#overview-title")).to_have_text("Organisation · October 2026")
    page.locator('#org-teams tr[data-team="search"] th a').click()
    expect(page.locator("#title")).to_have_text("search · October 2026")
    assert page.locator("#overview").is_hidden()
    page.get_by_role("link", name="Organisation").click()
    expect(page.locator("#overview")).to_be_visible()
    assert me["role"] == "finance"
    assert not errors
