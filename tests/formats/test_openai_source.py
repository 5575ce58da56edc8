"""OpenAI organization usage read as the API reference shows it (issue 17): `model: null`,
embeddings pages, cache-write input, batch and service tiers priced, and buckets restated."""

from __future__ import annotations

import json
from datetime import UTC as UTC_TZ
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from billing.ledger.formats import openai
from billing.ledger.metering import ingest_lines
from billing.ledger.restatement import history
from billing.models import PeriodClose, RatedLine, UsageBucket, UsageEvent
from billing.rating.rate import Cards, rate
from ratecards import load_card

UTC = ZoneInfo("UTC")
USAGE = Path(__file__).parent.parent / "fixtures" / "usage"
COMPLETIONS = "openai_usage_completions_example.json"
EMBEDDINGS = "openai_usage_embeddings_example.json"
GROUPED = "openai_usage_grouped.json"
CARD = load_card("""
card: tiers
version: "2026-10"
effective_from: 2026-10-01
currency: USD
tiers:
  good:
    description: small
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0.10"
    per_request_fee: "0.0001"
    models:
      gpt-4o-mini:
        provider: openai
        input: "0.15"
        output: "0.60"
        cached_input: "0.075"
        batch: {input: "0.075", output: "0.30", cached_input: "0.0375"}
        flex: {input: "0.08", output: "0.32", cached_input: "0.04"}
  better:
    description: none
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0"
    per_request_fee: "0"
    models: {}
  best:
    description: none
    slo: {p95_latency_ms: 2000, availability: "99.5%"}
    markup: "0"
    per_request_fee: "0"
    models: {}
""", "tiers.yaml")
CARDS = Cards(team=[CARD], customer=[CARD])


def _read(name: str) -> list:
    with (USAGE / name).open() as handle:
        return list(openai.read(handle))


def _ingest(engine, name: str, lines: list[str] | None = None):  # noqa: ANN001, ANN202
    source = lines if lines is not None else (USAGE / name).open()
    return ingest_lines(engine, source, zone=UTC, fmt="openai", source=name)


def _page(name: str, **changes) -> list[str]:  # noqa: ANN003
    page = json.loads((USAGE / name).read_text())
    page["data"][0]["results"][0].update(changes)
    return [json.dumps(page)]


def _lines(engine) -> list:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(select(RatedLine.__table__).where(
            RatedLine.__table__.c.view == "showback")).mappings().all()


def test_spec_completions_example_model_null_is_read_as_ungrouped():
    [row] = _read(COMPLETIONS)
    assert row.error is None, row.error
    event = row.data
    assert event["model"] == "ungrouped"
    assert (event["input_tokens"], event["cached_input_tokens"], event["output_tokens"],
            event["requests"]) == (200, 800, 500, 5)
    assert row.bucket == ("organization.usage.completions.result", 1791504000, 1791590400)


def test_ungrouped_bucket_is_kept_and_shown_unpriced(engine):
    assert _ingest(engine, COMPLETIONS).accepted == 1
    rate(engine, CARDS, zone=UTC)
    [line] = _lines(engine)
    assert line["model"] == "ungrouped" and "ungrouped" in line["unpriced_reason"]


def test_spec_embeddings_example_has_no_output_tokens():
    [row] = _read(EMBEDDINGS)
    assert row.error is None, row.error
    assert (row.data["input_tokens"], row.data["output_tokens"], row.data["requests"]) == (
        16, 0, 2)
    assert row.bucket[0] == "organization.usage.embeddings.result"


def test_cache_write_batch_and_service_tier():
    plain, batch, flex, cache = (row.data for row in _read(GROUPED))
    assert (plain["service_tier"], batch["service_tier"], flex["service_tier"]) == (
        "standard", "batch", "flex")
    assert (cache["input_tokens"], cache["cached_input_tokens"],
            cache["cache_write_input_tokens"]) == (1500, 1000, 500)


def test_batch_and_flex_reach_the_price(engine):
    assert _ingest(engine, GROUPED).accepted == 4
    rate(engine, CARDS, zone=UTC)
    lines = {line["service_tier"]: line for line in _lines(engine)
             if line["service_tier"] != "standard"}
    batch = lines["batch"]
    # 2M input x 0.075 + 1M output x 0.30 = 0.45, markup 10%, 100 requests x 0.0001
    assert batch["input_price"] == Decimal("0.075")
    assert batch["amount"] == Decimal("0.45") * Decimal("1.10") + Decimal("0.0100")
    flex = lines["flex"]
    # 200 input x 0.08 + 800 cached x 0.04 + 500 output x 0.32, per million
    assert flex["provider_cost"] == (200 * Decimal("0.08") + 800 * Decimal("0.04")
                                     + 500 * Decimal("0.32")) / 1_000_000


