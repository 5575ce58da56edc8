"""POST /v1/stripe/webhook: Stripe tells us an invoice was paid, failed or voided.

Stripe signs each delivery; a bad signature is a 400 and changes nothing. An event applied
once is recorded by id, so Stripe's retries and replays change nothing either. A signed event
that is malformed, of the other mode (live vs test key) or from the future is a 400 too; an
event older than the one that set the invoice's status is recorded as stale and changes nothing.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from billing.api import problems
from billing.api.deps import AppSettings
from billing.api.problems import Problem
from billing.close.stripe_billing import apply_event
from invoices.stripe_sync import WebhookEventRefused, WebhookVerificationError, verify_webhook

router = APIRouter(prefix="/v1", tags=["stripe"])


@router.post("/stripe/webhook", summary="Stripe webhook (authenticated by its signature)",
             responses=problems.responses(400, 503, said={
                 400: "The signature does not verify, or the signed event is refused",
                 503: "STRIPE_WEBHOOK_SECRET is not set on this server"}))
async def stripe_webhook(request: Request, settings: AppSettings) -> dict:
    secret = settings.stripe_webhook_secret
    if not secret:
        raise Problem(503, "Not configured", "set STRIPE_WEBHOOK_SECRET to receive Stripe events")
    payload = await request.body()
    key = settings.stripe_api_key
    try:
        event = verify_webhook(payload, request.headers.get("stripe-signature", ""), secret,
                               livemode=("_live_" in key) if key else None)
    except WebhookEventRefused as exc:
        raise Problem(400, "Event refused", str(exc)) from None
    except WebhookVerificationError as exc:
        raise Problem(400, "Bad signature", f"the Stripe-Signature does not verify: {exc}") \
            from None
    return {"event": event.id, "result": apply_event(request.app.state.engine, event)}
