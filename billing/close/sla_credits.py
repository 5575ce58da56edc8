"""SLA credits: when a tier breaches its service levels for an external customer, a credit is
proposed, and finance approves it into a credit note. Never issued on its own: a breach
measured from events a gateway reported is evidence, and money moves only on a person's word.

The rule is data on the customer's card: `sla_credit_pct` in the tier's slo block, the
percent of what the tier was billed in the period credited per breached item (capped at the
whole charge); a card without it offers no credit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select, update

from billing.budgets.slo import TierAttainment, card_for, period_attainment
from billing.close.chargeback import customer_charges
from billing.close.credit_notes import CreditRefused, issue_credit_note
from billing.config import Settings
from billing.db import write_transaction
from billing.models import Document, RatedLine, SlaProposal
from billing.money import round_line
from ratecards.slo import credit_percent

proposals = SlaProposal.__table__
documents = Document.__table__
rated = RatedLine.__table__


class ProposalNotFound(LookupError):
    pass


def sla_credit(charge: Decimal, credit_pct: Decimal, breached: int, currency: str) -> Decimal:
    """credit_pct of the charge per breached item, at most the charge, rounded once."""
    share = min(credit_pct * breached, Decimal(100))
    return round_line(charge * share / 100, currency)


@dataclass
class ProposalResult:
    """What `propose` did: new proposals, unchanged ones, and customers it skipped and why."""

    period: str
    proposed: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "proposed": self.proposed, "unchanged": self.unchanged,
                "skipped": self.skipped}


def _candidates(found: list[TierAttainment], pct_of: dict[str, Decimal | None],
                customer: str, skipped: list[str]) -> list[TierAttainment]:
    """The breached tiers whose card offers a credit; the others are noted as skipped."""
    chosen = []
    for item in found:
        if item.breached and pct_of.get(item.tier):
            chosen.append(item)
        elif item.breached:
            skipped.append(f"{customer} {item.tier}: missed "
                           f"{', '.join(i.name for i in item.breached)}, but card {item.card} "
                           "offers no SLA credit (no sla_credit_pct in the tier's slo)")
    return chosen


def propose(engine: Engine, period: str, *, now: datetime | None = None) -> ProposalResult:
    """Measure each customer's tiers in the period and record a proposal per breached tier
    whose card offers a credit; a tier already proposed (or approved) is left as it is."""
    now = now or datetime.now(UTC)
    result = ProposalResult(period)
    with write_transaction(engine) as connection:
        customers = connection.execute(
            select(rated.c.customer).distinct().where(
                rated.c.period == period, rated.c.view == "chargeback",
                rated.c.customer.is_not(None)).order_by(rated.c.customer)).scalars().all()
        charges = customer_charges(connection, period, contracts=False) if customers else {}
        for customer in customers:
            card = card_for(connection, period, customer=customer)
            if card is None:
                continue
            pct_of = {tier: credit_percent(spec.slo) for tier, spec in card.tiers.items()}
            breached = _candidates(period_attainment(connection, period, customer=customer),
                                   pct_of, customer, result.skipped)
            charge = charges.get(customer)
            for found in breached:
                tier_charge = charge.tiers.get(found.tier) if charge else None
                if tier_charge is None or tier_charge.amount <= 0:
                    result.skipped.append(f"{customer} {found.tier}: breached, but nothing "
                                          "was billed for the tier")
                    continue
                exists = connection.execute(select(proposals.c.id).where(
                    proposals.c.period == period, proposals.c.customer == customer,
                    proposals.c.tier == found.tier)).first()
                if exists is not None:
                    result.unchanged += 1
                    continue
                pct = pct_of[found.tier]
                assert pct is not None
                values = {
                    "period": period, "customer": customer, "tier": found.tier,
                    "card": found.card or "", "breached": json.dumps(
                        [item.__dict__ for item in found.breached]),
                    "charge": tier_charge.amount, "credit_pct": pct,
                    "amount": sla_credit(tier_charge.amount, pct, len(found.breached),
                                         charge.currency),
                    "currency": charge.currency, "status": "proposed", "proposed_at": now}
                new_id = connection.execute(proposals.insert().values(**values)
                                            .returning(proposals.c.id)).scalar_one()
                result.proposed.append(_summary({**values, "id": new_id}))
    return result


def _summary(row: Any) -> dict[str, Any]:
    row = dict(row)
    return {"id": row["id"], "period": row["period"], "customer": row["customer"],
            "tier": row["tier"], "card": row["card"], "breached": json.loads(row["breached"]),
            "charge": str(row["charge"]), "credit_pct": str(row["credit_pct"]),
            "amount": str(row["amount"]), "currency": row["currency"],
            "status": row["status"], "credit_note": row.get("credit_note")}


def list_proposals(engine: Engine, period: str | None = None) -> list[dict[str, Any]]:
    query = select(proposals).order_by(proposals.c.period, proposals.c.customer,
                                       proposals.c.tier)
    if period is not None:
        query = query.where(proposals.c.period == period)
    with engine.connect() as connection:
        return [_summary(row) for row in connection.execute(query).mappings()]


def approve(engine: Engine, config: Settings, proposal_id: int, *,
            now: datetime | None = None) -> dict[str, Any]:
    """Finance's approval: a credit note for the proposal's amount against the customer's
    invoice of the period; approving twice issues nothing more."""
    with engine.connect() as connection:
        row = connection.execute(select(proposals).where(proposals.c.id == proposal_id)
                                 ).mappings().first() if 0 < proposal_id < 2**31 else None
        if row is None:
            raise ProposalNotFound(f"no SLA credit proposal {proposal_id}; list them with "
                                   "`billing sla proposals --period YYYY-MM`")
        if row["status"] == "approved":
            return {**_summary(row), "issued": False}
        invoice = connection.execute(select(documents.c.number, documents.c.currency).where(
            documents.c.kind == "invoice", documents.c.subject == row["customer"],
            documents.c.period == row["period"])).first()
    if invoice is None:
        raise CreditRefused(f"{row['customer']} has no invoice for {row['period']} yet: close "
                            f"the period (`billing close --period {row['period']}`), then "
                            "approve the credit against its invoice")
    if invoice.currency != row["currency"]:
        raise CreditRefused(f"the credit is in {row['currency']} but {invoice.number} is in "
                            f"{invoice.currency}; issue it with `billing credit-note` in the "
                            "invoice's currency")
    items = ", ".join(item["name"] for item in json.loads(row["breached"]))
    reason = (f"SLA credit: {row['tier']} tier missed {items} in {row['period']} "
              f"({row['credit_pct']}% of {row['charge']} {row['currency']} per item)")
    note = issue_credit_note(engine, config, invoice.number, str(row["amount"]), reason,
                             now=now)
    with write_transaction(engine) as connection:
        connection.execute(update(proposals).where(proposals.c.id == proposal_id).values(
            status="approved", approved_at=now or datetime.now(UTC), credit_note=note["number"]))
    return {**_summary({**row, "status": "approved", "credit_note": note["number"]}),
            "issued": True, "credit_note_total": note["total"]}
