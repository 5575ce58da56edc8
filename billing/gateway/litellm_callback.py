"""The LiteLLM callback: meters every call into the engine and enforces hard budget caps.

In a LiteLLM proxy's config (`billing.gateway.litellm_proxy.handler` is an instance built from
the environment) or in the SDK (`litellm.callbacks = [BillingCallback(...)]`):

- every call LiteLLM logs (success, failure, cache hit) becomes a usage event through the
  LiteLLM importer's own mapping (`event_from_spend_log`), written to a spool on disk and sent
  to `POST /v1/usage` in batches by a background thread; an engine that is down loses nothing
  and a batch sent twice adds nothing (idempotent on the request id);
- `async_pre_call_hook` reserves the call's estimated cost (prompt tokens + max_tokens) for the
  key's team, use case and customer, and refuses the call with HTTP 429 over a hard cap; the
  success callback settles the reservation with the actual tokens, the failure callback (and a
  cache hit, which costs nothing) releases it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import HTTPException
from litellm.integrations.custom_logger import CustomLogger

from billing.gateway.spool import Spool
from billing.ledger.formats.litellm import event_from_spend_log

log = logging.getLogger("billing.gateway")
RESERVATION = "billing_reservation_id"
DEFAULT_MAX_TOKENS = 4096


class HardCapReached(HTTPException):
    """The engine said block: the proxy answers 429 with the engine's message."""

    def __init__(self, message: str) -> None:
        super().__init__(status_code=429, detail={"error": message})
        self.message = message

    def __str__(self) -> str:
        return self.message


class BillingCallback(CustomLogger):
    def __init__(self, engine_url: str, api_key: str, spool_dir: str, *,
                 batch_size: int = 500, flush_interval: float = 1.0,
                 default_max_tokens: int = DEFAULT_MAX_TOKENS, fail_open: bool = True,
                 timeout: float = 5.0, background: bool = True) -> None:
        """`fail_open`: when the engine cannot be asked, let the call through (and log it);
        False refuses calls while the engine is unreachable."""
        super().__init__()
        self.engine_url = engine_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}"}
        self.spool = Spool(spool_dir, batch_size)
        self.flush_interval = flush_interval
        self.default_max_tokens = default_max_tokens
        self.fail_open = fail_open
        self.timeout = timeout
        self._client = httpx.Client(timeout=timeout, headers=self.headers)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(target=self._drain, name="billing-spool",
                                            daemon=True)
            self._thread.start()

    @classmethod
    def from_env(cls) -> BillingCallback:
        """BILLING_ENGINE_URL, BILLING_GATEWAY_KEY, BILLING_SPOOL_DIR (default ./billing-spool),
        BILLING_FAIL_OPEN (default true)."""
        return cls(os.environ.get("BILLING_ENGINE_URL", "http://127.0.0.1:8000"),
                   os.environ.get("BILLING_GATEWAY_KEY", ""),
                   os.environ.get("BILLING_SPOOL_DIR", "billing-spool"),
                   fail_open=os.environ.get("BILLING_FAIL_OPEN", "true").lower() != "false")

    # ---- metering ----------------------------------------------------------------------

    def log_success_event(self, kwargs, response_obj, start_time, end_time) -> None:  # noqa: ANN001
        self._record(kwargs, response_obj, failed=False)

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time) -> None:  # noqa: ANN001
        await asyncio.to_thread(self._record, kwargs, response_obj, False)

    def log_failure_event(self, kwargs, response_obj, start_time, end_time) -> None:  # noqa: ANN001
        self._record(kwargs, response_obj, failed=True)

    async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time) -> None:  # noqa: ANN001
        await asyncio.to_thread(self._record, kwargs, response_obj, True)

    def _record(self, kwargs: dict, response_obj: Any, failed: bool) -> None:
        record = spend_log(kwargs, response_obj, failed)
        if record is None:
            return
        try:
            event = event_from_spend_log(record)
        except ValueError as exc:
            log.error("billing: call %s not metered: %s", record.get("request_id"), exc)
            return
        self.spool.append([event])
        self._wake.set()
        self._finish_reservation(kwargs, record, event)

    def flush(self) -> bool:
        """Send what is spooled now; True when nothing is left waiting."""
        return self.spool.flush(self._send)

    def _send(self, lines: list[bytes]) -> bool:
        try:
            response = self._client.post(f"{self.engine_url}/v1/usage",
                                         content=b"\n".join(lines),
                                         headers={"Content-Type": "application/x-ndjson"})
        except httpx.HTTPError as exc:
            log.warning("billing: engine unreachable, %d events stay spooled: %s",
                        len(lines), exc)
            return False
        if response.status_code != 200:
            log.warning("billing: engine answered %s, events stay spooled: %s",
                        response.status_code, response.text[:300])
            return False
        return True

    def _drain(self) -> None:
        """Flush on new events or every interval; after a failure wait longer, up to a minute."""
        delay = self.flush_interval
        while not self._stop.is_set():
            self._wake.wait(delay)
            self._wake.clear()
            ok = self.flush()
            delay = self.flush_interval if ok else min(delay * 2, 60.0)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._client.close()

    # ---- budgets -----------------------------------------------------------------------

    async def async_pre_call_hook(self, user_api_key_dict, cache, data: dict,  # noqa: ANN001
                                  call_type) -> dict:  # noqa: ANN001
        return await asyncio.to_thread(self.reserve, user_api_key_dict, data)

    def reserve(self, user_api_key_dict: Any, data: dict) -> dict:
        """Ask the engine; on block raise HardCapReached; else note the reservation in the
        call's metadata for the success or failure callback to settle or release."""
        metadata = data.setdefault("metadata", {})
        team = (getattr(user_api_key_dict, "team_alias", None)
                or getattr(user_api_key_dict, "team_id", None)
                or metadata.get("user_api_key_team_alias"))
        if not team:
            return data  # unattributed usage has no budget to hold against
        tags = _tags(metadata.get("tags") or data.get("tags") or [])
        body = {"model": _priced_model(str(data.get("model", ""))),
                "input_tokens": _prompt_tokens(data),
                "max_tokens": int(data.get("max_tokens") or data.get("max_completion_tokens")
                                  or self.default_max_tokens)}
        if tags.get("use_case"):
            body["use_case"] = tags["use_case"]
        customer = data.get("user") or getattr(user_api_key_dict, "end_user_id", None)
        if customer:
            body["customer"] = customer
        try:
            response = self._client.post(f"{self.engine_url}/v1/budgets/{team}/reservations",
                                         json=body)
            response.raise_for_status()
            answer = response.json()
        except httpx.HTTPError as exc:
            if self.fail_open:
                log.warning("billing: budget check failed, call allowed (fail open): %s", exc)
                return data
            raise HardCapReached(f"the billing engine could not be asked ({exc}); "
                                 "calls are refused until it answers") from None
        if answer["decision"] == "block":
            raise HardCapReached(answer["message"])
        metadata[RESERVATION] = answer["reservation_id"]
        return data

    def _finish_reservation(self, kwargs: dict, record: dict, event: dict) -> None:
        metadata = (kwargs.get("litellm_params") or {}).get("metadata") or {}
        reservation = metadata.get(RESERVATION)
        if not reservation:
            return
        if event.get("call_status", "ok") != "ok":
            url, body = f"reservations/{reservation}/release", None
        else:
            url = f"reservations/{reservation}/settle"
            body = {name: event.get(name, 0) for name in (
                "input_tokens", "output_tokens", "cached_input_tokens",
                "cache_write_input_tokens")}
        try:
            self._client.post(f"{self.engine_url}/v1/{url}", json=body)
        except httpx.HTTPError as exc:  # the hold expires by itself; the usage is spooled
            log.warning("billing: could not finish reservation %s: %s", reservation, exc)


