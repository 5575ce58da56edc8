"""Reading a rate-card YAML file: every problem reported with file, line and field.

The YAML is composed into nodes first, so each problem names the line it is on; a price
written as a bare number (which YAML reads as a float) is refused, because prices are exact
decimal strings. Only a file with no problems becomes a `CardVersion`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ratecards.currency import is_currency
from ratecards.schema import (
    IDLE_POLICIES,
    SERVICE_TIERS,
    TIER_NAMES,
    UNUSED_COMMITMENT,
    Capacity,
    CardVersion,
    Commitment,
    ModelPrice,
    Tier,
    TokenPrices,
    VolumeBand,
    content_hash,
)
from ratecards.slo import problem as slo_problem

CARDS_DIR = Path(__file__).parent / "cards"
STR = "tag:yaml.org,2002:str"
TOP_KEYS = ("card", "version", "effective_from", "currency", "tiers", "volume_discounts",
            "commitments", "capacity")
CAPACITY_KEYS = ("provider", "tier", "gpu_hours", "gpu_hour_rate", "fixed_amount",
                 "capacity_tokens", "idle")
TIER_KEYS = ("description", "slo", "markup", "per_request_fee", "models")
PRICE_KEYS = ("provider", "input", "output", "cached_input", "cache_write_input",
              *SERVICE_TIERS, "aliases", "cache_write_1h_input", "web_search_per_1k")
TOKEN_PRICE_KEYS = ("input", "output", "cached_input", "cache_write_input")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
ALIAS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}$")
VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class CardValidationError(ValueError):
    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class _Entries(dict):
    """A YAML mapping's entries, remembering where the mapping starts (for missing keys)."""

    node: Node | None = None