def test_every_openai_fixture_reingests_idempotently(engine):
    """GROUPED is the day of COMPLETIONS grouped by project, key, model and batch: after the
    ungrouped pull its rows are that usage again, refused; alone it is read like the others."""
    for name in (COMPLETIONS, EMBEDDINGS, GROUPED):
        first = _ingest(engine, name)
        again = _ingest(engine, name)
        assert (again.accepted, again.restated) == (0, 0)
        assert again.duplicates == first.accepted
        if name == GROUPED:
            assert (first.accepted, first.rejected) == (0, 4)
            assert {error.field for error in first.errors} == {"group_by"}
            with engine.begin() as connection:
                connection.execute(UsageBucket.__table__.delete())
                connection.execute(UsageEvent.__table__.delete())
            first = _ingest(engine, name)
            assert (first.accepted, _ingest(engine, name).duplicates) == (4, 4)
        else:
            assert first.rejected == 0, first.errors


def _ledger_input(engine) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(select(func.sum(UsageEvent.__table__.c.input_tokens))
                                  ).scalar_one()


def test_a_bucket_pulled_again_with_grown_numbers_is_restated_with_an_audit_record(engine):
    _ingest(engine, COMPLETIONS)
    rate(engine, CARDS, zone=UTC)
    grown = _page(COMPLETIONS, input_tokens=1500, num_model_requests=7)
    result = _ingest(engine, COMPLETIONS, grown)
    assert (result.accepted, result.restated, result.rejected) == (0, 1, 0), result.errors
    assert _ledger_input(engine) == 1500 - 800
    with engine.connect() as connection:
        event_id = connection.execute(select(UsageEvent.__table__.c.event_id)).scalars().first()
        [record] = history(connection, event_id)
    assert (record["old"]["input_tokens"], record["new"]["input_tokens"]) == (200, 700)
    assert (record["old"]["requests"], record["new"]["requests"]) == (5, 7)
    assert record["restated_at"] is not None
    again = _ingest(engine, COMPLETIONS, grown)
    assert (again.duplicates, again.restated) == (1, 0)
    rate(engine, CARDS, zone=UTC)
    assert sum(line["input_tokens"] for line in _lines(engine)) == 700
    assert sum(line["requests"] for line in _lines(engine)) == 7


def test_buckets_of_another_width_over_the_same_time_are_refused(engine):
    _ingest(engine, COMPLETIONS)
    hourly = json.loads((USAGE / COMPLETIONS).read_text())
    hourly["data"][0]["end_time"] = hourly["data"][0]["start_time"] + 3600
    result = _ingest(engine, "hourly.json", [json.dumps(hourly)])
    assert (result.accepted, result.rejected) == (0, 1)
    [error] = result.errors
    assert error.field == "start_time"
    assert "(1h) overlaps the 1d bucket" in error.message and "bucket_width=1d" in error.message
    assert _ledger_input(engine) == 200


def test_a_restatement_after_the_close_is_a_prior_period_adjustment(engine):
    _ingest(engine, GROUPED)
    rate(engine, CARDS, zone=UTC)
    with engine.begin() as connection:
        connection.execute(insert(PeriodClose.__table__).values(
            period="2026-10", closed_at=datetime.now(UTC_TZ), closed_by="test"))
    grown = _page(GROUPED, output_tokens=900)
    assert _ingest(engine, GROUPED, grown).restated == 1
    rate(engine, CARDS, zone=UTC)
    [adjustment] = [line for line in _lines(engine) if line["adjusts_period"]]
    assert (adjustment["period"], adjustment["adjusts_period"]) == ("2026-11", "2026-10")
    assert (adjustment["output_tokens"], adjustment["input_tokens"]) == (400, 0)


def test_a_bucket_that_shrank_is_restated_down(engine):
    _ingest(engine, COMPLETIONS)
    result = _ingest(engine, COMPLETIONS, _page(COMPLETIONS, output_tokens=450))
    assert result.restated == 1
    rate(engine, CARDS, zone=UTC)
    assert sum(line["output_tokens"] for line in _lines(engine)) == 450


def test_the_same_day_pulled_with_another_group_by_is_refused_per_row_not_counted_twice(engine):
    by_model = _page(COMPLETIONS, model="gpt-4o-mini")
    assert _ingest(engine, "by_model.json", by_model).accepted == 1
    page = json.loads((USAGE / COMPLETIONS).read_text())
    page["data"][0]["results"] = [
        {**page["data"][0]["results"][0], "project_id": project, "input_tokens": tokens,
         "input_cached_tokens": 0}
        for project, tokens in (("proj_a", 600), ("proj_b", 400))]
    result = _ingest(engine, "by_project.json", [json.dumps(page)])
    assert (result.accepted, result.rejected) == (0, 2)
    assert {error.field for error in result.errors} == {"group_by"}
    message = result.errors[0].message
    assert "grouped by model" in message and "grouped by project_id" in message
    assert "counted twice" in message or "count it twice" in message
    assert "pull this time again grouped by model" in message
    assert _ledger_input(engine) == 1000 - 800
    again = _ingest(engine, "by_model.json", _page(COMPLETIONS, model="gpt-4o-mini",
                                                    input_tokens=1200))
    assert (again.restated, again.rejected) == (1, 0)
    assert _ledger_input(engine) == 1200 - 800


def test_a_grouped_pull_keeps_one_grouping_across_its_rows():
    rows = _read(GROUPED)
    assert {row.bucket[0] for row in rows} == {
        "organization.usage.completions.result|by=project_id,user_id,api_key_id,model,batch"}
