"""LiteLLM reads its model price map from the network when imported; the tests use the copy
it ships (no network here), set before any test module imports it."""

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
