"""`billing archive`: a closed month's raw events go to Parquet, verified, and leave the ledger;
reconcile still checks the month, from the files."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pyarrow.dataset as ds
from sqlalchemy import func, select
from typer.testing import CliRunner

from billing.cli import app
from billing.close.period_close import close_period
from billing.close.reconcile import reconcile
from billing.demo_data import generate
from billing.ledger.metering import ingest_lines
from billing.models import Document, RatedLine, UsageEvent
from billing.rating.card_registry import published_versions
from billing.rating.rate import Cards, rate

NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
usage, rated, documents = UsageEvent.__table__, RatedLine.__table__, Document.__table__
runner = CliRunner()
TOKENS = ("input_tokens", "output_tokens", "cached_input_tokens", "cache_write_input_tokens")


def _count(engine, table) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def _expected(lines) -> tuple[int, int, int]:  # noqa: ANN001
    """Events, requests and tokens of the valid first-seen demo events, added up here."""
    seen, requests, tokens = set(), 0, 0
    for line in lines:
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(event, dict) or not str(event.get("event_id")).startswith("demo-2026"):
            continue
        if event["event_id"] in seen:
            continue
        seen.add(event["event_id"])
        requests += int(event.get("requests", 1))
        tokens += sum(int(event.get(name, 0)) for name in TOKENS)
    return len(seen), requests, tokens


def test_archive_moves_a_closed_month_to_parquet_and_reconcile_reads_it(month, close_env,
                                                                         tmp_path):
    before = runner.invoke(app, ["archive", "--period", "2026-10", "--to", str(tmp_path)])
    assert before.exit_code == 2 and "close it first" in before.output
    close_period(month, close_env, "2026-10", now=NOW)
    lines, docs = _count(month, rated), _count(month, documents)

    done = runner.invoke(app, ["archive", "--period", "2026-10", "--to", str(tmp_path),
                               "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    events, requests, tokens = _expected(generate("2026-10", 3000, 5))
    assert (report["events"], report["requests"], report["tokens"]) == (events, requests,
                                                                         tokens)
    table = ds.dataset(tmp_path / "2026-10", partitioning="hive").to_table()
    assert table.num_rows == events and report["files"] == len(
        list((tmp_path / "2026-10").glob("usage_date=*/*.parquet"))) > 20
    assert _count(month, usage) == 0
    assert (_count(month, rated), _count(month, documents)) == (lines, docs)

    result = reconcile(month, close_env, "2026-10")
    assert result.ok, result.breaks
    again = runner.invoke(app, ["archive", "--period", "2026-10", "--to", str(tmp_path)])
    assert again.exit_code == 2 and "already archived" in again.output

    shutil.rmtree(tmp_path / "2026-10" / sorted(p.name for p in
                                                  (tmp_path / "2026-10").iterdir())[0])
    broken = reconcile(month, close_env, "2026-10")
    assert not broken.ok and "ledger" in json.dumps(broken.to_dict(), default=str)
    shutil.rmtree(tmp_path / "2026-10")
    gone = runner.invoke(app, ["reconcile", "--period", "2026-10", "--json"])
    assert gone.exit_code == 1 and "cannot be read" in gone.output


def test_archive_refuses_an_unrated_event_and_removes_nothing(month, close_env, tmp_path):
    close_period(month, close_env, "2026-10", now=NOW)
    late = json.dumps({"event_id": "late-1", "occurred_at": "2026-10-15T12:00:00Z",
                       "team": "support", "use_case": "support-copilot", "model": "gpt-4o-mini",
                       "input_tokens": 10, "output_tokens": 1})
    assert runner.invoke(app, ["ingest", _write(tmp_path / "late.jsonl", late)]).exit_code == 0
    kept = _count(month, usage)
    refused = runner.invoke(app, ["archive", "--period", "2026-10", "--to",
                                  str(tmp_path / "a")])
    assert refused.exit_code == 2 and "not rated yet" in refused.output
    assert _count(month, usage) == kept and not (tmp_path / "a" / "2026-10").exists()


def _write(path: Path, text: str) -> str:
    path.write_text(text + "\n")
    return str(path)


def _call(event_id: str, status: str, day: str) -> str:
    return json.dumps({"event_id": event_id, "occurred_at": f"2026-10-{day}T12:00:00Z",
                       "team": "support", "use_case": "support-copilot", "customer": "acme",
                       "provider": "openai", "model": "gpt-4o-mini", "requests": 3,
                       "input_tokens": 900, "output_tokens": 0, "call_status": status})


def test_failed_calls_and_cache_hits_reconcile_in_the_ledger_and_from_the_archive(
        month, close_env, tmp_path):
    """They are events that carry no usage: rating counts them as events only, and so must the
    ledger's side of reconcile and the archive's counts, or one failed call is a break."""
    ingest_lines(month, [_call("failed-in-month", "failed", "10")], zone=UTC_ZONE)
    close_period(month, close_env, "2026-10", now=NOW)
    assert reconcile(month, close_env, "2026-10").ok
    ingest_lines(month, [_call("late-cache-hit", "cache_hit", "20"),
                         _call("late-failed", "failed", "21")], zone=UTC_ZONE, source="late")
    rate(month, Cards(team=published_versions(month, "internal"),
                      customer=published_versions(month, "external")), zone=UTC_ZONE)
    assert reconcile(month, close_env, "2026-10").ok
    done = runner.invoke(app, ["archive", "--period", "2026-10", "--to", str(tmp_path),
                               "--json"])
    assert done.exit_code == 0, done.output
    events, requests, tokens = _expected(generate("2026-10", 3000, 5))
    report = json.loads(done.output)
    assert (report["events"], report["requests"], report["tokens"]) == (events + 3, requests,
                                                                         tokens)
    assert reconcile(month, close_env, "2026-10").ok
