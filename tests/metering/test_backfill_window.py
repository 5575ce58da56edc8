"""Events dated before 2000 or more than a day ahead are refused per row (a broken clock or a
unit mix-up), unless the operator ingests with --allow-backfill (issue 16)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from billing.api.app import create_app
from billing.cli import app
from billing.ledger.bulk_ingest import ingest_file_parallel
from billing.ledger.usage_event import InvalidEvent, validate
from billing.models import UsageEvent

runner = CliRunner()
NOW = datetime(2026, 12, 2, 20, 30, tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(event_id: str, occurred_at: str) -> dict:
    return {"event_id": event_id, "occurred_at": occurred_at, "team": "support",
            "model": "gpt-4o-mini", "input_tokens": 10, "output_tokens": 5}


def _count(engine) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(UsageEvent.__table__)).scalar_one()


@pytest.mark.parametrize("occurred_at", [
    "1999-12-31T23:59:59Z", "2000-01-01T00:30:00+01:00", "1970-01-01T00:00:00Z",
    _stamp(NOW + timedelta(days=1, seconds=1)), "2099-01-01T00:00:00Z",
])
def test_outside_the_window_is_refused_naming_occurred_at_unless_backfill(occurred_at):
    with pytest.raises(InvalidEvent) as refused:
        validate(_event("w-1", occurred_at), UTC, now=NOW)
    assert refused.value.field == "occurred_at"
    assert "--allow-backfill" in refused.value.message
    assert validate(_event("w-1", occurred_at), UTC, now=NOW, backfill=True)["event_id"] == "w-1"


@pytest.mark.parametrize("occurred_at", [
    "2000-01-01T00:00:00Z", "2026-10-01T12:00:00Z", _stamp(NOW + timedelta(days=1)),
])
def test_the_edges_of_the_window_are_accepted(occurred_at):
    assert validate(_event("w-1", occurred_at), UTC, now=NOW)["event_id"] == "w-1"


def _lines(tomorrow_plus: str) -> list[str]:
    return [json.dumps(_event("old", "1999-06-30T12:00:00Z")),
            json.dumps(_event("good", "2026-10-01T12:00:00Z")),
            json.dumps(_event("ahead", tomorrow_plus))]


@pytest.fixture
def env(engine, database_url, monkeypatch):  # noqa: ANN001
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def test_cli_ingest_rejects_per_row_and_allow_backfill_lets_them_in(env, engine, tmp_path):
    ahead = _stamp(datetime.now(UTC) + timedelta(days=3))
    path = tmp_path / "window.jsonl"
    path.write_text("\n".join(_lines(ahead)) + "\n")
    result = runner.invoke(app, ["ingest", str(path), "--json"])
    assert result.exit_code == 1, result.output  # rows rejected, the good one loaded
    ingested = json.loads(result.stdout)["files"][0]
    assert (ingested["accepted"], ingested["rejected"]) == (1, 2)
    assert ingested["rejected_by_field"] == {"occurred_at": 2}
    assert [error["row"] for error in ingested["errors"]] == [1, 3]
    assert _count(engine) == 1
    replayed = runner.invoke(app, ["ingest", "--replay-quarantine", "--allow-backfill", "--json"])
    assert replayed.exit_code == 0, replayed.output
    assert json.loads(replayed.stdout)["replay"]["replayed"] == 2
    assert _count(engine) == 3


def test_cli_ingest_with_allow_backfill_accepts_old_and_future_events(env, engine, tmp_path):
    path = tmp_path / "window.jsonl"
    path.write_text("\n".join(_lines(_stamp(datetime.now(UTC) + timedelta(days=3)))) + "\n")
    result = runner.invoke(app, ["ingest", str(path), "--allow-backfill", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"][0]["accepted"] == 3
    assert "--allow-backfill" in runner.invoke(app, ["ingest", "--help"]).output


def test_the_parallel_ingest_honours_the_window_and_backfill(engine, database_url, tmp_path):
    path = tmp_path / "window.jsonl"
    path.write_text("\n".join(_lines(_stamp(datetime.now(UTC) + timedelta(days=3)))) + "\n")
    strict = ingest_file_parallel(database_url, Path(path), zone=UTC, workers=1)
    assert (strict.accepted, strict.rejected) == (1, 2)
    lenient = ingest_file_parallel(database_url, Path(path), zone=UTC, workers=1, backfill=True)
    assert (lenient.accepted, lenient.duplicates) == (2, 1)


def test_the_api_rejects_only_the_out_of_window_row(engine, settings):  # noqa: ANN001
    batch = [_event("api-good", "2026-10-01T12:00:00Z"), _event("api-old", "1999-12-31T00:00:00Z")]
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.post("/v1/usage", content=json.dumps(batch), headers={
            "Authorization": "Bearer test-key", "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["accepted"], result["rejected"]) == (1, 1)
    assert result["errors"][0]["field"] == "occurred_at" and result["errors"][0]["index"] == 1
    assert _count(engine) == 1