def spend_log(kwargs: dict, response_obj: Any, failed: bool) -> dict | None:
    """LiteLLM's standard logging payload as the spend-log record its importer reads."""
    payload = kwargs.get("standard_logging_object")
    if not payload:
        return None
    metadata = payload.get("metadata") or {}
    usage = _usage(response_obj) or metadata.get("usage_object") or {}
    called = payload.get("model_group") or kwargs.get("model")
    record = {
        "request_id": payload.get("id"),
        "startTime": datetime.fromtimestamp(payload.get("startTime") or 0, UTC).isoformat(),
        **({"endTime": datetime.fromtimestamp(payload["endTime"], UTC).isoformat()}
           if isinstance(payload.get("endTime"), int | float) else {}),
        "model": payload.get("model"),
        "custom_llm_provider": payload.get("custom_llm_provider"),
        "team_id": metadata.get("user_api_key_team_id"),
        "end_user": payload.get("end_user") or metadata.get("user_api_key_end_user_id")
        or kwargs.get("user") or (kwargs.get("optional_params") or {}).get("user"),
        "api_key": metadata.get("user_api_key_hash"),
        "metadata": {"user_api_key_team_alias": metadata.get("user_api_key_team_alias"),
                     "usage_object": usage,
                     "error_information": payload.get("error_information")},
        "prompt_tokens": payload.get("prompt_tokens") or 0,
        "completion_tokens": payload.get("completion_tokens") or 0,
        "spend": payload.get("response_cost"),
        "cache_hit": payload.get("cache_hit"),
        "status": "failure" if failed or payload.get("status") == "failure" else "success",
        "request_tags": list(payload.get("request_tags") or [])
        + ([f"model_called:{called}"] if called and called != payload.get("model") else []),
    }
    return record


def _usage(response_obj: Any) -> dict:
    usage = getattr(response_obj, "usage", None)
    if usage is None:
        return {}
    dump = usage.model_dump() if hasattr(usage, "model_dump") else dict(usage)
    return {k: v for k, v in dump.items() if v is not None}


def _tags(tags: Any) -> dict[str, str]:
    pairs = (str(tag).partition(":") for tag in tags if isinstance(tag, str))
    return {key.strip(): value.strip() for key, sep, value in pairs if sep}


def _priced_model(model: str) -> str:
    """`openai/gpt-4o-mini` is priced as the card's `gpt-4o-mini`."""
    return model.partition("/")[2] if "/" in model else model


def _prompt_tokens(data: dict) -> int:
    import litellm

    try:
        return int(litellm.token_counter(model=str(data.get("model", "")),
                                         messages=data.get("messages") or []))
    except Exception:  # noqa: BLE001 - an estimate; a model litellm cannot count is still served
        return 0
