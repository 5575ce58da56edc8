"""ISO 4217 currencies and their minor units: how many decimals an amount may carry."""

from __future__ import annotations

# code -> exponent (digits after the decimal point), from the ISO 4217 list
_EXPONENTS = {
    "AED": 2, "ARS": 2, "AUD": 2, "BHD": 3, "BRL": 2, "CAD": 2, "CHF": 2, "CLP": 0, "CNY": 2,
    "COP": 2, "CZK": 2, "DKK": 2, "EGP": 2, "EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2,
    "ILS": 2, "INR": 2, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "MXN": 2, "MYR": 2,
    "NGN": 2, "NOK": 2, "NZD": 2, "OMR": 3, "PHP": 2, "PKR": 2, "PLN": 2, "QAR": 2, "RON": 2,
    "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TND": 3, "TRY": 2, "TWD": 2, "UAH": 2, "USD": 2,
    "VND": 0, "ZAR": 2,
}


class UnknownCurrency(ValueError):
    pass


def is_currency(code: str) -> bool:
    return code in _EXPONENTS


def currency_exponent(code: str) -> int:
    """Minor-unit digits of a currency: USD 2, JPY 0, KWD 3."""
    try:
        return _EXPONENTS[code]
    except KeyError:
        raise UnknownCurrency(
            f"{code!r} is not an ISO 4217 currency code this engine knows (e.g. USD, EUR, JPY)"
        ) from None
