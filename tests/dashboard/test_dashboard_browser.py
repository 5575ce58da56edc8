"""The dashboard in a real browser: headless Chromium against the real app under uvicorn.

The figures the page shows must be the API's own, formatted for the viewer's locale (en-US
here, as babel formats it); a team key must not see another team through the page; and
every request the page makes carries the viewer's key and nothing else.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest
import uvicorn
from babel.numbers import format_currency
from dashboard_support import CARDS, CLOSED, seed_dashboard

from billing.api.app import create_app
from billing.api_keys import create_key
from billing.config import Settings
from billing.db import engine_for, migrate
from tests_support import POOLS, REGISTRY, publish_policy, publish_pools

CHROMIUM = Path("/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright "
                                     "(in the dev extras)")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium: apt-get install "
                                "chromium chromium-driver")
SCREENSHOT = Path("/tmp/dashboard.png")
LOCALE = "en_US"


def money(value: str, currency: str = "USD") -> str:
    return format_currency(Decimal(value), currency, locale=LOCALE)


def unit_money(value: str, currency: str = "USD") -> str:
    return format_currency(Decimal(value), currency, format="¤#,##0.00##", locale=LOCALE,
                           currency_digits=False)


def share(value: str) -> str:
    """Intl rounds half away from zero; so do we (babel would round half to even)."""
    return f"{(Decimal(value) * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, dict[str, str]]]:  # noqa: ANN001
    """A seeded SQLite database served by uvicorn on a free port; the keys to read it."""
    root = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{root / 'billing.db'}"
    migrate(url)
    settings = replace(Settings(database_url=url, documents_dir=root / "documents"), **CARDS)
    engine = engine_for(url)
    publish_policy(engine, "parties", REGISTRY)
    publish_pools(engine, POOLS)
    seed_dashboard(engine, settings)
    keys = {"team": create_key(engine, "team", team="support")[0],
            "finance": create_key(engine, "finance")[0]}
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", keys
    server.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                          args=["--no-sandbox", "--disable-gpu"])
        try:
            yield chromium
        finally:
            chromium.close()


def _page(browser, base: str):  # noqa: ANN001, ANN202
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    requests: list[tuple[str, str | None]] = []
    page.on("request", lambda request: requests.append(
        (request.url, request.headers.get("authorization"))))
    page.goto(base + "/")
    return page, requests


def _sign_in(page, key: str) -> None:  # noqa: ANN001
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def _api(base: str, key: str, path: str) -> object:
    response = httpx.get(base + path, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    response.raise_for_status()
    return response.json()


def test_a_bad_key_is_refused_with_a_clear_message(served, browser):
    base, _ = served
    page, _ = _page(browser, base)
    _sign_in(page, "bk_nothing_wrong")
    error = page.locator("#sign-in-error")
    playwright_api.expect(error).to_contain_text("This key was not accepted")
    page.screenshot(path="/tmp/dashboard-bad-key.png")
    assert page.locator("#dashboard").is_hidden()


def test_the_page_shows_the_api_figures_for_a_team_key(served, browser, tmp_path):
    base, keys = served
    key = keys["team"]
    page, requests = _page(browser, base)
    _sign_in(page, key)
    me = _api(base, key, "/v1/me")
    if me["current_period"] not in me["periods"]:
        notice = page.locator("#message")
        playwright_api.expect(notice).to_contain_text("No rated usage for support")
        page.screenshot(path="/tmp/dashboard-empty-period.png")
        page.get_by_role("button", name="Show October 2026").click()
    else:
        page.goto(f"{base}/#team=support&period={CLOSED}")
    playwright_api.expect(page.locator("#dashboard")).to_be_visible()
    playwright_api.expect(page.locator("#title")).to_have_text("support · October 2026")
    assert page.locator("#team option").all_inner_texts() == ["support"]
    assert page.locator("#team").input_value() == "support"

    showback = _api(base, key, f"/v1/showback/support?period={CLOSED}")
    [budget] = [b for b in _api(base, key, f"/v1/budgets?period={CLOSED}&team=support")
                if b["scope"] == "team"]
    coverage = _api(base, key, f"/v1/coverage/support?period={CLOSED}")
    trends = _api(base, key, f"/v1/trends/support?until={CLOSED}&months=6")
    alerts = _api(base, key, f"/v1/alerts?team=support&period={CLOSED}&limit=50")
    statements = _api(base, key, "/v1/teams/support/statements?limit=500")["data"]

    assert page.locator("#spend-total").inner_text() == money(showback["total"])
    assert page.locator("#budget-amount").inner_text() == money(budget["amount"])
    assert money(budget["status"]["spent"]) in page.locator("#budget-detail").inner_text()
    assert page.locator("#projection").inner_text() == money(budget["projection"]["projected"])
    assert page.locator("#coverage").inner_text() == share(coverage["spend"]["share_after_rules"])
    for name, series, key_name in (("use-case", trends["by_use_case"], "use_case"),
                                   ("model", trends["by_model"], "model")):
        shown = dict(zip(page.locator(f"#legend-{name} .series-name").all_inner_texts(),
                         page.locator(f"#legend-{name} .series-amount").all_inner_texts(),
                         strict=True))
        expected = {item[key_name] or f"(no {'use case' if name == 'use-case' else 'model'})":
                    money(item["values"][-1] or "0") for item in series}
        assert shown == expected, name
        assert page.locator(f"#chart-{name} svg rect").count() > 0
    for item in trends["unit_economics"]:
        if item["cost_per_accepted_outcome"][-1] is None:
            continue
        row = page.locator(f'#unit-economics tr[data-use-case="{item["use_case"]}"]')
        assert row.locator(".cpao").inner_text() == unit_money(
            item["cost_per_accepted_outcome"][-1])
        assert share(item["pass_rate"][-1]) in row.inner_text()
    assert page.locator("#alerts li").count() == len(alerts) > 0
    rows = page.locator("#statements tbody tr")
    assert rows.count() == len(statements) > 0
    statement = statements[0]
    row = page.locator(f'#statements tr[data-statement="{statement["number"]}"]')
    assert money(statement["total"], statement["currency"]) in row.inner_text()

    with page.expect_download() as download:
        row.get_by_role("button").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and download.value.suggested_filename.endswith(".pdf")

    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    shutil.copyfile(tmp_path / "dashboard.png", SCREENSHOT)
    api_calls = [(url, auth) for url, auth in requests if "/v1/" in url]
    assert api_calls and all(auth == f"Bearer {key}" for _, auth in api_calls)
    assert all(url.startswith(base) for url, _ in requests)


def test_a_team_key_cannot_see_another_team_through_the_page(served, browser):
    base, keys = served
    page, _ = _page(browser, base)
    _sign_in(page, keys["team"])
    page.goto(f"{base}/#team=search&period={CLOSED}")
    notice = page.locator("#message")
    playwright_api.expect(notice).to_contain_text("Nothing found for team “search”")
    assert page.locator("#dashboard").is_hidden()
    page.screenshot(path="/tmp/dashboard-other-team.png")
    assert page.locator("#team option").all_inner_texts() == ["support"]
    assert page.locator("#team").input_value() == "support"
    search = _api(base, keys["finance"], f"/v1/showback/search?period={CLOSED}")
    assert money(search["total"]) not in page.locator("body").inner_text()


def test_a_finance_key_picks_any_team(served, browser):
    base, keys = served
    page, _ = _page(browser, base)
    _sign_in(page, keys["finance"])
    page.goto(f"{base}/#team=search&period={CLOSED}")
    playwright_api.expect(page.locator("#title")).to_have_text("search · October 2026")
    teams = page.locator("#team option").all_inner_texts()
    assert {"support", "search"} <= set(teams)
    page.select_option("#team", "support")
    playwright_api.expect(page.locator("#title")).to_have_text("support · October 2026")
    search = _api(base, keys["finance"], f"/v1/showback/support?period={CLOSED}")
    assert page.locator("#spend-total").inner_text() == money(search["total"])
    page.screenshot(path="/tmp/dashboard-finance.png", full_page=True)
