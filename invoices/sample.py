"""Sample documents: one of each type, for eyeballing the layout, the demo and the benchmark.

``python -m invoices.sample OUTDIR`` writes a showback statement, an invoice (de_DE, EUR, VAT
19 %), a yen invoice (ja_JP, JPY) and a credit note, each as PDF with its JSON twin beside it.
``python -m invoices.sample OUTDIR --bench N`` also times rendering N statements. The data is
made up but priced the way the engine prices: tokens x price per million, rounded once per line.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from invoices.documents import (
    ChargebackInvoice,
    CreditNote,
    InvoiceLine,
    OutcomeSummary,
    OverheadShare,
    Party,
    Recommendation,
    ShowbackStatement,
    StatementLine,
)
from invoices.json_twin import to_json
from invoices.money import round_half_up
from invoices.pdf import render_credit_note, render_invoice, render_statement

MILLION = Decimal(1_000_000)
ISSUER = Party("Acme Platform GmbH", ("Finance, AI Platform", "Friedrichstraße 123",
                                      "10117 Berlin", "Germany"),
               email="billing@acme.example", tax_id="DE123456789", locale="de_DE",
               tax_id_type="eu_vat")
CUSTOMER = Party("Société Générale d'Électronique SA", ("Service comptabilité",
                                                         "12 rue de l'École", "75005 Paris",
                                                         "France"),
                 email="factures@sge.example", tax_id="FR40303265045", locale="fr_FR",
                 tax_id_type="eu_vat")
MODELS = (("gpt-4o-mini", "good", "0.165", "0.66", "0.0825"),
          ("claude-3-5-haiku", "good", "0.88", "4.40", "0.088"),
          ("gpt-4o", "better", "2.75", "11.00", "1.375"),
          ("claude-sonnet-4", "better", "3.30", "16.50", "0.33"),
          ("o3", "best", "11.00", "44.00", "2.75"))
USE_CASES = ("support copilot", "contract extraction", "search answers", "sales email drafts",
             "code review bot", "invoice matching")
ENVIRONMENTS = ("production",) * 6 + ("staging", "development", "test")


def _in(currency: str, usd: str) -> Decimal:
    """A made-up price in USD, in yen at 150 for the JPY samples."""
    return Decimal(usd) * (150 if currency == "JPY" else 1)


def _priced(rng: random.Random, currency: str) -> tuple[int, int, int, int, str, str, Decimal]:
    model, tier, price_in, price_out, price_cached = rng.choice(MODELS)
    requests = rng.randint(50, 60_000)
    tokens_in = requests * rng.randint(200, 3_000)
    tokens_out = requests * rng.randint(50, 800)
    cached = requests * rng.randint(0, 1_500)
    cost = (tokens_in * _in(currency, price_in) + tokens_out * _in(currency, price_out)
            + cached * _in(currency, price_cached)) / MILLION
    return requests, tokens_in, tokens_out, cached, model, tier, round_half_up(cost, currency)


def sample_statement(lines: int = 40, *, locale: str = "en_US", currency: str = "USD",
                     seed: int = 7) -> ShowbackStatement:
    """A made-up team statement with `lines` usage lines (set it high to span pages)."""
    rng = random.Random(seed)
    statement_lines = []
    for n in range(lines):
        requests, tokens_in, tokens_out, cached, model, tier, amount = _priced(rng, currency)
        statement_lines.append(StatementLine(
            use_case=None if n % 37 == 36 else USE_CASES[n % len(USE_CASES)], model=model,
            tier=tier, environment=ENVIRONMENTS[n % len(ENVIRONMENTS)], requests=requests,
            input_tokens=tokens_in, output_tokens=tokens_out, cached_input_tokens=cached,
            amount=amount))
    usage = sum((line.amount for line in statement_lines), Decimal(0))
    overhead = (OverheadShare("observability", "spend", "charged",
                              round_half_up(usage / 20, currency)),
                OverheadShare("safety review", "requests", "charged", _in(currency, "850")),
                OverheadShare("platform engineering", "shares", "central",
                              _in(currency, "4200")))
    production = [line for line in statement_lines if line.environment == "production"]
    outcomes = tuple(
        OutcomeSummary(use_case, accepted, total, sum(
            (line.amount for line in production if line.use_case == use_case), Decimal(0)))
        for use_case, accepted, total in (("support copilot", 18_402, 21_950),
                                          ("contract extraction", 1_204, 1_380),
                                          ("sales email drafts", 0, 312))
    )
    total = usage + overhead[0].amount + overhead[1].amount
    last_month = round_half_up(total * Decimal("0.87"), currency)
    volume = round_half_up((total - last_month) * Decimal("0.7"), currency)
    price = round_half_up((total - last_month) * Decimal("0.2"), currency)
    return ShowbackStatement(
        statement_number="SB-2026-10-SUPPORT", team="support", period="2026-10", issuer=ISSUER,
        locale=locale, currency=currency,
        generated_at=datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
        card_versions=("internal@2026-09", "internal@2026-10"), lines=tuple(statement_lines),
        overhead=overhead, outcomes=outcomes,
        changes=("Rate card internal@2026-10 in force from 2026-10-15 (gpt-4o output -8 %)",
                 "New model in use: claude-sonnet-4 (better tier)",
                 "Budget raised from 40,000 to 45,000 on 2026-10-01"),
        budget=round_half_up(total * Decimal("0.92"), currency), last_month_total=last_month,
        volume_effect=volume, price_effect=price,
        recommendation=Recommendation(
            "adjust", "over budget by more than 5 % while pass rate is above 80 %: "
                      "raise the budget or move routine work to the good tier"),
    )


def sample_invoice(lines: int = 12, *, locale: str = "de_DE", currency: str = "EUR",
                   seed: int = 11, tax_rate: Decimal = Decimal("0.19")) -> ChargebackInvoice:
    """A made-up customer invoice with usage lines, a fee and a prior-period adjustment."""
    rng = random.Random(seed)
    invoice_lines = []
    for _ in range(lines):
        model, _tier, price_in, price_out, _cached = rng.choice(MODELS)
        side, price = rng.choice((("input", price_in), ("output", price_out)))
        millions = Decimal(rng.randint(1_000, 90_000_000)) / MILLION
        unit_price = _in(currency, price)
        invoice_lines.append(InvoiceLine(
            f"{model} {side} tokens", millions, unit_price,
            round_half_up(millions * unit_price, currency)))
    fee = _in(currency, "0.0002")
    invoice_lines.append(InvoiceLine("Per-request fee", Decimal(48_210), fee,
                                     round_half_up(48_210 * fee, currency), kind="fee",
                                     unit="requests"))
    late = Decimal("1.250000")
    invoice_lines.append(InvoiceLine("gpt-4o output tokens, late usage", late,
                                     _in(currency, "11.00"),
                                     round_half_up(late * _in(currency, "11.00"), currency),
                                     kind="prior_period_adjustment", service_period="2026-09"))
    return ChargebackInvoice(
        invoice_number="INV-2026-10-0001", issuer=ISSUER, bill_to=CUSTOMER, period="2026-10",
        issue_date=date(2026, 11, 2), due_date=date(2026, 12, 2), currency=currency,
        locale=locale, lines=tuple(invoice_lines), tax_rate=tax_rate, tax_label="VAT",
        card_versions=("external@2026-10",),
        notes=("Payment terms: 30 days net. Bank transfer to IBAN DE89 3704 0044 0532 0130 00, "
               "quoting the invoice number.",))


def sample_credit_note(*, locale: str = "fr_FR", currency: str = "EUR") -> CreditNote:
    """A made-up credit note correcting part of the sample invoice."""
    return CreditNote(
        credit_note_number="CN-2026-11-0001", invoice_number="INV-2026-10-0001",
        issuer=ISSUER, bill_to=CUSTOMER, period="2026-10", issue_date=date(2026, 11, 20),
        currency=currency, locale=locale,
        reason="Duplicate metering of 2026-10-14 batch job (events replayed twice)",
        lines=(InvoiceLine("gpt-4o input tokens, duplicated batch", Decimal("3.200000"),
                           Decimal("2.75"), Decimal("8.80")),
               InvoiceLine("gpt-4o output tokens, duplicated batch", Decimal("0.850000"),
                           Decimal("11.00"), Decimal("9.35"))),
        tax_rate=Decimal("0.19"), tax_label="VAT")


def write(document: ShowbackStatement | ChargebackInvoice | CreditNote, path: Path) -> Path:
    """Render a document to path and write its JSON twin beside it (same name, .json)."""
    if isinstance(document, ShowbackStatement):
        render_statement(document, path)
    elif isinstance(document, ChargebackInvoice):
        render_invoice(document, path)
    else:
        render_credit_note(document, path)
    path.with_suffix(".json").write_text(json.dumps(to_json(document), indent=2,
                                                    ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_samples(outdir: Path) -> list[Path]:
    """One of each document type (and a yen invoice) in outdir; returns the PDF paths."""
    outdir.mkdir(parents=True, exist_ok=True)
    return [
        write(sample_statement(300), outdir / "statement-support-2026-10.pdf"),
        write(sample_invoice(), outdir / "invoice-INV-2026-10-0001.pdf"),
        write(sample_invoice(8, locale="ja_JP", currency="JPY", tax_rate=Decimal("0.10")),
              outdir / "invoice-jpy.pdf"),
        write(sample_credit_note(), outdir / "credit-note-CN-2026-11-0001.pdf"),
    ]


@dataclass(frozen=True)
class Timing:
    documents: int
    lines_each: int
    seconds: float

    @property
    def per_document_ms(self) -> float:
        return 1000 * self.seconds / self.documents if self.documents else 0.0


def time_rendering(count: int, outdir: Path, *, lines: int = 40) -> Timing:
    """Render `count` statements of `lines` lines into outdir and time it (for the benchmark)."""
    outdir.mkdir(parents=True, exist_ok=True)
    statements = [sample_statement(lines, seed=n) for n in range(count)]
    start = time.perf_counter()
    for n, statement in enumerate(statements):
        render_statement(statement, outdir / f"bench-{n:05d}.pdf")
    return Timing(count, lines, time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m invoices.sample", description=__doc__)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--bench", type=int, default=0, metavar="N",
                        help="also time rendering N 40-line statements")
    args = parser.parse_args(argv)
    for path in write_samples(args.outdir):
        print(path)
    if args.bench:
        timing = time_rendering(args.bench, args.outdir / "bench")
        print(f"rendered {timing.documents} statements of {timing.lines_each} lines in "
              f"{timing.seconds:.2f} s ({timing.per_document_ms:.1f} ms each)")


if __name__ == "__main__":
    main()
