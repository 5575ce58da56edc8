"""Credit a customer holds, and the invoices that draw it down.

Two sources, one ledger: prepaid credit finance grants (`billing credits grant`), and the
unused part of a commitment the card carries over (its shortfall was paid as a true-up, so it
is the customer's money). Grants are drawn in order of expiry, oldest grant first on a tie,
each drawdown a line of its invoice; a grant pays only invoices in its own currency, never
after it expires. The balance is always the grant less its drawdowns, computed when read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from billing.db import write_transaction
from billing.models import CreditDrawdown, CreditGrant, Document
from billing.money import minor_unit, round_line
from billing.period import Period
from invoices.contract_labels import contract_labels
from invoices.documents import InvoiceLine
from invoices.formatting import format_date, format_money
from invoices.labels import language
from ratecards import is_currency

grants = CreditGrant.__table__
drawdowns = CreditDrawdown.__table__
ONE = Decimal(1)


class CreditRefused(ValueError):
    pass


@dataclass(frozen=True)
class Available:
    """What is left of one grant for an invoice."""

    grant_id: int
    balance: Decimal
    expires_on: date
    origin_period: str | None = None


def available(connection: Connection, customer: str, currency: str, period: str, source: str,
              ) -> list[Available]:
    """The grants of `source` an invoice of `period` may draw, in the order it draws them.

    Carry-over counts only drawdowns of earlier periods and grants of earlier months, so a
    closed period's contract lines compute the same again after later months used more."""
    start = Period.parse(period).first_day
    query = select(grants.c.id, grants.c.amount, grants.c.expires_on,
                   grants.c.origin_period).where(
        grants.c.customer == customer, grants.c.currency == currency,
        grants.c.source == source, grants.c.expires_on >= start)
    drawn = select(drawdowns.c.grant_id, drawdowns.c.amount)
    if source == "carry_over":
        query = query.where(grants.c.origin_period < period)
        drawn = drawn.where(drawdowns.c.period < period)
    rows = connection.execute(query).all()
    used: dict[int, Decimal] = {}
    for grant_id, amount in connection.execute(
            drawn.where(drawdowns.c.grant_id.in_([row.id for row in rows]))):
        used[grant_id] = used.get(grant_id, Decimal(0)) + Decimal(amount)
    found = [Available(row.id, Decimal(row.amount) - used.get(row.id, Decimal(0)),
                       row.expires_on, row.origin_period) for row in rows]
    return sorted((item for item in found if item.balance > 0),
                  key=lambda item: (item.expires_on, item.grant_id))


@dataclass(frozen=True)
class CarriedOver:
    """The carry-over grant of a closed period's unused commitment, as an invoice of a later
    period sees it: what is still usable, and what expired unused."""

    grant_id: int
    usable: Decimal
    expired: Decimal


def carried_over_from(connection: Connection, customer: str, currency: str, origin: str,
                      period: str) -> CarriedOver | None:
    """The grant the close of `origin` made of its unused commitment, with the drawdowns of
    invoices before `period` (so a closed period's lines compute the same again); None when
    that close carried nothing over."""
    row = connection.execute(select(grants.c.id, grants.c.amount, grants.c.expires_on).where(
        grants.c.customer == customer, grants.c.currency == currency,
        grants.c.source == "carry_over", grants.c.origin_period == origin)).first()
    if row is None:
        return None
    drawn = sum((Decimal(amount) for amount in connection.execute(
        select(drawdowns.c.amount).where(drawdowns.c.grant_id == row.id,
                                         drawdowns.c.period < period)).scalars()), Decimal(0))
    left = Decimal(row.amount) - drawn
    if row.expires_on < Period.parse(period).first_day:
        return CarriedOver(row.id, Decimal(0), left)
    return CarriedOver(row.id, left, Decimal(0))


def draw(grants_left: list[Available], amount: Decimal) -> list[tuple[Available, Decimal]]:
    """`amount` taken from the grants in order; less when they hold less."""
    parts = []
    for grant in grants_left:
        if amount <= 0:
            break
        part = min(grant.balance, amount)
        parts.append((grant, part))
        amount -= part
    return parts


def credit_description(grant_id: int, expires_on: date, locale: str = "en_US") -> str:
    return contract_labels(locale).prepaid_line.format(grant=grant_id,
                                                       date=_date(expires_on, locale))


def _date(day: date, locale: str) -> str:
    """English keeps ISO dates (what FOCUS exports and the CLI print); other languages their
    own (babel)."""
    return day.isoformat() if language(locale) == "en" else format_date(day, locale)


