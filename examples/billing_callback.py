"""Loaded by the LiteLLM proxy (`callbacks: billing_callback.handler` in litellm_config.yaml)."""

from billing.gateway.litellm_proxy import handler

__all__ = ["handler"]
