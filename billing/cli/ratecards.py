"""Rate-card commands: list, show, validate, publish, diff, and quote."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table

from billing.cli.console import (
    JSON_OPTION,
    emit_json,
    exact,
    fail,
    out,
    print_table,
    ready_engine,
    settings,
    user,
)
from billing.close.contract_terms import percent_text
from billing.rating.card_registry import (
    PublishRefused,
    UnknownCard,
    card_dict,
    get_version,
    publication,
    publish,
    published_versions,
)
from billing.rating.quote import QuoteResult, in_billing_zone, quote_at, read_at
from ratecards import (
    PER_CALL,
    TOTAL,
    CardValidationError,
    CardVersion,
    NoVersionInForce,
    UnpricedModel,
    capacity_price,
    diff_versions,
    load_card,
    price_band,
    validate_card,
)

cards_app = typer.Typer(help="Versioned good/better/best rate cards.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(cards_app, name="ratecards")
    app.command("quote")(quote_command)


def _split(ref: str) -> tuple[str, str | None]:
    card, _, version = ref.partition("@")
    return card, version or None


def _resolve(engine, ref: str) -> CardVersion:  # noqa: ANN001
    card, version = _split(ref)
    try:
        return get_version(engine, card, version)
    except UnknownCard as exc:
        fail(str(exc), code=2)


@cards_app.command("list")
def list_command(as_json: bool = JSON_OPTION) -> None:
    """Published card versions, with when they take effect and their hash."""
    engine = ready_engine(settings())
    versions = published_versions(engine)
    rows = []
    for card in versions:
        meta = publication(engine, card.card, card.version)
        rows.append({"card": card.card, "version": card.version,
                     "effective_from": card.effective_from.isoformat(),
                     "currency": card.currency, "content_hash": card.content_hash,
                     "published_by": meta["published_by"],
                     "published_at": meta["published_at"].isoformat(),
                     "change_note": meta["change_note"]})
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print("No rate cards published yet: run `billing init`.")
        return
    table = Table(title="Published rate card versions", title_justify="left")
    for name in ("card", "version", "effective from", "currency", "hash", "published by",
                 "note"):
        table.add_column(name)
    for row in rows:
        table.add_row(row["card"], row["version"], row["effective_from"], row["currency"],
                      row["content_hash"][:12], row["published_by"], row["change_note"])
    print_table(table, wrap=("note",), optional=("published by",))


@cards_app.command("show")
def show_command(
    ref: str = typer.Argument(..., help="CARD or CARD@VERSION (default: the newest version)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """One card version: tiers with SLO, markup, fee, price band per request and model prices."""
    card = _resolve(ready_engine(settings()), ref)
    if as_json:
        emit_json(card_dict(card))
        return
    out.print(f"[bold]{user(card.card)}@{user(card.version)}[/], effective {card.effective_from}, "
              f"{card.currency}, hash {card.content_hash[:12]}")
    for name, tier in card.tiers.items():
        low, high = price_band(card, name)
        slo = ", ".join(f"{k} {v}" for k, v in tier.slo.items())
        out.print(f"\n[bold]{name}[/]: {user(tier.description)}\n  SLO: {slo}; markup "
                  f"{tier.markup * 100:g}%; per-request fee {tier.per_request_fee} "
                  f"{card.currency}; price per request {low}..{high} {card.currency} "
                  "(1,000 input + 500 output tokens)", highlight=False)
        table = Table(show_header=True, box=None, padding=(0, 2))
        for column in ("model", "provider", "input /M", "output /M", "cached /M"):
            table.add_column(column, justify="left" if column in ("model", "provider")
                             else "right")
        for model, price in tier.models.items():
            table.add_row(model, price.provider, str(price.input), str(price.output),
                          str(price.cached_input))
        print_table(table)
        for model, price in tier.models.items():
            if price.aliases:
                out.print(f"  {model} is also reported as: {', '.join(price.aliases)}",
                          highlight=False, markup=False)
    _print_contracts(card)


def _print_contracts(card: CardVersion) -> None:
    """The contract terms the close puts on invoices (billing/close/contract_terms.py)."""
    if card.volume_discounts:
        out.print("\n[bold]Volume discounts[/] (graduated on the period's tokens per tier)")
        for tier, bands in card.volume_discounts.items():
            steps = ", ".join(f"{percent_text(band.discount)} above {band.above_tokens:,} tokens"
                              for band in sorted(bands, key=lambda band: band.above_tokens))
            out.print(f"  {tier}: {steps}", highlight=False)
    if card.commitments:
        out.print("\n[bold]Commitments[/] (monthly minimum; a month below it is trued up)")
        for customer, commitment in card.commitments.items():
            out.print(f"  {user(customer)}: {commitment.monthly_amount} {card.currency} a month "
                      f"at {percent_text(commitment.discount)} off; unused: "
                      + (f"carried over {commitment.carry_over_months} months"
                         if commitment.unused == "carry_over" else "expires"), highlight=False)
    _print_capacity(card)


def _print_capacity(card: CardVersion) -> None:
    """Self-hosted models priced by their capacity (ratecards/capacity.py)."""
    if not card.capacity:
        return
    out.print("\n[bold]Capacity[/] (self-hosted: monthly cost / tokens served that period = "
              "price per million tokens, input, output and cached alike; provisional until the "
              "period closes)")
    table = Table(show_header=True, box=None, padding=(0, 2))
    for column in ("model", "tier", "monthly cost", "basis", "capacity tokens", "full-use /M",
                   "idle capacity"):
        table.add_column(column, justify="right" if column in (
            "monthly cost", "capacity tokens", "full-use /M") else "left")
    for model, capacity in card.capacity.items():
        full = capacity_price(capacity, capacity.capacity_tokens).price_per_million
        table.add_row(model, capacity.tier, f"{capacity.monthly_cost} {card.currency}",
                      capacity.basis(), f"{capacity.capacity_tokens:,}",
                      str(full.quantize(Decimal("0.0001"))),
                      "charged to users pro rata" if capacity.idle == "charged"
                      else "held centrally (overhead)")
    print_table(table)


@cards_app.command("validate")
def validate_command(
    file: Path = typer.Argument(..., help="A rate card YAML file."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check a card file; every problem is listed with file, line and field."""
    if not file.is_file():
        fail(f"{file}: no such file", code=2)
    text = file.read_text(encoding="utf-8")
    published: list[CardVersion] = []
    try:
        card = load_card(text, file.name)
        engine = ready_engine(settings())
        published = published_versions(engine, card.card)
    except CardValidationError:
        pass
    except typer.Exit:
        published = []
    problems = validate_card(text, file.name, published=published)
    if as_json:
        emit_json({"file": str(file), "valid": not problems,
                   "problems": [{"file": p.file, "line": p.line, "field": p.field,
                                 "message": p.message} for p in problems]})
    elif problems:
        for problem in problems:
            out.print(str(problem), highlight=False, markup=False)
        out.print(f"{len(problems)} problem(s) in {user(file)}.")
    else:
        out.print(f"{user(file)}: valid.")
    if problems:
        raise typer.Exit(1)


