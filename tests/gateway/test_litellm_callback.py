"""The LiteLLM callback against the engine over real HTTP: the real `litellm` package makes
calls with mock responses (no network), the callback meters them into the app run by uvicorn,
and its pre-call hook reserves budget so hard caps hold under concurrency."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import litellm
import pytest
import uvicorn
from sqlalchemy import Engine, select

from billing.api.app import create_app
from billing.budgets.budget import Budget, Scope
from billing.budgets.store import set_budget, spent
from billing.config import Settings
from billing.gateway.litellm_callback import BillingCallback, HardCapReached
from billing.models import UsageEvent
from billing.period import Period
from billing.rating.card_registry import publish_shipped
from billing.rating.rate import cards_in_use, rate

AUTH = {"Authorization": "Bearer test-key"}
MESSAGES = [{"role": "user", "content": "Summarise this support ticket in one line."}]
MAX_TOKENS = 40
usage_events = UsageEvent.__table__


class Loop:
    """One event loop for the module, running in a thread as a proxy's does: LiteLLM logs a
    call on that loop after the call returns, so the loop must outlive each call."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine) -> object:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="module")
def loop() -> Iterator[Loop]:
    running = Loop()
    yield running
    running.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """The app under uvicorn in a thread, on a port chosen before it starts."""

    def __init__(self, settings: Settings, port: int) -> None:
        self.settings, self.port = settings, port
        self.url = f"http://127.0.0.1:{port}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.server = uvicorn.Server(uvicorn.Config(
            create_app(self.settings), host="127.0.0.1", port=self.port, log_level="warning",
            access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.server.started, "uvicorn did not start"

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(10)