class _Reader:
    def __init__(self, filename: str):
        self.filename = filename
        self.problems: list[Problem] = []

    def problem(self, node: Node | None, where: str, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.problems.append(Problem(self.filename, line, where, message))

    def mapping(self, node: Node, where: str, allowed: Sequence[str] | None = None
                ) -> dict[str, tuple[Node, Node]]:
        result = _Entries()
        result.node = node
        if not isinstance(node, MappingNode):
            self.problem(node, where, "expected a mapping of keys to values")
            return result
        for key, value in node.value:
            name = str(key.value)
            if allowed is not None and name not in allowed:
                self.problem(key, f"{where}.{name}".lstrip("."),
                             f"unknown key; expected one of {', '.join(allowed)}")
                continue
            if name in result:
                self.problem(key, f"{where}.{name}".lstrip("."), "appears twice")
            result[name] = (key, value)
        return result

    def text(self, entries: dict, name: str, where: str, *, required: bool = True) -> str | None:
        if name not in entries:
            if required:
                self.problem(getattr(entries, "node", None), f"{where}.{name}".lstrip("."),
                             "is required")
            return None
        _, node = entries[name]
        if not isinstance(node, ScalarNode) or node.value == "":
            self.problem(node, f"{where}.{name}".lstrip("."), "expected a non-empty value")
            return None
        return str(node.value)

    def decimal(self, entries: dict, name: str, where: str, *, required: bool = True,
                ) -> Decimal | None:
        field = f"{where}.{name}".lstrip(".")
        if name not in entries:
            if required:
                self.problem(getattr(entries, "node", None), field, "is required")
            return None
        _, node = entries[name]
        if not isinstance(node, ScalarNode):
            self.problem(node, field, "expected a decimal string like \"0.15\"")
            return None
        if node.tag != STR or node.style not in ("'", '"'):
            self.problem(node, field, f"{node.value} is written as a number; write it as a "
                                      f"quoted decimal string, \"{node.value}\", so it stays exact")
            return None
        try:
            value = Decimal(node.value)
        except InvalidOperation:
            self.problem(node, field, f"{node.value!r} is not a decimal number")
            return None
        if not value.is_finite():
            self.problem(node, field, f"{node.value!r} is not a finite decimal number")
            return None
        if value < 0:
            self.problem(node, field, f"{node.value!r} is negative; prices, markups and fees "
                                      "are non-negative decimal strings like \"0.15\"")
            return None
        return value


def _effective_from(reader: _Reader, entries: dict) -> date | None:
    if "effective_from" not in entries:
        reader.problem(None, "effective_from", "is required (a date, YYYY-MM-DD)")
        return None
    _, node = entries["effective_from"]
    try:
        return date.fromisoformat(str(node.value))
    except (ValueError, TypeError):
        reader.problem(node, "effective_from", f"{node.value!r} is not a date like 2026-11-01")
        return None


def _service_tiers(reader: _Reader, price: dict, field: str) -> dict[str, TokenPrices]:
    """`batch: {input: "1.25", output: "5.00", cached_input: "0.625"}` and the like: what the
    provider charges in that service tier; cache_write_input defaults to its input."""
    tiers: dict[str, TokenPrices] = {}
    for tier in SERVICE_TIERS:
        if tier not in price:
            continue
        where = f"{field}.{tier}"
        entries = reader.mapping(price[tier][1], where, TOKEN_PRICE_KEYS)
        values = [reader.decimal(entries, key, where, required=key != "cache_write_input")
                  for key in TOKEN_PRICE_KEYS]
        if any(v is None for v in values[:3]):
            continue
        input_price, output, cached, cache_write = values
        tiers[tier] = TokenPrices(input_price, output, cached,  # type: ignore[arg-type]
                                  cache_write if cache_write is not None else input_price)  # type: ignore[arg-type]
    return tiers


def _aliases(reader: _Reader, price: dict, field: str, model: str, seen: dict[str, str]
             ) -> tuple[str, ...]:
    """`aliases: [gpt-4o-mini-2024-07-18, openai/gpt-4o-mini]`: names a source reports this
    model by. A name can price only one model, so it may not be another model or alias."""
    if "aliases" not in price:
        return ()
    node = price["aliases"][1]
    where = f"{field}.aliases"
    if not isinstance(node, SequenceNode):
        reader.problem(node, where, "expected a list of model names, like "
                                    "[gpt-4o-mini-2024-07-18]")
        return ()
    names: list[str] = []
    for item in node.value:
        name = str(getattr(item, "value", ""))
        if not isinstance(item, ScalarNode) or not ALIAS.match(name):
            reader.problem(item, where, f"{name!r} is not a model name (letters, digits and "
                                        ". _ : / @ -, up to 200 characters)")
            continue
        owner = seen.get(f"alias:{name}") or seen.get(name) and f"model {name}"
        if owner or name == model:
            reader.problem(item, where, f"{name!r} already names {owner or 'this model'}; "
                                        "an alias prices one model")
            continue
        seen[f"alias:{name}"] = f"an alias of {model}"
        names.append(name)
    return tuple(names)


def _tier(reader: _Reader, name: str, node: Node, seen: dict[str, str]) -> Tier | None:
    where = f"tiers.{name}"
    entries = reader.mapping(node, where, TIER_KEYS)
    description = reader.text(entries, "description", where) or ""
    slo: dict[str, str] = {}
    if "slo" in entries:
        for key, (_, value) in reader.mapping(entries["slo"][1], f"{where}.slo").items():
            slo[key] = str(value.value)
            found = slo_problem(key, slo[key])
            if found:
                reader.problem(value, f"{where}.slo.{key}", found)
    else:
        reader.problem(node, f"{where}.slo", "is required (p95_latency_ms, availability)")
    markup = reader.decimal(entries, "markup", where)
    fee = reader.decimal(entries, "per_request_fee", where)
    models: dict[str, ModelPrice] = {}
    if "models" not in entries:
        reader.problem(node, f"{where}.models", "is required (may be empty: {})")
    else:
        for model, (key, price_node) in reader.mapping(entries["models"][1],
                                                      f"{where}.models").items():
            field = f"{where}.models.{model}"
            if model in seen:
                reader.problem(key, field, f"model {model!r} is also in tier {seen[model]}; "
                                           "a model belongs to one tier")
                continue
            if f"alias:{model}" in seen:
                reader.problem(key, field, f"model {model!r} is already {seen[f'alias:{model}']}"
                                           "; an alias prices one model")
                continue
            seen[model] = name
            price = reader.mapping(price_node, field, PRICE_KEYS)
            provider = reader.text(price, "provider", field)
            values = [reader.decimal(price, key, field, required=key != "cache_write_input")
                      for key in ("input", "output", "cached_input", "cache_write_input")]
            if provider is None or any(v is None for v in values[:3]):
                continue
            input_price, output, cached, cache_write = values
            models[model] = ModelPrice(provider, input_price, output, cached,  # type: ignore[arg-type]
                                       cache_write if cache_write is not None else input_price,  # type: ignore[arg-type]
                                       _service_tiers(reader, price, field),
                                       _aliases(reader, price, field, model, seen),
                                       reader.decimal(price, "cache_write_1h_input", field,
                                                      required=False),
                                       reader.decimal(price, "web_search_per_1k", field,
                                                      required=False))
    if markup is None or fee is None:
        return None
    return Tier(name, description, slo, markup, fee, models)


def _volume(reader: _Reader, node: Node) -> dict[str, tuple[VolumeBand, ...]]:
    result: dict[str, tuple[VolumeBand, ...]] = {}
    for tier, (key, bands_node) in reader.mapping(node, "volume_discounts").items():
        where = f"volume_discounts.{tier}"
        if tier not in TIER_NAMES:
            reader.problem(key, where, f"unknown tier {tier!r}; tiers are good, better, best")
            continue
        bands = []
        for index, band in enumerate(getattr(bands_node, "value", []) or []):
            entries = reader.mapping(band, f"{where}[{index}]", ("above_tokens", "discount"))
            above = entries.get("above_tokens")
            discount = reader.decimal(entries, "discount", f"{where}[{index}]")
            if above is None or not str(above[1].value).isdigit():
                reader.problem(band, f"{where}[{index}].above_tokens",
                               "expected a whole number of tokens")
                continue
            if discount is not None and discount >= 1:
                reader.problem(band, f"{where}[{index}].discount", "must be below 1 (100%)")
                continue
            if discount is not None:
                bands.append(VolumeBand(int(above[1].value), discount))
        result[tier] = tuple(sorted(bands, key=lambda b: b.above_tokens))
    return result


def _commitments(reader: _Reader, node: Node) -> dict[str, Commitment]:
    result = {}
    for customer, (_, value) in reader.mapping(node, "commitments").items():
        where = f"commitments.{customer}"
        entries = reader.mapping(value, where, ("monthly_amount", "discount", "unused",
                                                "carry_over_months"))
        amount = reader.decimal(entries, "monthly_amount", where)
        discount = reader.decimal(entries, "discount", where)
        unused, months = "expire", 0
        if "unused" in entries:
            unused = str(entries["unused"][1].value)
            if unused not in UNUSED_COMMITMENT:
                reader.problem(entries["unused"][1], f"{where}.unused",
                               f"{unused!r} is not one of {', '.join(UNUSED_COMMITMENT)}")
                continue
        if "carry_over_months" in entries:
            text = str(entries["carry_over_months"][1].value)
            if not text.isdigit() or int(text) < 1:
                reader.problem(entries["carry_over_months"][1], f"{where}.carry_over_months",
                               "expected a whole number of months, 1 or more")
                continue
            months = int(text)
        if (unused == "carry_over") != bool(months):
            reader.problem(value, where, "unused: carry_over needs carry_over_months (how many "
                           "months the unused commitment stays usable), and only it does")
            continue
        if amount is not None and discount is not None:
            result[customer] = Commitment(amount, discount, unused, months)
    return result


def _capacity_entry(reader: _Reader, where: str, value: Node) -> Capacity | None:
    entries = reader.mapping(value, where, CAPACITY_KEYS)
    provider = reader.text(entries, "provider", where)
    tier = reader.text(entries, "tier", where)
    if tier is not None and tier not in TIER_NAMES:
        reader.problem(entries["tier"][1], f"{where}.tier",
                       f"unknown tier {tier!r}; tiers are good, better, best")
        tier = None
    idle = reader.text(entries, "idle", where)
    if idle is not None and idle not in IDLE_POLICIES:
        reader.problem(entries["idle"][1], f"{where}.idle",
                       "expected charged (idle capacity shared by the users pro rata) or "
                       "central (held as a central overhead)")
        idle = None
    tokens = entries.get("capacity_tokens")
    if tokens is None or not str(tokens[1].value).isdigit() or int(tokens[1].value) == 0:
        reader.problem(tokens[1] if tokens else entries.node, f"{where}.capacity_tokens",
                       "expected a whole number of tokens above 0: what the capacity serves "
                       "in a month at full use")
        return None
    hours = reader.decimal(entries, "gpu_hours", where, required=False)
    rate = reader.decimal(entries, "gpu_hour_rate", where, required=False)
    fixed = reader.decimal(entries, "fixed_amount", where, required=False)
    if (hours is None) != (rate is None) or (fixed is None) == (hours is None):
        reader.problem(entries.node, where, "give either gpu_hours with gpu_hour_rate, or "
                                            "fixed_amount (the monthly cost)")
        return None
    if None in (provider, tier, idle):
        return None
    cost = fixed if fixed is not None else hours * rate  # type: ignore[operator]
    return Capacity(provider, tier, cost, int(tokens[1].value), idle,  # type: ignore[arg-type]
                    hours, rate)


def _capacity(reader: _Reader, node: Node, seen: dict[str, str]) -> dict[str, Capacity]:
    result = {}
    for model, (key, value) in reader.mapping(node, "capacity").items():
        where = f"capacity.{model}"
        if model in seen:
            reader.problem(key, where, f"{model} is already priced in tier {seen[model]}; a "
                                       "model is priced by a tier or by capacity, not both")
            continue
        found = _capacity_entry(reader, where, value)
        if found is not None:
            result[model] = found
    return result


def _read(text: str, filename: str) -> tuple[CardVersion | None, list[Problem]]:
    reader = _Reader(filename)
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return None, [Problem(filename, line, "(file)", f"not valid YAML: {exc}")]
    if root is None:
        return None, [Problem(filename, 1, "(file)", "the file is empty")]
    top = reader.mapping(root, "", TOP_KEYS)
    card = reader.text(top, "card", "")
    if card is not None and not NAME.match(card):
        reader.problem(top["card"][1], "card", "use lowercase letters, digits, '.', '_', '-'")
    version = reader.text(top, "version", "")
    if version is not None and not VERSION.match(version):
        reader.problem(top["version"][1], "version",
                       f"{version!r} is not a version name like \"2026-11\"")
    effective = _effective_from(reader, top)
    currency = reader.text(top, "currency", "")
    if currency is not None and not is_currency(currency):
        reader.problem(top["currency"][1], "currency",
                       f"{currency!r} is not an ISO 4217 currency code such as USD or EUR")
    tiers: dict[str, Tier] = {}
    seen: dict[str, str] = {}
    if "tiers" not in top:
        reader.problem(root, "tiers", "is required: good, better and best")
    else:
        for name, (key, node) in reader.mapping(top["tiers"][1], "tiers").items():
            if name not in TIER_NAMES:
                reader.problem(key, f"tiers.{name}",
                               f"unknown tier {name!r}; tiers are good, better and best")
                continue
            tier = _tier(reader, name, node, seen)
            if tier is not None:
                tiers[name] = tier
    volume = _volume(reader, top["volume_discounts"][1]) if "volume_discounts" in top else {}
    commitments = _commitments(reader, top["commitments"][1]) if "commitments" in top else {}
    capacity = _capacity(reader, top["capacity"][1], seen) if "capacity" in top else {}
    if reader.problems or None in (card, version, effective, currency):
        return None, reader.problems
    result = CardVersion(card, version, effective, currency,  # type: ignore[arg-type]
                         {name: tiers[name] for name in TIER_NAMES if name in tiers},
                         volume, commitments, capacity=capacity)
    return replace(result, content_hash=content_hash(result)), []


def validate_card(text: str, filename: str, *, published: Sequence[CardVersion] = ()
                  ) -> list[Problem]:
    """Every problem in a card file, including one that conflicts with published versions."""
    card, problems = _read(text, filename)
    if card is None:
        return problems
    others = [v for v in published if v.card == card.card and v.version != card.version]
    if others:
        in_force = max(others, key=lambda v: v.effective_from)
        if card.effective_from < in_force.effective_from:
            line = next((n + 1 for n, t in enumerate(text.splitlines())
                         if t.startswith("effective_from")), 1)
            problems.append(Problem(
                filename, line, "effective_from",
                f"{card.effective_from} is earlier than {card.card}@{in_force.version}, in force "
                f"from {in_force.effective_from}; a new version takes effect after the one in "
                "force",
            ))
    return problems


def load_card(text: str, filename: str) -> CardVersion:
    card, problems = _read(text, filename)
    if card is None:
        raise CardValidationError(problems)
    return card


def shipped_card_files() -> list[Path]:
    return sorted(CARDS_DIR.glob("*.yaml"))