@cards_app.command("publish")
def publish_command(
    file: Path = typer.Argument(..., help="A rate card YAML file."),
    note: str = typer.Option("", "--note", "-m", help="Why this version (the change note)."),
    by: str = typer.Option(None, "--by", help="Who publishes (default: your login name)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Publish a card version. Same file again: no-op. Other file, same version: refused."""
    if not file.is_file():
        fail(f"{file}: no such file", code=2)
    engine = ready_engine(settings())
    try:
        result = publish(engine, file.read_text(encoding="utf-8"), file.name,
                         published_by=by, change_note=note)
    except CardValidationError as exc:
        fail(f"{file} is not a valid rate card:\n{exc}",
             f"run `billing ratecards validate {file}`", code=1)
    except PublishRefused as exc:
        fail(str(exc), code=1)
    if as_json:
        emit_json(result.to_dict())
    elif result.status == "unchanged":
        out.print(f"{user(result.card)}@{user(result.version)} is already published "
                  "with this content: nothing to do.")
    else:
        out.print(f"Published {user(result.card)}@{user(result.version)}, effective "
                  f"{result.effective_from}, hash {result.content_hash[:12]}.")


@cards_app.command("diff")
def diff_command(
    a: str = typer.Argument(..., help="CARD@VERSION, the old one."),
    b: str = typer.Argument(..., help="CARD@VERSION, the new one."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Prices added, removed and changed between two versions, with percent change."""
    engine = ready_engine(settings())
    changes = diff_versions(_resolve(engine, a), _resolve(engine, b))
    rows = [{"kind": c.kind, "tier": c.tier, "model": c.model, "field": c.field,
             "old": None if c.old is None else str(c.old),
             "new": None if c.new is None else str(c.new),
             "pct_change": None if c.pct_change is None else str(c.pct_change)}
            for c in changes]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        out.print(f"{user(a)} and {user(b)} have the same prices.")
        return
    table = Table(title=f"{a} -> {b}", title_justify="left")
    for name in ("change", "tier", "model", "field", "old", "new", "% change"):
        table.add_column(name, justify="right" if name in ("old", "new", "% change") else "left")
    for row in rows:
        pct = "" if row["pct_change"] is None else f"{Decimal(row['pct_change']):+.2f}%"
        table.add_row(row["kind"], row["tier"], row["model"] or "", row["field"],
                      row["old"] or "", row["new"] or "", pct)
    print_table(table)


def quote_command(
    model: str = typer.Option(..., "--model", help="The model.", show_default=False),
    input_tokens: int = typer.Option(..., "--input", min=0, help="Input tokens (not cached).",
                                     show_default=False),
    output_tokens: int = typer.Option(..., "--output", min=0, help="Output tokens.",
                                      show_default=False),
    cached: int = typer.Option(0, "--cached", min=0, help="Cached input tokens (cache reads)."),
    cache_write: int = typer.Option(0, "--cache-write", min=0,
                                    help="Input tokens written to the provider's cache."),
    requests: int = typer.Option(1, "--requests", min=1, help="Number of requests."),
    per_call: bool = typer.Option(False, "--per-call", help="The token counts describe one "
                                  "call, made --requests times (default: they are totals over "
                                  "all the requests, as in a usage event)."),
    card_name: str = typer.Option(None, "--card", help="Card name (default: the team card)."),
    tier: str = typer.Option(None, "--tier", help="Tier (default: the card's tier for the model)."),
    at: str = typer.Option(None, "--at", help="Price as of this instant: an RFC 3339 timestamp "
                           "(its offset is kept, as POST /v1/quote does) or a date YYYY-MM-DD "
                           "(midnight in the billing time zone). Default: now."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Price hypothetical usage: provider cost, markup, per-request fee, internal price."""
    config = settings()
    engine = ready_engine(config)
    try:
        when = datetime.now(UTC) if at is None else in_billing_zone(read_at(at), config.zone)
    except ValueError as exc:
        fail(f"--{exc}", code=2)
    try:
        result = quote_at(engine, card_name or config.team_card, model, at=when,
                          timezone=config.timezone, tier=tier, input_tokens=input_tokens,
                          output_tokens=output_tokens, cached_input_tokens=cached,
                          cache_write_input_tokens=cache_write, requests=requests,
                          tokens=PER_CALL if per_call else TOTAL)
    except UnknownCard as exc:
        fail(str(exc), code=2)
    except NoVersionInForce as exc:
        fail(str(exc), code=1)
    except UnpricedModel as exc:
        fail(str(exc), "see `billing ratecards show CARD` for the models each tier prices",
             code=1)
    if as_json:
        emit_json(result.to_dict())
        return
    print_quote(result)


def print_quote(result: QuoteResult) -> None:
    """The quote for people: what was priced, on which version, and the exact amounts."""
    price = result.price
    out.print(f"{user(price.model)} on {user(price.card)}@{user(price.version)} (in force from "
              f"{result.effective_from}), tier {price.tier}, {price.currency}", highlight=False)
    counts = [f"{price.input_tokens:,} input", f"{price.output_tokens:,} output"]
    if price.cached_input_tokens:
        counts.append(f"{price.cached_input_tokens:,} cached")
    if price.cache_write_input_tokens:
        counts.append(f"{price.cache_write_input_tokens:,} cache-write")
    if price.requests == 1:
        basis = "1 request"
    elif price.tokens == PER_CALL:
        basis = f"per call x {price.requests:,} requests"
    else:
        basis = f"in total over {price.requests:,} requests"
    rows = [("at", result.at.isoformat(timespec="seconds")),
            ("tokens", " + ".join(counts)), ("", basis)]
    rows += [(label, exact(amount, price.currency)) for label, amount in (
        ("provider cost", price.provider_cost), ("markup", price.markup_amount),
        ("per-request fees", price.request_fees), ("internal price", price.internal_price))]
    for label, value in rows:
        out.print(f"  {label:<17} {value}", highlight=False)