def prepaid_drawn(connection: Connection, period: str) -> list[tuple[str, InvoiceLine, str]]:
    """The prepaid credit lines the period's stored invoices drew: (customer, line, currency)."""
    documents = Document.__table__
    query = (select(documents.c.subject, grants.c.id, grants.c.expires_on, grants.c.currency,
                    drawdowns.c.amount)
             .join(grants, grants.c.id == drawdowns.c.grant_id)
             .join(documents, documents.c.id == drawdowns.c.document_id)
             .where(documents.c.period == period, documents.c.kind == "invoice",
                    grants.c.source == "prepaid")
             .order_by(documents.c.subject, grants.c.expires_on, grants.c.id))
    return [(customer, InvoiceLine(description=credit_description(grant_id, expires_on),
                                   quantity=ONE, unit_price=-Decimal(amount),
                                   amount=-Decimal(amount), kind="credit", unit=""), currency)
            for customer, grant_id, expires_on, currency, amount in connection.execute(query)]


def prepaid_lines(connection: Connection, customer: str, total: Decimal, period: str,
                  currency: str, locale: str = "en_US"
                  ) -> tuple[list[InvoiceLine], list[str], list[tuple[Available, Decimal]]]:
    """Prepaid credit lines for an invoice of `total`, tax included: one line per grant
    drawn, never more than the total; the note, in the customer's language, says what is
    left.

    Prepaid credit is an advance payment, not a price reduction: it pays the invoice total
    after tax, as Stripe's customer credit balance does, and leaves the taxable subtotal as
    the lines (usage, discounts, commitment) made it."""
    left = available(connection, customer, currency, period, "prepaid")
    if total <= 0 or not left:
        return [], [], []
    parts = draw(left, total)
    credit_lines = [InvoiceLine(
        description=credit_description(grant.grant_id, grant.expires_on, locale),
        quantity=ONE, unit_price=-part, amount=-part, kind="credit", unit="")
        for grant, part in parts]
    used = sum((part for _, part in parts), Decimal(0))
    remaining = sum((grant.balance for grant in left), Decimal(0)) - used
    taken = {grant.grant_id: part for grant, part in parts}
    words = contract_labels(locale)
    money = partial(format_money, currency=currency, locale=locale)
    after = [words.prepaid_left.format(grant=grant.grant_id,
                                       amount=money(grant.balance - taken.get(grant.grant_id, 0)),
                                       date=_date(grant.expires_on, locale))
             for grant in left if grant.balance > taken.get(grant.grant_id, 0)]
    note = words.prepaid_note.format(used=money(used), remaining=money(remaining),
                                     grants=f" ({', '.join(after)})" if after else "")
    return credit_lines, [note], parts


def record_drawdowns(connection: Connection, parts: list[tuple[Available, Decimal]],
                     document_id: int, period: str, now: datetime) -> None:
    for grant, amount in parts:
        connection.execute(insert(drawdowns).values(
            grant_id=grant.grant_id, document_id=document_id, period=period, amount=amount,
            created_at=now))


def carry_over_grant(connection: Connection, customer: str, amount: Decimal, currency: str,
                     period: str, months: int, now: datetime) -> None:
    """A month's unused commitment, kept for the usage above the commitment of the next
    `months` months."""
    connection.execute(insert(grants).values(
        customer=customer, source="carry_over", amount=amount, currency=currency,
        granted_at=now, expires_on=(Period.parse(period) + months).last_day,
        origin_period=period, reference=f"unused commitment of {period}"))


def _parse_amount(amount: str, currency: str) -> Decimal:
    try:
        value = Decimal(amount)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0:
        raise CreditRefused(f"amount {amount!r} is not a positive amount like 500.00")
    if round_line(value, currency) != value:
        raise CreditRefused(f"amount {amount} has more decimals than {currency} has (its "
                            f"smallest unit is {minor_unit(currency)})")
    return round_line(value, currency)  # 12.5 is kept as 12.50


def grant_credit(engine: Engine, customer: str, amount: str, currency: str, expires: str,
                 *, reference: str | None = None, now: datetime | None = None
                 ) -> dict[str, Any]:
    """Grant `customer` prepaid credit; invoices from the next close on draw it down."""
    now = now or datetime.now(UTC)
    currency = currency.upper()
    if not is_currency(currency):
        raise CreditRefused(f"currency {currency!r} is not an ISO 4217 code like EUR or USD")
    value = _parse_amount(amount, currency)
    try:
        expires_on = date.fromisoformat(expires)
    except ValueError:
        raise CreditRefused(f"expires {expires!r} is not a date like 2027-06-30") from None
    if expires_on < now.date():
        raise CreditRefused(f"expires {expires} is in the past; give the last day the "
                            "credit may be used")
    if not customer.strip():
        raise CreditRefused("name the customer")
    with write_transaction(engine) as connection:
        grant_id = connection.execute(insert(grants).values(
            customer=customer, source="prepaid", amount=value, currency=currency,
            granted_at=now, expires_on=expires_on, reference=reference)
            .returning(grants.c.id)).scalar_one()
    return next(item for item in list_credits(engine, customer=customer, today=now.date())
                if item["id"] == grant_id)


