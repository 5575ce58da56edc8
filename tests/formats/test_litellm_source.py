"""LiteLLM spend logs read as LiteLLM writes them (issue 17): its own GCS/Pub/Sub fixture and docs
example, and the edge rows around them (tests/fixtures/README.md names the sources)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from billing.ledger.formats import litellm
from billing.ledger.metering import ingest_lines
from billing.models import IngestBatch, QuarantinedRow, RatedLine
from billing.rating.rate import Cards, rate
from ratecards import load_card

UTC = ZoneInfo("UTC")
USAGE = Path(__file__).parent.parent / "fixtures" / "usage"
CARD = load_card((Path(__file__).parents[2] / "ratecards" / "cards" / "internal-2026-10.yaml")
                 .read_text(), "internal-2026-10.yaml")


def _rows(name: str) -> list:
    with (USAGE / name).open() as handle:
        return list(litellm.read(handle))


def test_litellm_own_fixture_json_text_metadata_and_zone_less_start():
    [row] = _rows("litellm_spend_logs_payload.json")
    assert row.error is None, row.error
    event = row.data
    assert event["occurred_at"] == "2026-10-08T09:20:46.847371Z"
    assert (event["model"], event["provider"]) == ("gpt-4o", "openai")
    assert (event["input_tokens"], event["output_tokens"], event["cached_input_tokens"]) == (
        10, 20, 0)
    assert event["call_status"] == "ok" and "team" not in event and "customer" not in event
    assert (event["latency_ms"], event["status"]) == (5, "ok")  # endTime - startTime: 4.583 ms


def test_litellm_docs_example_t_separated_zone_less_start():
    [row] = _rows("litellm_gcs_bucket_docs.json")
    assert row.error is None, row.error
    assert row.data["occurred_at"] == "2026-10-08T14:27:12.563246Z"
    assert row.data["customer"] == "ishaan-2"


def test_litellm_edge_rows():
    rows = {row.row: row for row in _rows("litellm_edge_cases.jsonl")}
    tagged = rows[1].data
    assert tagged["team"] == "support"  # the alias, not the team_id UUID
    assert tagged["environment"] == "prod" and tagged["use_case"] == "support-copilot"
    assert tagged["tags"]["User-Agent"] == "OpenAI/Python"
    assert tagged["tags"]["User-Agent.2"] == "OpenAI/Python 1.52.0"
    assert rows[2].data["team"] == "legal-ops"
    assert rows[3].data["call_status"] == "cache_hit"
    assert rows[4].data["call_status"] == "failed"
    image = rows[5].data
    assert (image["model"], image["reported_cost"], image["input_tokens"]) == ("dall-e-3",
                                                                             "0.04", 0)
    assert rows[6].data is None and rows[6].field == "metadata"
    assert "not JSON" in rows[6].error
    assert rows[7].data is None and "could not be read" in rows[7].error
    assert rows[8].data["occurred_at"] == "2026-10-08T11:00:00Z"
    assert rows[8].data["team"] == "sales"


def test_a_bad_row_is_its_own_error_the_file_lands_and_reingest_adds_nothing(engine):
    name = "litellm_edge_cases.jsonl"
    result = ingest_lines(engine, (USAGE / name).open(), zone=UTC, fmt="litellm", source=name)
    assert (result.accepted, result.rejected) == (6, 2)
    assert {error.row for error in result.errors} == {6, 7}
    with engine.connect() as connection:
        parked = connection.execute(select(QuarantinedRow.__table__)).mappings().all()
        batch = connection.execute(select(IngestBatch.__table__)).mappings().one()
    lines = (USAGE / name).read_text().splitlines()
    assert sorted((row["row"], row["raw"]) for row in parked) == [(6, lines[5]), (7, lines[6])]
    assert batch["finished_at"] is not None
    again = ingest_lines(engine, (USAGE / name).open(), zone=UTC, fmt="litellm", source=name)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 6, 2)
    with engine.connect() as connection:
        assert len(connection.execute(select(QuarantinedRow.__table__)).all()) == 2


def test_every_litellm_fixture_ingests_and_reingests_idempotently(engine):
    for name in ("litellm_spend_logs_payload.json", "litellm_gcs_bucket_docs.json"):
        first = ingest_lines(engine, (USAGE / name).open(), zone=UTC, fmt="litellm")
        assert (first.accepted, first.rejected) == (1, 0), first.errors
        again = ingest_lines(engine, (USAGE / name).open(), zone=UTC, fmt="litellm")
        assert (again.accepted, again.duplicates) == (0, 1)


def test_cache_hits_and_failures_counted_not_billed_spend_only_priced_as_reported(engine):
    name = "litellm_edge_cases.jsonl"
    ingest_lines(engine, (USAGE / name).open(), zone=UTC, fmt="litellm", source=name)
    rate(engine, Cards(team=[CARD], customer=[CARD]), zone=UTC)
    with engine.connect() as connection:
        lines = connection.execute(select(RatedLine.__table__).where(
            RatedLine.__table__.c.view == "showback")).mappings().all()
    unbilled = next(line for line in lines
                    if line["team"] == "support" and line["environment"] == "production"
                    and line["model"] == "gpt-4o-mini")
    assert unbilled["events"] == 2  # the cache hit and the failed call, both counted
    assert (unbilled["requests"], unbilled["input_tokens"], unbilled["output_tokens"]) == (
        0, 0, 0)
    assert unbilled["amount"] == 0 and unbilled["unpriced_reason"] is None
    image = next(line for line in lines if line["model"] == "dall-e-3")
    assert image["unpriced_reason"] is None
    assert (image["reported_cost_nanos"], image["provider_cost"], image["amount"]) == (
        40_000_000, Decimal("0.04"), Decimal("0.04"))


def test_spend_only_row_on_a_priced_model_carries_markup_and_fee(engine):
    row = {"request_id": "img-2", "startTime": "2026-10-08 10:00:00", "model": "gpt-4o-mini",
           "prompt_tokens": 0, "completion_tokens": 0, "spend": 0.04, "team_id": "t",
           "status": "success"}
    ingest_lines(engine, [json.dumps(row)], zone=UTC, fmt="litellm")
    rate(engine, Cards(team=[CARD], customer=[CARD]), zone=UTC)
    with engine.connect() as connection:
        line = connection.execute(select(RatedLine.__table__)).mappings().one()
    # good tier of internal@2026-10: markup 5%, fee 0.0001 per request
    assert line["amount"] == Decimal("0.04") * Decimal("1.05") + Decimal("0.0001")


def test_a_failed_call_without_counts_is_kept_not_refused():
    row = {"request_id": "fail-1", "startTime": "2026-10-08 10:00:00", "model": "gpt-4o",
           "status": "failure", "spend": 0.0, "metadata": "{}"}
    [read] = litellm.read([json.dumps(row)])
    assert (read.data["call_status"], read.data["input_tokens"], read.data["output_tokens"]) == (
        "failed", 0, 0)


def test_failures_map_to_an_outcome_status_and_bad_times_leave_latency_out():
    base = {"request_id": "f-1", "startTime": "2026-10-08 10:00:00",
            "endTime": "2026-10-08 10:00:02.5", "model": "gpt-4o", "status": "failure"}
    for information, status in (({"error_code": "429", "error_class": "RateLimitError"},
                                 "rate_limited"),
                                ({"error_class": "Timeout"}, "timeout"),
                                ({"error_class": "ContentPolicyViolationError"}, "refused"),
                                ({"error_code": "500"}, "error"), (None, "error")):
        event = litellm.event_from_spend_log({**base, "metadata": {
            "error_information": information}})
        assert (event["status"], event["latency_ms"], event["call_status"]) == (
            status, 2500, "failed")
    backwards = litellm.event_from_spend_log({**base, "endTime": "2026-10-08 09:59:59",
                                              "status": "success"})
    assert "latency_ms" not in backwards and backwards["status"] == "ok"
    assert "status" not in litellm.event_from_spend_log({**base, "status": None})
