"""Rate cards: versioned good/better/best price lists and the exact maths of pricing.

Pure: this package reads YAML text and computes Decimals; it imports nothing of `billing`.
"""

from ratecards.capacity import CapacityPrice, capacity_price, priced_for_period
from ratecards.currency import UnknownCurrency, currency_exponent, is_currency
from ratecards.diff import PriceChange, diff_versions
from ratecards.discounts import CommitmentResult, committed_use, graduated_discount
from ratecards.loading import (
    CardValidationError,
    Problem,
    load_card,
    shipped_card_files,
    validate_card,
)
from ratecards.pricing import (
    PER_CALL,
    TOKEN_BASES,
    TOTAL,
    Quote,
    UnpricedModel,
    price_band,
    quote,
    tier_of,
)
from ratecards.schema import (
    SERVICE_TIERS,
    TIER_NAMES,
    Capacity,
    CardVersion,
    Commitment,
    ModelPrice,
    Tier,
    TokenPrices,
    VolumeBand,
)
from ratecards.versions import NoVersionInForce, version_in_force, version_on

__all__ = [
    "Capacity", "CapacityPrice", "capacity_price", "priced_for_period",
    "PER_CALL", "SERVICE_TIERS", "TIER_NAMES", "TOKEN_BASES", "TOTAL", "CardValidationError",
    "CardVersion",
    "Commitment", "CommitmentResult", "ModelPrice", "NoVersionInForce", "PriceChange", "Problem",
    "Quote", "Tier", "TokenPrices",
    "UnknownCurrency", "UnpricedModel", "VolumeBand", "committed_use", "currency_exponent",
    "diff_versions", "graduated_discount", "is_currency", "load_card", "price_band", "quote",
    "shipped_card_files", "tier_of", "validate_card", "version_in_force", "version_on",
]
