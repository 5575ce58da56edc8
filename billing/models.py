"""The database tables, as SQLModel models; Alembic migrations create them (never `create_all`).

The usage ledger is append-only and idempotent on `event_id`. Rejected input is never dropped:
it waits in the quarantine, exactly as it arrived, until it is fixed and replayed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    Unicode,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

ENVIRONMENTS = ("production", "staging", "development", "test")
TIERS = ("good", "better", "best")
# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigId = BigInteger().with_variant(Integer(), "sqlite")
QUARANTINE_STATUSES_DOC = (
    "pending (waiting for a fix), replayed (accepted on replay), "
    "superseded (its event_id arrived another way), discarded (dropped on purpose)"
)


class UsageEvent(SQLModel, table=True):
    __tablename__ = "usage_event"
    __table_args__ = (Index("ix_usage_event_period", "period"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    event_id: str = Field(max_length=200, unique=True)
    occurred_at: datetime = Field(description="stored in UTC")
    period: str = Field(max_length=7, description="YYYY-MM in the billing time zone")
    usage_date: date = Field(description="calendar day in the billing time zone")
    team: str | None = Field(default=None, max_length=200)
    use_case: str | None = Field(default=None, max_length=200)
    customer: str | None = Field(default=None, max_length=200)
    project: str | None = Field(default=None, max_length=200,
                                description="the project the usage served; billable by policy")
    environment: str = Field(default="production", max_length=20)
    provider: str | None = Field(default=None, max_length=100)
    model: str = Field(max_length=200)
    tier: str | None = Field(default=None, max_length=10)
    input_tokens: int = Field(sa_column=Column(BigInteger, nullable=False))
    output_tokens: int = Field(sa_column=Column(BigInteger, nullable=False))
    cached_input_tokens: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    cache_write_input_tokens: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False)
    )
    cache_write_1h_input_tokens: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"),
        description="the part of cache_write_input_tokens cached for 1 hour (priced apart)",
    )
    web_search_requests: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"),
        description="web-search tool requests the call made (priced per 1,000 by the card)",
    )
    requests: int = Field(default=1, sa_column=Column(BigInteger, nullable=False))
    prompt_version: str | None = Field(default=None, max_length=200)
    tags: str | None = Field(default=None, sa_column=Column(Text), description="JSON object")
    content_hash: str = Field(max_length=64)
    batch_id: int | None = Field(default=None, foreign_key="ingest_batch.id")
    call_status: str = Field(
        default="ok", sa_column=Column(String(20), nullable=False, server_default="ok"),
        description="ok, cache_hit or failed: only ok calls carry token cost and fees",
    )
    service_tier: str = Field(
        default="standard",
        sa_column=Column(String(20), nullable=False, server_default="standard"),
        description="standard, batch, flex or priority: picks the card's price",
    )
    reported_cost_nanos: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"),
        description="cost the source reported, in 1e-9 USD (spend-only usage)",
    )
    latency_ms: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True),
        description="milliseconds the call took, when the source reports it (service levels)",
    )
    status: str | None = Field(
        default=None, sa_column=Column(String(20), nullable=True),
        description="ok, error, rate_limited, timeout or refused; None: not reported",
    )


class UsageBucket(SQLModel, table=True):
    """A provider usage bucket (a snapshot, not an event) and the numbers last read for it.

    The same bucket read again with other numbers is a restatement: the difference enters the
    ledger as its own event and `UsageRestatement` records old, new and when."""

    __tablename__ = "usage_bucket"
    __table_args__ = (Index("ix_usage_bucket_series_start", "series", "bucket_start"),)

    event_id: str = Field(max_length=200, primary_key=True)
    series: str = Field(max_length=100, description="the report the bucket belongs to")
    bucket_start: datetime
    bucket_end: datetime
    counts: str = Field(sa_column=Column(Text, nullable=False), description="JSON object")
    content_hash: str = Field(max_length=64)
    restatements: int = 0
    updated_at: datetime


class UsageRestatement(SQLModel, table=True):
    """One restatement of a usage bucket: the numbers before and after, and when."""

    __tablename__ = "usage_restatement"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=200, index=True)
    delta_event_id: str = Field(max_length=200)
    old: str = Field(sa_column=Column(Text, nullable=False), description="JSON object")
    new: str = Field(sa_column=Column(Text, nullable=False), description="JSON object")
    restated_at: datetime
    batch_id: int | None = Field(default=None, foreign_key="ingest_batch.id")


class IngestBatch(SQLModel, table=True):
    """One run of ingest (a file, an API request, a replay): what it accepted and refused."""

    __tablename__ = "ingest_batch"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=500)
    format: str = Field(max_length=20)
    started_at: datetime
    finished_at: datetime | None = None
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0


class QuarantinedRow(SQLModel, table=True):
    """A rejected input row, kept verbatim with the reason, until a replay accepts it."""

    __tablename__ = "quarantined_row"
    __table_args__ = (UniqueConstraint("row_key", name="uq_quarantined_row_key"),)

    id: int | None = Field(default=None, primary_key=True)
    row_key: str = Field(max_length=64, description="sha256 of format and raw text")
    format: str = Field(max_length=20)
    source: str = Field(max_length=500)
    row: int
    event_id: str | None = Field(default=None, max_length=200)
    field: str | None = Field(default=None, max_length=100)
    message: str = Field(sa_column=Column(Text, nullable=False))
    raw: str = Field(sa_column=Column(Text, nullable=False))
    first_seen_at: datetime
    last_seen_at: datetime
    seen_count: int = 1
    batch_id: int | None = Field(default=None, foreign_key="ingest_batch.id")
    status: str = Field(default="pending", max_length=20, description=QUARANTINE_STATUSES_DOC)
    resolved_at: datetime | None = None


class RateCardVersion(SQLModel, table=True):
    """A published card version: the YAML as published, its hash, who and why. Never edited."""

    __tablename__ = "rate_card_version"
    __table_args__ = (UniqueConstraint("card", "version", name="uq_rate_card_version"),)

    id: int | None = Field(default=None, primary_key=True)
    card: str = Field(max_length=100)
    version: str = Field(max_length=50)
    effective_from: date
    currency: str = Field(max_length=3)
    content_hash: str = Field(max_length=64)
    source: str = Field(sa_column=Column(Text, nullable=False), description="the YAML text")
    filename: str = Field(max_length=500)
    published_by: str = Field(max_length=200)
    change_note: str = Field(default="", sa_column=Column(Text, nullable=False))
    published_at: datetime


class PolicyVersionRow(SQLModel, table=True):
    """A published policy version (attribution, overhead, parties, use cases): the YAML as
    published, its hash, the months it is in force, who and why. Never edited."""

    __tablename__ = "policy_version"
    __table_args__ = (UniqueConstraint("kind", "version", name="uq_policy_version"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    version: str = Field(max_length=50)
    effective_from: str = Field(max_length=7)
    effective_to: str | None = Field(default=None, max_length=7)
    content_hash: str = Field(max_length=64)
    source: str = Field(sa_column=Column(Text, nullable=False), description="the YAML text")
    filename: str = Field(max_length=500)
    published_by: str = Field(max_length=200)
    change_note: str = Field(default="", sa_column=Column(Text, nullable=False))
    published_at: datetime


class ExactDecimal(TypeDecorator):
    """A Decimal stored as its exact text, on every database.

    Rated amounts are unrounded (rounding happens once, at the document line) and may carry
    more decimal places than a fixed NUMERIC scale; SQLite has no exact decimal at all. Sums
    of these are taken in Python over aggregated lines, never over raw events.
    """

    impl = String(80)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be a Decimal, got {type(value).__name__}")
        return format(value, "f")

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201
        return None if value is None else Decimal(value)


Money = ExactDecimal
UnitPrice = ExactDecimal
RATE_PRECISION, RATE_SCALE = 24, 12


class ExactRate(TypeDecorator):
    """An FX rate, exact on every database: NUMERIC(24, 12) where the database has an exact
    decimal (PostgreSQL), its exact text on SQLite (whose NUMERIC is a float). Read back
    without trailing zeros, so 1.0842 stays 1.0842."""

    impl = Numeric(RATE_PRECISION, RATE_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect):  # noqa: ANN001, ANN201
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(RATE_PRECISION, RATE_SCALE, asdecimal=True))

    def process_bind_param(self, value, dialect):  # noqa: ANN001, ANN201
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"an FX rate must be a Decimal, got {type(value).__name__}")
        return format(value, "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # noqa: ANN001, ANN201
        if value is None:
            return None
        value = Decimal(value)
        return value.quantize(Decimal(1)) if value == value.to_integral_value() \
            else value.normalize()


class RatingRun(SQLModel, table=True):
    """One run of rating: which slice of the ledger it read and what it wrote."""

    __tablename__ = "rating_run"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, description="incremental or rerate")
    period: str | None = Field(default=None, max_length=7)
    from_event_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    to_event_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    events: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    lines: int = 0
    unpriced_lines: int = 0
    started_at: datetime
    finished_at: datetime | None = None


class RatedLine(SQLModel, table=True):
    """Usage of one group on one day, priced with the card version in force that day.

    `view` is showback (the team's card) or chargeback (the customer's card). Unit prices,
    markup and fee are copied from the card so any amount can be explained without it.
    """

    __tablename__ = "rated_line"
    __table_args__ = (
        Index("ix_rated_line_period_team", "period", "view", "team"),
        Index("ix_rated_line_period_customer", "period", "view", "customer"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    run_id: int = Field(foreign_key="rating_run.id")
    view: str = Field(max_length=12)
    period: str = Field(max_length=7)
    usage_date: date
    team: str | None = Field(default=None, max_length=200)
    use_case: str | None = Field(default=None, max_length=200)
    customer: str | None = Field(default=None, max_length=200)
    project: str | None = Field(default=None, max_length=200)
    environment: str = Field(max_length=20)
    provider: str | None = Field(default=None, max_length=100)
    model: str = Field(max_length=200)
    tier: str | None = Field(default=None, max_length=10)
    attributed_by: str | None = Field(default=None, max_length=200)
    rules_version: str | None = Field(
        default=None, max_length=60,
        description="the attribution rules version rating applied (attribution@N, or none)",
    )
    card: str | None = Field(default=None, max_length=100)
    card_version: str | None = Field(default=None, max_length=50)
    currency: str | None = Field(default=None, max_length=3)
    events: int = Field(sa_column=Column(BigInteger, nullable=False))
    requests: int = Field(sa_column=Column(BigInteger, nullable=False))
    input_tokens: int = Field(sa_column=Column(BigInteger, nullable=False))
    output_tokens: int = Field(sa_column=Column(BigInteger, nullable=False))
    cached_input_tokens: int = Field(sa_column=Column(BigInteger, nullable=False))
    cache_write_input_tokens: int = Field(sa_column=Column(BigInteger, nullable=False))
    input_price: Decimal | None = Field(default=None, sa_column=Column(UnitPrice()))
    output_price: Decimal | None = Field(default=None, sa_column=Column(UnitPrice()))
    cached_input_price: Decimal | None = Field(default=None, sa_column=Column(UnitPrice()))
    cache_write_input_price: Decimal | None = Field(default=None, sa_column=Column(UnitPrice()))
    markup: Decimal | None = Field(default=None, sa_column=Column(UnitPrice()))
    per_request_fee: Decimal | None = Field(default=None, sa_column=Column(UnitPrice()))
    provider_cost: Decimal | None = Field(default=None, sa_column=Column(Money()))
    amount: Decimal | None = Field(default=None, sa_column=Column(Money()))
    unpriced_reason: str | None = Field(default=None, sa_column=Column(Text))
    service_tier: str | None = Field(default=None, max_length=20)
    reported_cost_nanos: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"),
        description="cost the source reported, in 1e-9 USD (spend-only usage), a component "
                    "of provider_cost",
    )
    priced_model: str | None = Field(
        default=None, max_length=200,
        description="the card's model whose prices were used; `model` is as the source "
                    "reported it (a dated snapshot, a Bedrock id) and may be its alias",
    )
    web_search_requests: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"),
        description="web-search tool requests; a line of their own, no tokens",
    )
    web_search_price: Decimal | None = Field(
        default=None, sa_column=Column(UnitPrice()),
        description="the card's price of 1,000 web searches",
    )
    adjusts_period: str | None = Field(
        default=None, max_length=7,
        description="set on late usage of a closed period, rated into this open one",
    )


SCOPE_KINDS_DOC = "team, use_case (key 'team/use case') or customer"


class BudgetEntry(SQLModel, table=True):
    """A budget for one scope (a team, a team's use case, or a customer) in one period.

    Amounts are in the card currency. Thresholds are the soft alert points in percent of the
    amount; `warn_percent` is where the gateway status turns from allow to warn; a hard cap
    turns it to block once spend reaches the amount.
    """

    __tablename__ = "budget"
    __table_args__ = (
        UniqueConstraint("period", "scope_kind", "scope_key", name="uq_budget_scope"),
    )

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=7)
    scope_kind: str = Field(max_length=12, description=SCOPE_KINDS_DOC)
    scope_key: str = Field(max_length=401)
    team: str | None = Field(default=None, max_length=200)
    use_case: str | None = Field(default=None, max_length=200)
    customer: str | None = Field(default=None, max_length=200)
    currency: str = Field(max_length=3)
    amount: Decimal = Field(sa_column=Column(Money(), nullable=False))
    thresholds: str = Field(max_length=200, description="percents, comma separated")
    warn_percent: Decimal = Field(sa_column=Column(UnitPrice(), nullable=False))
    hard_cap: bool = False
    set_by: str = Field(default="", max_length=200)
    updated_at: datetime


class SpendTotal(SQLModel, table=True):
    """The running spend of one scope in one period, kept up to date by rating.

    It is what makes the gateway's budget check O(1) in the size of the ledger: one indexed
    row instead of a scan. `tokens` counts input, output, cached and cache-write tokens.
    """

    __tablename__ = "spend_total"
    __table_args__ = (
        UniqueConstraint("period", "scope_kind", "scope_key", "currency",
                         name="uq_spend_total_scope"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    period: str = Field(max_length=7)
    scope_kind: str = Field(max_length=12, description=SCOPE_KINDS_DOC)
    scope_key: str = Field(max_length=401)
    currency: str = Field(max_length=3)
    amount: Decimal = Field(sa_column=Column(Money(), nullable=False))
    requests: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    tokens: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime


class Outcome(SQLModel, table=True):
    """A business result of a use case, accepted or not by the use case's quality rule."""

    __tablename__ = "outcome"
    __table_args__ = (Index("ix_outcome_period_use_case", "period", "use_case"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True))
    outcome_id: str = Field(max_length=200, unique=True)
    use_case: str = Field(max_length=200)
    team: str | None = Field(default=None, max_length=200)
    occurred_at: datetime = Field(description="stored in UTC")
    period: str = Field(max_length=7, description="YYYY-MM in the billing time zone")
    accepted: bool
    quality_score: Decimal | None = Field(default=None, sa_column=Column(ExactDecimal()))
    source: str = Field(default="", max_length=500)
    ingested_at: datetime


class Alert(SQLModel, table=True):
    """Something finance or a team should hear about, raised once per `dedupe_key`."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("dedupe_key", name="uq_alert_dedupe_key"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, description="threshold, hard_cap, anomaly or unpriced")
    dedupe_key: str = Field(max_length=600)
    severity: str = Field(max_length=10)
    period: str | None = Field(default=None, max_length=7)
    team: str | None = Field(default=None, max_length=200)
    scope_kind: str | None = Field(default=None, max_length=12)
    scope_key: str | None = Field(default=None, max_length=401)
    message: str = Field(sa_column=Column(Text, nullable=False))
    details: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    raised_at: datetime


class AlertDelivery(SQLModel, table=True):
    """One alert's delivery to one webhook: attempts so far, and when it landed."""

    __tablename__ = "alert_delivery"
    __table_args__ = (UniqueConstraint("alert_id", "url", name="uq_alert_delivery"),)

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id")
    url: str = Field(max_length=1000)
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    last_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    next_attempt_at: datetime | None = Field(
        default=None, description="not tried again before this (jittered exponential backoff)")
    dead_at: datetime | None = Field(
        default=None, description="given up after the last allowed attempt (dead letter)")


# APScheduler 3's job store table (the scheduler's persistent jobs), declared here so the
# migrations own it; SQLAlchemyJobStore finds it and never creates schema itself.
SCHEDULER_JOBS = Table(
    "apscheduler_jobs", SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


class UsageArchive(SQLModel, table=True):
    """A closed period whose raw usage events left the ledger for Parquet files: where they
    are, and the counts they were verified against before the rows were removed."""

    __tablename__ = "usage_archive"

    period: str = Field(primary_key=True, max_length=7)
    path: str = Field(max_length=1000, description="the folder of the period's Parquet files")
    events: int = Field(sa_column=Column(BigInteger, nullable=False))
    requests: int = Field(sa_column=Column(BigInteger, nullable=False))
    tokens: int = Field(sa_column=Column(BigInteger, nullable=False),
                        description="input + output + cached input + cache write input")
    customer_events: int = Field(sa_column=Column(BigInteger, nullable=False))
    customer_requests: int = Field(sa_column=Column(BigInteger, nullable=False))
    customer_tokens: int = Field(sa_column=Column(BigInteger, nullable=False))
    archived_at: datetime


class PeriodClose(SQLModel, table=True):
    """A closed period. Its row is written in the same transaction as its documents, so a
    period is closed exactly once, with all of its documents or none."""

    __tablename__ = "period_close"

    period: str = Field(primary_key=True, max_length=7)
    closed_at: datetime
    closed_by: str = Field(max_length=200)
    rating_run_id: int | None = None
    statements: int = 0
    invoices: int = 0
    duration_ms: int = 0
    fx_rates: str = Field(
        default="[]", sa_column=Column(Text, nullable=False, server_default="[]"),
        description="JSON list of the FX rates its documents converted at",
    )
    policy_versions: str = Field(
        default="{}", sa_column=Column(Text, nullable=False, server_default="{}"),
        description="JSON map of policy kind to the version its documents were built with",
    )
    not_billed: str = Field(
        default="[]", sa_column=Column(Text, nullable=False, server_default="[]"),
        description="JSON list of the usage the billable policy kept off invoices, per customer",
    )


class FxRate(SQLModel, table=True):
    """A recorded FX rate: what one unit of `from_currency` is worth in `to_currency` for one
    period. Set by finance (`billing fx set`); a rate of a closed period never changes."""

    __tablename__ = "fx_rate"
    __table_args__ = (
        UniqueConstraint("from_currency", "to_currency", "period", name="uq_fx_rate"),
    )

    id: int | None = Field(default=None, primary_key=True)
    from_currency: str = Field(max_length=3)
    to_currency: str = Field(max_length=3)
    period: str = Field(max_length=7, description="YYYY-MM")
    rate: Decimal = Field(sa_column=Column(ExactRate(), nullable=False))
    set_by: str = Field(max_length=200)
    set_at: datetime
    note: str = Field(default="", sa_column=Column(Text, nullable=False))


class DocumentSequence(SQLModel, table=True):
    """The next number of a gapless series (invoices, credit notes) of one issuer."""

    __tablename__ = "document_sequence"

    series: str = Field(primary_key=True, max_length=60)
    next_value: int = 1


class Document(SQLModel, table=True):
    """A finalised statement, invoice or credit note: its JSON twin is the document; the PDF is
    rendered from it. Never edited, except for delivery facts (PDF written, Stripe state)."""

    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("kind", "number", name="uq_document_number"),
        Index("ix_document_period_kind", "period", "kind"),
        Index("ix_document_subject", "kind", "subject"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=12, description="statement, invoice or credit_note")
    number: str = Field(max_length=220)
    period: str = Field(max_length=7)
    subject: str = Field(max_length=200, description="the team or the customer")
    currency: str = Field(max_length=3)
    total: Decimal = Field(sa_column=Column(Money(), nullable=False))
    issued_on: date
    due_on: date | None = None
    references_id: int | None = Field(default=None, foreign_key="document.id")
    content: str = Field(sa_column=Column(Text, nullable=False), description="the JSON twin")
    content_hash: str = Field(max_length=64)
    pdf_path: str | None = Field(default=None, max_length=500)
    pdf_sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime
    stripe_invoice_id: str | None = Field(default=None, max_length=100)
    stripe_number: str | None = Field(default=None, max_length=100)
    stripe_hosted_url: str | None = Field(default=None, max_length=1000)
    stripe_status: str | None = Field(default=None, max_length=30)
    stripe_error: str | None = Field(default=None, sa_column=Column(Text))
    stripe_pushed_at: datetime | None = None
    stripe_status_at: int | None = Field(
        default=None, sa_column=Column(BigInteger),
        description="`created` (Unix s) of the Stripe event that set stripe_status")


class StripeEvent(SQLModel, table=True):
    """A Stripe webhook event we acted on; its id makes a replayed event change nothing."""

    __tablename__ = "stripe_event"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=100, unique=True)
    type: str = Field(max_length=100)
    stripe_invoice_id: str | None = Field(default=None, max_length=100)
    document_id: int | None = Field(default=None, foreign_key="document.id")
    received_at: datetime
    created: int | None = Field(default=None, sa_column=Column(BigInteger),
                                description="the event's own `created` (Unix s)")
    result: str | None = Field(default=None, max_length=20,
                               description="applied, stale or ignored")


class ApiKey(SQLModel, table=True):
    """An API key: its role, its team for team keys, when it expires. Only a hash of the secret
    is stored; the key is shown once, when it is created."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(max_length=40, unique=True, description="public part, safe to log")
    secret_hash: str = Field(max_length=64, description="sha256 of the secret part")
    role: str = Field(max_length=10, description="admin, finance, team, ingest or gateway")
    team: str | None = Field(default=None, max_length=200)
    label: str = Field(default="", max_length=200)
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


class LeverCandidate(SQLModel, table=True):
    """A configuration proposed to make a use case cheaper (model, prompt version, routing
    rule), or the baseline it is judged against, and the gate's decision on it."""

    __tablename__ = "lever_candidate"
    __table_args__ = (UniqueConstraint("use_case", "name", name="uq_lever_candidate_name"),)

    id: int | None = Field(default=None, primary_key=True)
    use_case: str = Field(max_length=200)
    name: str = Field(max_length=200)
    baseline: bool = False
    config: str = Field(sa_column=Column(Text, nullable=False), description="JSON object")
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    proposed_at: datetime
    proposed_by: str = Field(max_length=200)
    decision: str | None = Field(default=None, max_length=10, description="promote or reject")
    decision_reason: str | None = Field(default=None, sa_column=Column(Text))
    decided_at: datetime | None = None


class Evaluation(SQLModel, table=True):
    """A candidate's result on a held-out evaluation set: calls, passes and their cost."""

    __tablename__ = "evaluation"

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: str = Field(max_length=200, unique=True)
    use_case: str = Field(max_length=200)
    candidate: str = Field(max_length=200)
    calls: int = Field(sa_column=Column(BigInteger, nullable=False))
    passes: int = Field(sa_column=Column(BigInteger, nullable=False))
    cost: Decimal = Field(sa_column=Column(Money(), nullable=False))
    currency: str = Field(max_length=3)
    evaluated_at: datetime
    content_hash: str = Field(max_length=64)
    source: str = Field(default="", max_length=500)
    ingested_at: datetime


class ForecastSnapshot(SQLModel, table=True):
    """What the close of `closed_period` expected of a later month for one team: kept so the
    next close can score the forecast against what happened."""

    __tablename__ = "forecast_snapshot"
    __table_args__ = (UniqueConstraint("closed_period", "team", "period",
                                       name="uq_forecast_snapshot"),)

    id: int | None = Field(default=None, primary_key=True)
    closed_period: str = Field(max_length=7)
    period: str = Field(max_length=7, index=True)
    team: str = Field(max_length=200)
    months_ahead: int
    currency: str = Field(max_length=3)
    calls: str = Field(max_length=40)
    tokens_per_call: str = Field(max_length=60)
    rate_per_1k: str = Field(max_length=60)
    growth: str = Field(max_length=60)
    amount: Decimal = Field(sa_column=Column(Money(), nullable=False))
    taken_at: datetime


class CreditGrant(SQLModel, table=True):
    """Credit a customer holds: prepaid (granted by finance) or carried over from a month
    below its commitment. Drawn down by invoices in order of expiry; the balance is the
    amount less its drawdowns, never stored, so it cannot drift."""

    __tablename__ = "credit_grant"
    __table_args__ = (Index("ix_credit_grant_customer", "customer", "currency"),)

    id: int | None = Field(default=None, primary_key=True)
    customer: str = Field(max_length=200)
    source: str = Field(max_length=12, description="prepaid or carry_over")
    amount: Decimal = Field(sa_column=Column(Money(), nullable=False))
    currency: str = Field(max_length=3)
    granted_at: datetime
    expires_on: date = Field(description="last day an invoice's period may start and use it")
    origin_period: str | None = Field(default=None, max_length=7,
                                      description="carry_over: the month whose shortfall it is")
    reference: str | None = Field(default=None, max_length=200)


class CreditDrawdown(SQLModel, table=True):
    """Part of a grant an invoice used; one per grant and invoice, so a re-run draws nothing."""

    __tablename__ = "credit_drawdown"
    __table_args__ = (UniqueConstraint("grant_id", "document_id", name="uq_credit_drawdown"),)

    id: int | None = Field(default=None, primary_key=True)
    grant_id: int = Field(foreign_key="credit_grant.id")
    document_id: int = Field(foreign_key="document.id")
    period: str = Field(max_length=7)
    amount: Decimal = Field(sa_column=Column(Money(), nullable=False))
    created_at: datetime


class SlaProposal(SQLModel, table=True):
    """An SLA credit proposed for a customer's tier whose service levels were breached in a
    period: finance approves it (a credit note is then issued) or leaves it; never automatic."""

    __tablename__ = "sla_proposal"
    __table_args__ = (UniqueConstraint("period", "customer", "tier", name="uq_sla_proposal"),)

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=7)
    customer: str = Field(max_length=200)
    tier: str = Field(max_length=10)
    card: str = Field(max_length=100, description="card@version whose slo block was breached")
    breached: str = Field(sa_column=Column(Text, nullable=False),
                          description="JSON list of the breached items with target and actual")
    charge: Decimal = Field(sa_column=Column(Money(), nullable=False),
                            description="what the tier was billed in the period")
    credit_pct: Decimal = Field(sa_column=Column(Money(), nullable=False),
                                description="percent of the charge per breached item")
    amount: Decimal = Field(sa_column=Column(Money(), nullable=False))
    currency: str = Field(max_length=3)
    status: str = Field(max_length=12, description="proposed or approved")
    proposed_at: datetime
    approved_at: datetime | None = None
    credit_note: str | None = Field(default=None, max_length=220,
                                    description="the credit note's number once approved")
