"""The instance a LiteLLM proxy's config names: `callbacks: billing.gateway.litellm_proxy.handler`.

Configured from the environment (BILLING_ENGINE_URL, BILLING_GATEWAY_KEY, BILLING_SPOOL_DIR,
BILLING_FAIL_OPEN), as the proxy builds callbacks from a dotted name, without arguments.
"""

from billing.gateway.litellm_callback import BillingCallback

handler = BillingCallback.from_env()
