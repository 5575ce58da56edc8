"""The scheduler: the monthly close runs itself, by default at 02:00 on the 1st; every 15
minutes new usage is rated, spikes are checked and alerts are sent.

APScheduler keeps its job in the same database (table `apscheduler_jobs`, created by the
migrations), so a run missed while the service was down fires when it comes back
(`misfire_grace_time=None`, coalesced to one run). The job itself closes every period that is
over and not yet closed, so even a month of downtime is caught up, in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, func, select

from billing.budgets.anomaly import check_anomalies
from billing.budgets.owner_webhooks import routes_in_force
from billing.budgets.webhooks import deliver_pending
from billing.close.period_close import CloseRefused, CloseResult, close_period
from billing.config import Settings, get_settings
from billing.db import engine_for
from billing.models import PeriodClose, UsageEvent
from billing.period import Period
from billing.policies.in_force import attribution_rules_for, model_aliases_for
from billing.rating.card_registry import UnknownCard
from billing.rating.rate import cards_in_use, rate

log = logging.getLogger("billing.scheduler")
JOB_ID = "monthly-close"
ALERT_JOB_ID = "rate-and-alert"


def due_periods(first: str | None, now_local: datetime, closed: set[str]) -> list[str]:
    """Periods from `first` up to the last one that is over at `now_local`, not yet closed."""
    if first is None:
        return []
    last_over = Period.of_day(now_local.date()).previous()
    return [str(period) for period in Period.range(Period.parse(first), last_over)
            if str(period) not in closed]


def run_due_closes(engine: Engine, config: Settings, *, now: datetime | None = None
                   ) -> list[CloseResult]:
    """Close every period that is over and still open, oldest first."""
    now = now or datetime.now(UTC)
    usage, closes = UsageEvent.__table__, PeriodClose.__table__
    with engine.connect() as connection:
        first = connection.execute(select(func.min(usage.c.period))).scalar()
        closed = set(connection.execute(select(closes.c.period)).scalars())
    results = []
    for period in due_periods(first, now.astimezone(config.zone), closed):
        try:
            result = close_period(engine, config, period, now=now, closed_by="scheduler")
        except CloseRefused as exc:  # e.g. a pool's FX rate is missing: later months wait
            log.error("scheduled close of %s refused: %s (%s)", period, exc, exc.hint)
            results.append(CloseResult(period, "refused", str(exc)))
            break
        log.info("scheduled close of %s: %s", period, result.message)
        for warning in result.warnings:
            log.warning("scheduled close of %s: %s", period, warning)
        results.append(result)
    return results


def scheduled_close() -> None:
    """The job APScheduler stores (by reference, so it survives restarts)."""
    config = get_settings()
    run_due_closes(engine_for(config.database_url), config)


def rate_and_alert(engine: Engine, config: Settings, *, now: datetime | None = None
                   ) -> dict[str, Any]:
    """The frequent job: rate new usage (budgets' running totals and threshold alerts follow),
    check yesterday's spend for spikes, and send pending alerts to the webhooks."""
    now = now or datetime.now(UTC)
    try:
        cards = cards_in_use(engine, config.team_card, config.customer_card)
    except UnknownCard as exc:
        log.error("scheduled rating refused: %s", exc)
        return {"rating": None, "refused": str(exc), "anomalies": 0, "delivery": None}
    rated = rate(engine, cards, zone=config.zone,
                 rules_for=attribution_rules_for(engine),
                 aliases_for=model_aliases_for(engine))
    yesterday = now.astimezone(config.zone).date() - timedelta(days=1)
    anomalies = check_anomalies(engine, yesterday)
    delivery = None
    routes = routes_in_force(engine, config, now)
    if config.webhook_urls or routes:
        delivery = deliver_pending(engine, list(config.webhook_urls), config.webhook_secret or "",
                                   routes=routes)
    log.info("rated %s events; %s anomalies on %s", rated.events, len(anomalies), yesterday)
    return {"rating": rated.to_dict(), "anomalies": len(anomalies),
            "delivery": delivery.to_dict() if delivery else None}


def scheduled_rate_and_alert() -> None:
    config = get_settings()
    rate_and_alert(engine_for(config.database_url), config)


def start_scheduler(config: Settings, *, job: Callable[[], Any] | str | None = None,
                    alert_minutes: int = 15) -> BackgroundScheduler:
    """Start the monthly close on its cron, keeping a stored job (and a run it missed)."""
    zone = config.zone
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine_for(config.database_url),
                                                 tablename="apscheduler_jobs")},
        timezone=zone,
        job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
    )
    trigger = CronTrigger.from_crontab(config.close_cron, timezone=zone)
    scheduler.start(paused=True)
    stored = scheduler.get_job(JOB_ID)
    if stored is None:
        scheduler.add_job(job or "billing.scheduler:scheduled_close", trigger, id=JOB_ID,
                          name="monthly close")
    elif str(stored.trigger) != str(trigger):
        scheduler.reschedule_job(JOB_ID, trigger=trigger)
    if alert_minutes:
        scheduler.add_job("billing.scheduler:scheduled_rate_and_alert",
                          IntervalTrigger(minutes=alert_minutes, timezone=zone),
                          id=ALERT_JOB_ID, name="rate and alert", replace_existing=True)
    # replacing a stored job would drop the run it missed while the service was down
    scheduler.resume()
    log.info("monthly close scheduled (%s, %s); next run %s", config.close_cron,
             config.timezone, scheduler.get_job(JOB_ID).next_run_time)
    return scheduler
