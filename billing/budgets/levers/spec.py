"""Levers as a user writes them: `routing:best->better:40%`, `compression:input-35%`,
`caching:hit-rate+20pp`, `batch:30%`, `policy:max-input=8000`.

Parsed once, with an error that shows the accepted forms, so the CLI, the API and the
dashboard read the same text the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

FORMS = ("routing:FROM->TO:PCT% (FROM and TO a tier or a model)", "compression:input-PCT%",
         "caching:hit-rate+PP pp", "batch:PCT%", "policy:max-input=TOKENS")


class LeverError(ValueError):
    def __init__(self, text: str, problem: str):
        super().__init__(f"lever {text!r}: {problem}; write one of: {', '.join(FORMS)}")


@dataclass(frozen=True)
class Lever:
    kind: str  # routing, compression, caching, batch, policy
    text: str
    share: Decimal = Decimal(0)
    """A fraction: of calls routed or batched, of input removed, of hit rate added."""
    source: str = ""
    target: str = ""
    max_input: int = 0


_PATTERNS = {
    "routing": re.compile(r"routing:(?P<source>[^\s:>]+)->(?P<target>[^\s:>]+):(?P<n>[\d.]+)%"),
    "compression": re.compile(r"compression:input-(?P<n>[\d.]+)%"),
    "caching": re.compile(r"caching:hit-rate\+(?P<n>[\d.]+)pp"),
    "batch": re.compile(r"batch:(?P<n>[\d.]+)%"),
    "policy": re.compile(r"policy:max-input=(?P<n>\d{1,12})"),
}


def parse_lever(text: str) -> Lever:
    text = text.strip()
    kind = text.split(":", 1)[0]
    pattern = _PATTERNS.get(kind)
    if pattern is None:
        raise LeverError(text, f"unknown lever {kind!r}")
    found = pattern.fullmatch(text)
    if found is None:
        raise LeverError(text, f"not a {kind} lever as written")
    if kind == "policy":
        cap = int(found["n"])
        if cap <= 0:
            raise LeverError(text, "the input cap must be at least 1 token")
        return Lever(kind, text, max_input=cap)
    try:
        share = Decimal(found["n"]) / 100
    except InvalidOperation:
        raise LeverError(text, "the percentage is not a number") from None
    if not 0 < share <= 1:
        raise LeverError(text, "the percentage must be above 0 and at most 100")
    if kind == "routing":
        if found["source"] == found["target"]:
            raise LeverError(text, "routing needs two different tiers or models")
        return Lever(kind, text, share, found["source"], found["target"])
    return Lever(kind, text, share)


def parse_levers(texts: list[str]) -> list[Lever]:
    levers = [parse_lever(text) for text in texts]
    kinds = [lever.kind for lever in levers if lever.kind != "routing"]
    repeated = sorted({kind for kind in kinds if kinds.count(kind) > 1})
    if repeated:
        raise LeverError(", ".join(texts), f"{repeated[0]} is given twice; give it once")
    return levers