@pytest.fixture
def served(engine: Engine, settings: Settings) -> Iterator[Served]:
    publish_shipped(engine)
    server = Served(settings, _free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def callback(served: Served, tmp_path: Path) -> Iterator[BillingCallback]:
    handler = BillingCallback(served.url, "test-key", str(tmp_path / "spool"), background=False)
    litellm.callbacks = [handler]
    yield handler
    litellm.callbacks = []
    handler.close()


class Key:
    """What the proxy hands the pre-call hook: the caller's key with its team."""

    def __init__(self, team_alias: str | None, end_user_id: str | None = None) -> None:
        self.team_alias, self.team_id, self.end_user_id = team_alias, None, end_user_id


def _period() -> str:
    return str(Period.of(datetime.now(UTC), ZoneInfo("UTC")))


def _events(engine: Engine) -> list:
    with engine.connect() as connection:
        return connection.execute(select(usage_events)).all()


def _drained(handler: BillingCallback, engine: Engine, count: int) -> list:
    """litellm logs on its own worker: flush until `count` events are in the ledger."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        handler.flush()
        rows = _events(engine)
        if len(rows) >= count:
            return rows
        time.sleep(0.02)
    raise AssertionError(f"{len(_events(engine))} of {count} events reached the engine")


async def _call(handler: BillingCallback, team: str, *, use_case: str | None = None,
                customer: str | None = None, **extra: object) -> object:
    """One call as the proxy makes it: pre-call hook, then the call with its metadata."""
    tags = [f"use_case:{use_case}"] if use_case else []
    data = {"model": "gpt-4o-mini", "messages": MESSAGES, "max_tokens": MAX_TOKENS,
            "metadata": {"user_api_key_team_alias": team, "tags": tags}}
    if customer:
        data["user"] = customer
    data = await handler.async_pre_call_hook(Key(team), None, data, "completion")
    return await litellm.acompletion(**data, mock_response="Customer cannot log in.", **extra)


def _rate(engine: Engine, settings: Settings) -> None:
    rate(engine, cards_in_use(engine, settings.team_card, settings.customer_card),
         zone=ZoneInfo("UTC"))


def test_events_land_with_tokens_team_use_case_and_customer(
        loop: Loop, callback: BillingCallback, engine: Engine) -> None:
    response = loop.run(_call(callback, "support", use_case="copilot", customer="acme"))
    [row] = _drained(callback, engine, 1)
    usage = response.usage
    assert (row.team, row.use_case, row.customer) == ("support", "copilot", "acme")
    assert (row.model, row.provider) == ("gpt-4o-mini", "openai")
    assert row.input_tokens + row.cached_input_tokens == usage.prompt_tokens > 0
    assert row.output_tokens == usage.completion_tokens > 0
    assert row.call_status == "ok"
    assert callback.spool.waiting() == 0


def test_a_failed_call_is_recorded_as_failed_and_releases_its_hold(
        loop: Loop, callback: BillingCallback, engine: Engine, served: Served) -> None:
    with pytest.raises(litellm.exceptions.RateLimitError):
        loop.run(_failing(callback))
    [row] = _drained(callback, engine, 1)
    assert row.call_status == "failed" and row.team == "support"
    assert row.status == "rate_limited" and row.latency_ms is not None
    status = httpx.get(f"{served.url}/v1/budgets/support/status", headers=AUTH).json()
    assert Decimal(status["spent"] or 0) == 0  # the hold was released, not settled


async def _failing(handler: BillingCallback) -> object:
    data = {"model": "gpt-4o-mini", "messages": MESSAGES, "max_tokens": MAX_TOKENS,
            "metadata": {"user_api_key_team_alias": "support"}}
    data = await handler.async_pre_call_hook(Key("support"), None, data, "completion")
    return await litellm.acompletion(
        **data, mock_response=litellm.RateLimitError("slow down", "openai", "gpt-4o-mini"))


def _estimate(served: Served, team: str) -> Decimal:
    """The engine's estimate of one test call, asked once and released."""
    from billing.gateway.litellm_callback import _prompt_tokens

    tokens = _prompt_tokens({"model": "gpt-4o-mini", "messages": MESSAGES})
    answer = httpx.post(f"{served.url}/v1/budgets/{team}/reservations", headers=AUTH, json={
        "model": "gpt-4o-mini", "input_tokens": tokens, "max_tokens": MAX_TOKENS}).json()
    httpx.post(f"{served.url}/v1/reservations/{answer['reservation_id']}/release",
               headers=AUTH).raise_for_status()
    return Decimal(answer["estimate"][f"team:{team}"])


def test_a_hard_cap_blocks_the_next_call(loop: Loop, callback: BillingCallback, engine: Engine,
                                         served: Served) -> None:
    estimate = _estimate(served, "support")
    set_budget(engine, Budget(Scope.of("support"), _period(), estimate * 3 / 2, "USD",
                              hard_cap=True))
    loop.run(_call(callback, "support"))  # fits; settles at its actual cost
    with pytest.raises(HardCapReached) as refused:
        loop.run(_call(callback, "support"))
    assert refused.value.status_code == 429
    assert "hard cap of team 'support'" in str(refused.value)
    assert len(_drained(callback, engine, 1)) == 1  # the refused call never ran


def test_spend_equal_to_the_cap_blocks(loop: Loop, callback: BillingCallback, engine: Engine,
                                       served: Served, settings: Settings) -> None:
    loop.run(_call(callback, "support"))
    _drained(callback, engine, 1)
    _rate(engine, settings)
    total = spent(engine, _period(), "team", "support")
    set_budget(engine, Budget(Scope.of("support"), _period(), total, "USD", hard_cap=True))
    status = httpx.get(f"{served.url}/v1/budgets/support/status", headers=AUTH).json()
    assert status["decision"] == "block"
    with pytest.raises(HardCapReached, match="hard cap reached"):
        loop.run(_call(callback, "support"))


def test_fifty_concurrent_calls_do_not_overshoot_a_nearly_spent_cap(
        loop: Loop, callback: BillingCallback, engine: Engine, served: Served,
        settings: Settings) -> None:
    loop.run(_call(callback, "support"))
    _drained(callback, engine, 1)
    _rate(engine, settings)
    already = spent(engine, _period(), "team", "support")
    estimate = _estimate(served, "support")
    cap = already + estimate * 5 + estimate / 2  # room for five calls' estimates
    set_budget(engine, Budget(Scope.of("support"), _period(), cap, "USD", hard_cap=True))

    async def fifty() -> list:
        return await asyncio.gather(*(_call(callback, "support") for _ in range(50)),
                                    return_exceptions=True)

    outcomes = loop.run(fifty())
    refused = [o for o in outcomes if isinstance(o, HardCapReached)]
    others = [o for o in outcomes if isinstance(o, Exception) and o not in refused]
    assert not others, others[:3]
    # five estimates always fit; more may, as calls settle below their estimate
    assert 5 <= 50 - len(refused) < 50
    _drained(callback, engine, 1 + 50 - len(refused))
    _rate(engine, settings)
    overshoot = spent(engine, _period(), "team", "support") - cap
    assert overshoot <= 0  # the documented bound when calls carry max_tokens


def test_engine_down_then_up_loses_nothing_and_duplicates_nothing(
        loop: Loop, engine: Engine, settings: Settings, tmp_path: Path) -> None:
    publish_shipped(engine)
    server = Served(settings, _free_port())  # not started yet: the engine is down
    handler = BillingCallback(server.url, "test-key", str(tmp_path / "spool"),
                              background=False)
    litellm.callbacks = [handler]
    try:
        for _ in range(5):
            loop.run(_call(handler, "support"))  # fail open: the check cannot be asked
        _wait(lambda: handler.spool.waiting() == 5)
        assert handler.flush() is False and handler.spool.waiting() == 5
        server.start()
        assert handler.flush() is True and handler.spool.waiting() == 0
        rows = _events(engine)
        assert len(rows) == 5 and len({row.event_id for row in rows}) == 5
        # the engine took a batch but its answer was lost: the same events are sent again
        handler.spool.append([{**_event_of(row)} for row in rows])
        assert handler.flush() is True
        assert len(_events(engine)) == 5
    finally:
        litellm.callbacks = []
        handler.close()
        server.stop()


def _event_of(row: object) -> dict:
    return {"event_id": row.event_id, "occurred_at": row.occurred_at.isoformat() + (
        "" if row.occurred_at.tzinfo else "+00:00"), "team": row.team, "model": row.model,
        "provider": row.provider, "input_tokens": row.input_tokens,
        "output_tokens": row.output_tokens}


def _wait(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_reservation_expires_so_a_crashed_gateway_holds_nothing(
        served: Served, engine: Engine) -> None:
    body = {"model": "gpt-4o-mini", "input_tokens": 100, "max_tokens": MAX_TOKENS,
            "ttl_seconds": 1.5}
    url = f"{served.url}/v1/budgets/support/reservations"
    probe = httpx.post(url, headers=AUTH, json=body).json()
    httpx.post(f"{served.url}/v1/reservations/{probe['reservation_id']}/release",
               headers=AUTH).raise_for_status()
    cap = Decimal(probe["estimate"]["team:support"])  # room for exactly one such call
    set_budget(engine, Budget(Scope.of("support"), _period(), cap, "USD", hard_cap=True))
    first = httpx.post(url, headers=AUTH, json=body).json()
    assert first["reservation_id"] and first["decision"] != "block"
    assert httpx.post(url, headers=AUTH, json=body).json()["decision"] == "block"
    time.sleep(1.6)  # the first gateway crashed: its hold ends by itself
    assert httpx.post(url, headers=AUTH, json=body).json()["decision"] != "block"
    gone = httpx.post(f"{served.url}/v1/reservations/{first['reservation_id']}/settle",
                      headers=AUTH, json={"input_tokens": 1, "output_tokens": 1})
    assert gone.status_code == 404 and "expired" in gone.json()["detail"]


def test_a_cache_hit_and_cached_tokens_map_as_the_litellm_importer_maps_them() -> None:
    """Mock responses are never served from LiteLLM's cache, so the logged payload of a cache
    hit is written out here as LiteLLM logs it."""
    from billing.gateway.litellm_callback import spend_log
    from billing.ledger.formats.litellm import event_from_spend_log

    payload = {"id": "chatcmpl-1", "startTime": datetime(2026, 11, 2, 9, tzinfo=UTC).timestamp(),
               "model": "gpt-4o-mini", "model_group": "fast", "custom_llm_provider": "openai",
               "prompt_tokens": 1200, "completion_tokens": 80, "cache_hit": True,
               "status": "success",
               "request_tags": ["use_case:copilot"], "end_user": "acme",
               "metadata": {"user_api_key_team_alias": "support"}}
    usage = litellm.Usage(prompt_tokens=1200, completion_tokens=80, total_tokens=1280,
                          prompt_tokens_details={"cached_tokens": 1000})
    response = litellm.ModelResponse(usage=usage)
    event = event_from_spend_log(spend_log({"standard_logging_object": payload}, response,
                                           failed=False))
    assert event["call_status"] == "cache_hit"
    assert (event["input_tokens"], event["cached_input_tokens"]) == (200, 1000)
    assert (event["team"], event["use_case"], event["customer"]) == ("support", "copilot", "acme")
    assert event["tags"]["model_called"] == "fast"
    assert event["occurred_at"] == "2026-11-02T09:00:00+00:00"
