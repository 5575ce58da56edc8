"""Request dependencies: settings, the database engine and the caller's API key."""

from __future__ import annotations

import hmac

from fastapi import Request
from sqlalchemy import Engine

from billing.api.problems import Problem
from billing.config import Settings


def settings(request: Request) -> Settings:
    return request.app.state.settings


def engine(request: Request) -> Engine:
    return request.app.state.engine


def require_key(request: Request) -> None:
    """Single configured key for now (BILLING_API_KEY); roles come with the key model."""
    configured: str | None = request.app.state.settings.api_key
    challenge = {"WWW-Authenticate": "Bearer"}
    if not configured:
        raise Problem(401, "Unauthorized",
                      "this server has no API key configured: set BILLING_API_KEY and restart",
                      headers=challenge)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "Unauthorized",
                      "send the API key as 'Authorization: Bearer <key>'", headers=challenge)
    if not hmac.compare_digest(token.strip().encode(), configured.encode()):
        raise Problem(401, "Unauthorized", "the API key is not valid", headers=challenge)
