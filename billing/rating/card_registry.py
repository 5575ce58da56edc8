"""The rate-card registry: published card versions, stored once, never edited.

Publishing validates the YAML against the versions already in force, stores its exact text
with a content hash, who published it and why. The same file again is a no-op; another file
under a published version is refused. Pricing reads cards back from here, so every amount can
name the exact text it was priced with.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from billing.models import RateCardVersion
from ratecards import (
    CardVersion,
    capacity_price,
    load_card,
    price_band,
    shipped_card_files,
    validate_card,
    version_in_force,
)

table = RateCardVersion.__table__


class PublishRefused(ValueError):
    """A publish that would change history; the message says what to do instead."""


class UnknownCard(LookupError):
    pass


@dataclass(frozen=True)
class PublishResult:
    status: str  # published | unchanged
    card: str
    version: str
    content_hash: str
    effective_from: str

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def published_versions(engine: Engine, card: str | None = None) -> list[CardVersion]:
    """Published versions (of one card, or all), oldest first."""
    query = select(table.c.card, table.c.source, table.c.filename).order_by(
        table.c.card, table.c.effective_from, table.c.version
    )
    if card is not None:
        query = query.where(table.c.card == card)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [load_card(row.source, row.filename) for row in rows]


def publication(engine: Engine, card: str, version: str) -> dict[str, Any]:
    """Who published a version, when and why, with its hash."""
    query = select(table).where(table.c.card == card, table.c.version == version)
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    if row is None:
        raise UnknownCard(f"no published version {version!r} of card {card!r}; "
                          "see `billing ratecards list`")
    return dict(row)


def get_version(engine: Engine, card: str, version: str | None = None) -> CardVersion:
    """A published version, or the newest one of the card when no version is given."""
    versions = published_versions(engine, card)
    if not versions:
        raise UnknownCard(f"no rate card named {card!r} is published; "
                          "see `billing ratecards list`")
    if version is None:
        return max(versions, key=lambda v: (v.effective_from, v.version))
    for candidate in versions:
        if candidate.version == version:
            return candidate
    known = ", ".join(v.version for v in versions)
    raise UnknownCard(f"card {card!r} has no version {version!r}; published: {known}")


def stored_version(connection: Connection, card: str, version: str) -> CardVersion:
    """A published version read inside the caller's transaction (the close's snapshot)."""
    row = connection.execute(select(table.c.source, table.c.filename).where(
        table.c.card == card, table.c.version == version)).first()
    if row is None:
        raise UnknownCard(f"card {card!r} has no version {version!r}; "
                          "see `billing ratecards list`")
    return load_card(row.source, row.filename)


def version_at(engine: Engine, card: str, at: datetime, timezone: str) -> CardVersion:
    """The published version of a card in force at an aware instant: the one in force on the
    instant's date in the billing time zone. NoVersionInForce before the first version."""
    versions = published_versions(engine, card)
    if not versions:
        raise UnknownCard(f"no rate card named {card!r} is published; "
                          "see `billing ratecards list`")
    return version_in_force(versions, at, timezone)


def publish(
    engine: Engine,
    text: str,
    filename: str,
    *,
    published_by: str | None = None,
    change_note: str = "",
) -> PublishResult:
    """Publish one card version (validated against the card's published versions)."""
    card = load_card(text, filename)
    existing = published_versions(engine, card.card)
    same = next((v for v in existing if v.version == card.version), None)
    if same is not None:
        if same.content_hash == card.content_hash:
            return PublishResult("unchanged", card.card, card.version, card.content_hash,
                                 card.effective_from.isoformat())
        raise PublishRefused(
            f"{filename}: version {card.version} of card {card.card} is already published "
            f"with other content (hash {same.content_hash[:12]}, this file "
            f"{card.content_hash[:12]}); published versions never change: give this file a "
            "new version and a later effective_from"
        )
    problems = validate_card(text, filename, published=existing)
    if problems:
        raise PublishRefused("\n".join(str(problem) for problem in problems))
    with engine.begin() as connection:
        connection.execute(
            table.insert().values(
                card=card.card,
                version=card.version,
                effective_from=card.effective_from,
                currency=card.currency,
                content_hash=card.content_hash,
                source=text,
                filename=filename,
                published_by=published_by or _who(),
                change_note=change_note,
                published_at=datetime.now(UTC),
            )
        )
    return PublishResult("published", card.card, card.version, card.content_hash,
                         card.effective_from.isoformat())


def publish_shipped(engine: Engine) -> list[PublishResult]:
    """Publish the cards shipped in ratecards/cards/ (what `billing init` does)."""
    results = []
    files = sorted(shipped_card_files(), key=lambda path: path.name)
    cards = [(load_card(path.read_text(), path.name), path) for path in files]
    for card, path in sorted(cards, key=lambda item: (item[0].card, item[0].effective_from)):
        results.append(
            publish(engine, path.read_text(), path.name, published_by="billing init",
                    change_note=f"shipped card {card.card} {card.version}")
        )
    return results


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001  (no login name in some containers)
        return "unknown"


def card_dict(card: CardVersion) -> dict:
    return {
        "card": card.card, "version": card.version,
        "effective_from": card.effective_from.isoformat(), "currency": card.currency,
        "content_hash": card.content_hash,
        "tiers": {
            name: {
                "description": tier.description, "slo": dict(tier.slo),
                "markup": str(tier.markup), "per_request_fee": str(tier.per_request_fee),
                "price_band_per_request": [str(v) for v in price_band(card, name)],
                "models": {
                    model: {"provider": price.provider, "input": str(price.input),
                            "output": str(price.output), "cached_input": str(price.cached_input),
                            "cache_write_input": str(price.cache_write_input),
                            **({"aliases": list(price.aliases)} if price.aliases else {}),
                            **({"cache_write_1h_input": str(price.cache_write_1h_input)}
                               if price.cache_write_1h_input is not None else {}),
                            **({"web_search_per_1k": str(price.web_search_per_1k)}
                               if price.web_search_per_1k is not None else {})}
                    for model, price in tier.models.items()
                },
            }
            for name, tier in card.tiers.items()
        },
        "volume_discounts": {
            tier: [{"above_tokens": band.above_tokens, "discount": str(band.discount)}
                   for band in sorted(bands, key=lambda band: band.above_tokens)]
            for tier, bands in card.volume_discounts.items()
        },
        "commitments": {
            customer: {"monthly_amount": str(commitment.monthly_amount),
                       "discount": str(commitment.discount),
                       **({"unused": "carry_over",
                           "carry_over_months": commitment.carry_over_months}
                          if commitment.unused == "carry_over" else {})}
            for customer, commitment in card.commitments.items()
        },
        "capacity": {
            model: {"provider": capacity.provider, "tier": capacity.tier,
                    "monthly_cost": str(capacity.monthly_cost), "basis": capacity.basis(),
                    "capacity_tokens": capacity.capacity_tokens, "idle": capacity.idle,
                    "full_use_price_per_million": str(
                        capacity_price(capacity, capacity.capacity_tokens).price_per_million)}
            for model, capacity in card.capacity.items()
        },
    }
