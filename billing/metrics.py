"""Operational metrics in the Prometheus text format: what the ledger and the service are doing.

Ledger figures (ingest outcomes, quarantine, rating lag, the last close, Stripe failures) are
read from the database when scraped, so every process reports the same numbers; request counts
and latency are this process's own.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from sqlalchemy import Engine, func, select

from billing.models import Document, IngestBatch, PeriodClose, QuarantinedRow, RatingRun, UsageEvent


class RequestStats:
    """Request counts and total seconds per (method, route, status), thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count: dict[tuple[str, str, int], int] = defaultdict(int)
        self.seconds: dict[tuple[str, str, int], float] = defaultdict(float)  # not money
        self.server_errors = 0

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.count[(method, route, status)] += 1
            self.seconds[(method, route, status)] += seconds


def _labels(**labels: object) -> str:
    inner = ",".join(f'{key}="{str(value).replace(chr(34), "")}"' for key, value in labels.items())
    return "{" + inner + "}"


def ledger_metrics(engine: Engine) -> list[str]:
    batches, quarantine = IngestBatch.__table__, QuarantinedRow.__table__
    runs, usage = RatingRun.__table__, UsageEvent.__table__
    closes, documents = PeriodClose.__table__, Document.__table__
    with engine.connect() as connection:
        accepted, duplicates, rejected = connection.execute(select(
            func.coalesce(func.sum(batches.c.accepted), 0),
            func.coalesce(func.sum(batches.c.duplicates), 0),
            func.coalesce(func.sum(batches.c.rejected), 0))).one()
        pending = connection.execute(select(func.count()).where(
            quarantine.c.status == "pending")).scalar_one()
        watermark = connection.execute(select(func.coalesce(func.max(runs.c.to_event_id), 0))
                                       .where(runs.c.kind == "incremental")).scalar_one()
        newest = connection.execute(select(func.coalesce(func.max(usage.c.id), 0))).scalar_one()
        last_close = connection.execute(select(closes.c.period, closes.c.duration_ms)
                                        .order_by(closes.c.period.desc()).limit(1)).first()
        stripe_failures = connection.execute(select(func.count()).where(
            documents.c.stripe_error.is_not(None))).scalar_one()
    lines = [
        "# HELP billing_ingest_events_total Usage events seen by ingest, by outcome.",
        "# TYPE billing_ingest_events_total counter",
        f"billing_ingest_events_total{_labels(outcome='accepted')} {accepted}",
        f"billing_ingest_events_total{_labels(outcome='duplicate')} {duplicates}",
        f"billing_ingest_events_total{_labels(outcome='rejected')} {rejected}",
        "# HELP billing_quarantine_pending Rejected rows waiting for a fix and replay.",
        "# TYPE billing_quarantine_pending gauge",
        f"billing_quarantine_pending {pending}",
        "# HELP billing_rating_lag_events Ingested events not rated yet (ids past the watermark).",
        "# TYPE billing_rating_lag_events gauge",
        f"billing_rating_lag_events {max(newest - watermark, 0)}",
        "# HELP billing_stripe_failures Documents whose last Stripe push failed.",
        "# TYPE billing_stripe_failures gauge",
        f"billing_stripe_failures {stripe_failures}",
    ]
    if last_close is not None:
        lines += [
            "# HELP billing_close_duration_seconds How long the latest period's close took.",
            "# TYPE billing_close_duration_seconds gauge",
            f"billing_close_duration_seconds{_labels(period=last_close.period)} "
            f"{last_close.duration_ms / 1000:.3f}",
        ]
    return lines


def request_metrics(stats: RequestStats) -> list[str]:
    lines = ["# HELP billing_http_requests_total HTTP requests served by this process.",
             "# TYPE billing_http_requests_total counter"]
    for (method, route, status), count in sorted(stats.count.items()):
        lines.append(f"billing_http_requests_total"
                     f"{_labels(method=method, route=route, status=status)} {count}")
    lines += ["# HELP billing_http_request_seconds_total Time spent serving them.",
              "# TYPE billing_http_request_seconds_total counter"]
    for (method, route, status), seconds in sorted(stats.seconds.items()):
        lines.append(f"billing_http_request_seconds_total"
                     f"{_labels(method=method, route=route, status=status)} {seconds:.6f}")
    lines += ["# HELP billing_http_server_errors_total Requests that failed with a server error.",
              "# TYPE billing_http_server_errors_total counter",
              f"billing_http_server_errors_total {stats.server_errors}"]
    return lines