def list_credits(engine: Engine, *, customer: str | None = None, today: date | None = None
                 ) -> list[dict[str, Any]]:
    """Every grant with what invoices drew and its balance; status active, used or expired."""
    today = today or date.today()
    query = select(grants).order_by(grants.c.customer, grants.c.expires_on, grants.c.id)
    if customer:
        query = query.where(grants.c.customer == customer)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
        drawn = dict(connection.execute(
            select(drawdowns.c.grant_id, func.count()).group_by(drawdowns.c.grant_id)).all())
        amounts: dict[int, Decimal] = {}
        for grant_id, amount in connection.execute(
                select(drawdowns.c.grant_id, drawdowns.c.amount)):
            amounts[grant_id] = amounts.get(grant_id, Decimal(0)) + Decimal(amount)
    found = []
    for row in rows:
        used = amounts.get(row.id, Decimal(0))
        balance = Decimal(row.amount) - used
        status = ("used" if balance <= 0 else "expired" if row.expires_on < today
                  else "active")
        found.append({"id": row.id, "customer": row.customer, "source": row.source,
                      "amount": str(row.amount), "currency": row.currency,
                      "drawn": str(used), "balance": str(balance), "status": status,
                      "invoices": drawn.get(row.id, 0),
                      "granted_at": row.granted_at.isoformat(),
                      "expires_on": row.expires_on.isoformat(),
                      "origin_period": row.origin_period, "reference": row.reference})
    return found


def balances(engine: Engine, today: date | None = None) -> dict[tuple[str, str], Decimal]:
    """(customer, currency) -> credit still usable today (grants not expired)."""
    found: dict[tuple[str, str], Decimal] = {}
    for item in list_credits(engine, today=today):
        if item["status"] == "active":
            key = (item["customer"], item["currency"])
            found[key] = found.get(key, Decimal(0)) + Decimal(item["balance"])
    return found


def expired_carry_over(connection: Connection, customer: str, currency: str, period: str,
                       locale: str = "en_US") -> list[str]:
    """Notes for carried-over commitment that expired unused at the end of last month."""
    last = Period.parse(period).previous()
    query = select(grants.c.id, grants.c.amount, grants.c.origin_period).where(
        grants.c.customer == customer, grants.c.currency == currency,
        grants.c.source == "carry_over", grants.c.expires_on == last.last_day)
    notes = []
    for grant_id, amount, origin in connection.execute(query).all():
        used = sum((Decimal(value) for value in connection.execute(
            select(drawdowns.c.amount).where(drawdowns.c.grant_id == grant_id,
                                             drawdowns.c.period < period)).scalars()),
                   Decimal(0))
        if Decimal(amount) - used > 0:
            money = partial(format_money, currency=currency, locale=locale)
            notes.append(contract_labels(locale).carry_over_expired.format(
                origin=origin, left=money(Decimal(amount) - used), amount=money(Decimal(amount)),
                date=_date(last.last_day, locale)))
    return notes


def settle(connection: Connection, customer: str, lines: list[InvoiceLine], currency: str,
           carry_over_months: int, prepaid: list[tuple[Available, Decimal]],
           document_id: int, period: str, now: datetime) -> None:
    """Record what a stored invoice drew (prepaid lines, carry-over used) and the unused
    commitment it carries over; inside the close's transaction, so it happens once."""
    record_drawdowns(connection, prepaid, document_id, period, now)
    current = [line for line in lines if line.service_period is None]
    used = -sum((line.amount for line in current if line.kind == "carry_over"), Decimal(0))
    if used > 0:
        record_drawdowns(connection, draw(available(connection, customer, currency, period,
                                                    "carry_over"), used),
                         document_id, period, now)
    for line in lines:  # late usage of a closed period paid from that period's carry-over
        if line.kind == "carry_over" and line.service_period is not None:
            grant = carried_over_from(connection, customer, currency, line.service_period,
                                      period)
            if grant is not None:
                record_drawdowns(connection, [(Available(grant.grant_id, grant.usable,
                                                         date.max), -line.amount)],
                                 document_id, period, now)
    unused = sum((line.amount for line in current if line.kind == "true_up"), Decimal(0))
    if carry_over_months and unused > 0:
        carry_over_grant(connection, customer, unused, currency, period, carry_over_months, now)
