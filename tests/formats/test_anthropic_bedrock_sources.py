"""Anthropic's usage report and Bedrock's invocation logs read as their publishers write them
(issue 17): counts disjoint as ours, attribution facts as tags, buckets restated, failed calls
kept and not billed, every file idempotent under re-ingest."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from billing.close.chargeback import customer_charges
from billing.ledger.formats import anthropic, bedrock
from billing.ledger.formats.recognise import recognise
from billing.ledger.metering import ingest_lines
from billing.ledger.restatement import history
from billing.ledger.usage_event import InvalidEvent, validate
from billing.models import RatedLine, RatingRun
from billing.rating.rate import Cards, rate
from ratecards import load_card
from tests.cards.test_model_aliases import CARD

UTC = ZoneInfo("UTC")
USAGE = Path(__file__).parent.parent / "fixtures" / "usage"
REPORT = "anthropic_usage_messages_example.json"
EDGES = "anthropic_usage_edge_cases.jsonl"
LOGS = "bedrock_invocation_logs.jsonl"
# Anthropic's price of its web-search tool: $10 per 1,000 searches
SEARCH_CARD = CARD.replace('cache_write_input: "3.75"',
                           'cache_write_input: "3.75"\n        web_search_per_1k: "10.00"')


def _read(reader, name: str) -> list:  # noqa: ANN001
    with (USAGE / name).open() as handle:
        return list(reader(handle))


def _ingest(engine, name: str, fmt: str, lines: list[str] | None = None):  # noqa: ANN001, ANN202
    source = lines if lines is not None else (USAGE / name).open()
    return ingest_lines(engine, source, zone=UTC, fmt=fmt, source=name)


def test_reference_example_maps_every_count_and_fact():
    [row] = _read(anthropic.read, REPORT)
    assert row.error is None, row.error
    event = row.data
    assert (event["input_tokens"], event["cached_input_tokens"],
            event["cache_write_input_tokens"], event["cache_write_1h_input_tokens"],
            event["output_tokens"]) == (1500, 200, 1500, 1000, 500)
    assert event["model"] == "claude-sonnet-4-20250514"
    assert event["service_tier"] == "standard" and event["provider"] == "anthropic"
    assert event["occurred_at"] == "2026-10-08T00:00:00Z"
    assert event["tags"] == {
        "provider_workspace": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ",
        "api_key": "apikey_01Rj2N8SVvo6BePZj99NhmiT", "context_window": "0-200k"}
    assert event["web_search_requests"] == 10
    assert row.bucket[0] == "anthropic.usage_report.messages"
    assert row.bucket[2] - row.bucket[1] == 86_400


def test_ungrouped_tiers_and_bad_results_stay_on_their_rows():
    ungrouped, batch, priority, bad_count, bad_cache = _read(anthropic.read, EDGES)
    assert ungrouped.data["model"] == "ungrouped"
    assert ungrouped.data["service_tier"] == "standard"
    assert batch.data["service_tier"] == "batch"
    assert priority.data["service_tier"] == "priority"
    assert bad_count.error is None  # the validator names uncached_input_tokens
    assert bad_cache.field == "cache_creation"


def test_report_ingests_rejects_per_row_and_reingests_idempotently(engine):
    first = _ingest(engine, EDGES, "anthropic")
    assert (first.accepted, first.rejected) == (3, 2), first.errors
    assert {error.field for error in first.errors} == {"input_tokens", "cache_creation"}
    again = _ingest(engine, EDGES, "anthropic")
    assert (again.accepted, again.duplicates, again.restated) == (0, 3, 0)
    assert _ingest(engine, REPORT, "anthropic").accepted == 1
    assert _ingest(engine, REPORT, "anthropic").duplicates == 1


def test_a_repulled_bucket_is_restated_with_its_history(engine):
    assert _ingest(engine, REPORT, "anthropic").accepted == 1
    page = json.loads((USAGE / REPORT).read_text())
    page["data"][0]["results"][0]["output_tokens"] = 900
    result = _ingest(engine, REPORT, "anthropic", [json.dumps(page)])
    assert (result.accepted, result.restated) == (0, 1)
    [event] = _read(anthropic.read, REPORT)
    with engine.connect() as connection:
        [record] = history(connection, event.data["event_id"])
    assert (record["old"]["output_tokens"], record["new"]["output_tokens"]) == (500, 900)


def test_an_hourly_pull_over_a_day_already_read_is_refused(engine):
    assert _ingest(engine, REPORT, "anthropic").accepted == 1
    page = json.loads((USAGE / REPORT).read_text())
    page["data"][0]["ending_at"] = "2026-10-08T01:00:00Z"
    result = _ingest(engine, REPORT, "anthropic", [json.dumps(page)])
    assert result.rejected == 1
    assert "bucket_width=1d" in result.errors[0].message


def test_bedrock_log_maps_ids_counts_and_attribution():
    plain, profile, arn, failed, bad = _read(bedrock.read, LOGS)
    assert plain.data["event_id"] == "0f6a1c34-8e5b-4d5c-9d1b-7a2f3c4d5e60"
    assert plain.data["model"] == "anthropic.claude-sonnet-4-20250514-v1:0"
    assert (plain.data["input_tokens"], plain.data["output_tokens"]) == (35, 446)
    assert plain.data["tags"]["aws_identity"] == (
        "arn:aws:sts::123456789012:assumed-role/support-bot/session-1")
    assert (plain.data["tags"]["team"], plain.data["tags"]["costCentre"]) == (
        "support", "CC-1234")
    assert profile.data["model"] == "us.anthropic.claude-sonnet-4-20250514-v1:0"
    assert (profile.data["cached_input_tokens"], profile.data["cache_write_input_tokens"]) == (
        2048, 1024)
    assert profile.data["tags"]["inference_region"] == "us-west-2"
    assert arn.data["model"] == "us.anthropic.claude-sonnet-4-20250514-v1:0"
    assert arn.data["tags"]["model_arn"].startswith("arn:aws:bedrock:us-east-1:")
    assert failed.data["call_status"] == "failed"
    assert (failed.data["input_tokens"], failed.data["output_tokens"]) == (0, 0)
    assert bad.error is None


def test_bedrock_ingest_quarantines_the_bad_row_and_is_idempotent(engine):
    first = _ingest(engine, LOGS, "bedrock")
    assert (first.accepted, first.rejected) == (4, 1)
    assert first.errors[0].field == "input_tokens"
    again = _ingest(engine, LOGS, "bedrock")
    assert (again.accepted, again.duplicates) == (0, 4)


def test_cloudwatch_export_wraps_records_as_message_text():
    records = [json.loads(line) for line in (USAGE / LOGS).read_text().splitlines()[:2]]
    export = {"events": [{"timestamp": 1791450764000, "message": json.dumps(record),
                          "logStreamName": "aws/bedrock/modelinvocations"} for record in records]}
    rows = list(bedrock.read([json.dumps(export)]))
    assert [row.data["event_id"] for row in rows] == [r["requestId"] for r in records]


def test_each_fixture_is_recognised_as_its_format():
    expected = {REPORT: "anthropic", EDGES: "anthropic", LOGS: "bedrock",
                "openai_usage_completions_example.json": "openai",
                "openai_usage_grouped.json": "openai",
                "litellm_spend_logs_payload.json": "litellm",
                "litellm_edge_cases.jsonl": "litellm", "otel_spans.json": "otel",
                "native.jsonl": "native", "usage.csv": "csv"}
    found = {}
    for name in expected:
        with (USAGE / name).open() as handle:
            found[name] = recognise(handle, name)
    assert found == expected


def test_bedrock_and_anthropic_names_price_through_the_cards_aliases(engine):
    card = load_card(SEARCH_CARD, "aliases.yaml")
    assert _ingest(engine, LOGS, "bedrock").accepted == 4
    assert _ingest(engine, REPORT, "anthropic").accepted == 1
    rate(engine, Cards(team=[card], customer=[card]), zone=UTC)
    table = RatedLine.__table__
    with engine.connect() as connection:
        lines = connection.execute(select(table).where(table.c.view == "showback")).mappings()
        by_model = {}
        for line in lines:
            by_model.setdefault(line["model"], []).append(line)
    assert set(by_model) == {"anthropic.claude-sonnet-4-20250514-v1:0",
                             "us.anthropic.claude-sonnet-4-20250514-v1:0",
                             "claude-sonnet-4-20250514"}
    for model, found in by_model.items():
        for line in found:
            assert line["unpriced_reason"] is None, (model, line["unpriced_reason"])
            assert line["priced_model"] == "claude-sonnet-4"
    # the failed call is counted but costs nothing: the line holds only the 35 + 446 call
    [direct] = by_model["anthropic.claude-sonnet-4-20250514-v1:0"]
    assert (direct["events"], direct["input_tokens"], direct["output_tokens"]) == (2, 35, 446)
    assert direct["provider_cost"] == (35 * Decimal("3.00") + 446 * Decimal("15.00")) / 10**6


def test_concatenated_console_spans_are_recognised_as_otel():
    span = {"name": "chat gpt-4o-mini", "context": {"trace_id": "0x5b8e", "span_id": "0xeee1"},
            "attributes": {"gen_ai.usage.input_tokens": 12}}
    text = json.dumps(span, indent=4) + "\n" + json.dumps(span, indent=4) + "\n"
    assert recognise(text.splitlines(keepends=True)) == "otel"


def test_a_long_pretty_printed_report_is_recognised_whole():
    page = json.loads((USAGE / REPORT).read_text())
    page["data"] = page["data"] * 400
    lines = json.dumps(page, indent=2).splitlines(keepends=True)
    assert len(lines) > 2_000 and recognise(lines) == "anthropic"


def _rated(engine, card_text: str, *, searches: bool = False) -> list:  # noqa: ANN001
    """The showback lines of tokens (or, with `searches`, of web searches)."""
    card = load_card(card_text, "aliases.yaml")
    rate(engine, Cards(team=[card], customer=[card]), zone=UTC)
    table = RatedLine.__table__
    with engine.connect() as connection:
        lines = connection.execute(select(table).where(table.c.view == "showback")
                                   .order_by(table.c.cache_write_input_price)).mappings()
        return [line for line in lines if bool(line["web_search_requests"]) == searches]


def test_one_hour_cache_writes_take_the_cards_one_hour_price(engine):
    assert _ingest(engine, REPORT, "anthropic").accepted == 1
    one_hour = SEARCH_CARD.replace('cache_write_input: "3.75"',
                            'cache_write_input: "3.75"\n        cache_write_1h_input: "6.00"')
    five, hour = _rated(engine, one_hour)
    assert (five["cache_write_input_tokens"], five["cache_write_input_price"]) == (
        500, Decimal("3.75"))
    assert (hour["cache_write_input_tokens"], hour["cache_write_input_price"]) == (
        1000, Decimal("6.00"))
    assert (hour["events"], hour["requests"], hour["input_tokens"]) == (0, 0, 0)
    assert (five["events"], five["input_tokens"], five["output_tokens"]) == (1, 1500, 500)
    expected = (1500 * Decimal("3.00") + 200 * Decimal("0.30") + 500 * Decimal("3.75")
                + 1000 * Decimal("6.00") + 500 * Decimal("15.00")) / 10**6
    assert five["provider_cost"] + hour["provider_cost"] == expected


def test_without_a_one_hour_price_every_cache_write_takes_the_cache_write_price(engine):
    assert _ingest(engine, REPORT, "anthropic").accepted == 1
    lines = _rated(engine, SEARCH_CARD)
    assert sum(line["cache_write_input_tokens"] for line in lines) == 1500
    assert {line["cache_write_input_price"] for line in lines} == {Decimal("3.75")}


def test_more_one_hour_writes_than_cache_writes_is_refused_on_its_row():
    event = {"event_id": "e1", "occurred_at": "2026-10-08T00:00:00Z", "model": "m",
             "input_tokens": 1, "output_tokens": 1, "cache_write_input_tokens": 5,
             "cache_write_1h_input_tokens": 10}
    with pytest.raises(InvalidEvent) as raised:
        validate(event, UTC)
    assert raised.value.field == "cache_write_1h_input_tokens"
    assert "cannot be more than cache_write_input_tokens (5)" in raised.value.message
    plain = {key: value for key, value in event.items() if key != "cache_write_1h_input_tokens"}
    assert validate({**event, "cache_write_1h_input_tokens": 0}, UTC)["content_hash"] == \
        validate(plain, UTC)["content_hash"]


AWS_EXAMPLE = "bedrock_aws_samples_invocation_log.json"


def test_aws_published_invocation_log_is_read_field_for_field(engine):
    """AWS's own example record (aws-samples, see tests/fixtures/README.md), pretty-printed as
    published: counts, model, time, caller, request id, metadata and operation; the prompt and
    the generation never reach the ledger."""
    with (USAGE / AWS_EXAMPLE).open() as handle:
        assert recognise(handle, AWS_EXAMPLE) == "bedrock"
    [row] = _read(bedrock.read, AWS_EXAMPLE)
    assert row.error is None, row.error
    event = validate(row.data, UTC)
    assert (event["event_id"], event["model"], event["provider"]) == (
        "3f1e2d4c-5b6a-4789-9abc-def012345678", "meta.llama3-70b-instruct-v1:0", "aws-bedrock")
    assert (event["input_tokens"], event["output_tokens"], event["cached_input_tokens"],
            event["cache_write_input_tokens"], event["requests"]) == (15, 12, 0, 0, 1)
    assert event["occurred_at"].isoformat() == "2026-10-08T14:05:09+00:00"
    assert row.data["tags"] == {
        "aws_identity": "arn:aws:sts::123456789012:assumed-role/distillation-teacher/session-7",
        "aws_account": "123456789012", "aws_region": "us-east-1",
        "bedrock_operation": "InvokeModel", "team": "research", "use_case": "distillation"}
    assert "Khartoum" not in json.dumps(row.data)
    result = _ingest(engine, AWS_EXAMPLE, "bedrock")
    assert (result.accepted, result.rejected) == (1, 0)
    assert _ingest(engine, AWS_EXAMPLE, "bedrock").duplicates == 1


def test_web_searches_of_anthropics_example_are_priced_per_1000_on_a_line_of_their_own(engine):
    """Anthropic's own usage-report example (tests/fixtures/README.md) reports 10 web-search
    requests, priced by Anthropic per 1,000 searches: a card's web_search_per_1k prices them
    on a rated line of their own, no tokens; a card without the price leaves them unpriced,
    saying what to add, never free."""
    assert _ingest(engine, REPORT, "anthropic").accepted == 1
    [line] = _rated(engine, SEARCH_CARD, searches=True)
    assert (line["web_search_requests"], line["web_search_price"]) == (10, Decimal("10.00"))
    assert (line["input_tokens"], line["output_tokens"], line["requests"], line["events"]) == (
        0, 0, 0, 0)
    assert line["provider_cost"] == line["amount"] == 10 * Decimal("10.00") / 1000
    assert line["priced_model"] == "claude-sonnet-4"
    with engine.begin() as connection:
        connection.execute(RatedLine.__table__.delete())
        connection.execute(RatingRun.__table__.delete())
    [unpriced] = _rated(engine, CARD, searches=True)
    assert unpriced["amount"] is None
    assert "web_search_per_1k" in unpriced["unpriced_reason"]
    tokens = _rated(engine, CARD)
    assert all(line["amount"] is not None for line in tokens)


def test_web_searches_are_their_own_invoice_line(engine):
    event = {"event_id": "search-1", "occurred_at": "2026-10-08T10:00:00Z", "team": "support",
             "customer": "acme", "provider": "anthropic", "model": "claude-sonnet-4",
             "input_tokens": 1_000_000, "output_tokens": 0, "web_search_requests": 1234}
    assert _ingest(engine, "e.jsonl", "native", [json.dumps(event)]).accepted == 1
    card = load_card(SEARCH_CARD, "aliases.yaml")
    rate(engine, Cards(team=[card], customer=[card]), zone=UTC)
    with engine.connect() as connection:
        lines = customer_charges(connection, "2026-10", contracts=False)["acme"].lines
    searches = [line for line in lines if line.description.endswith("web searches")]
    assert [(line.quantity, line.unit_price, line.amount, line.unit) for line in searches] == [
        (Decimal("1.234"), Decimal("10.00"), Decimal("12.34"), "k searches")]
    tokens = [line for line in lines if line.description.endswith(" input")]
    assert [line.amount for line in tokens] == [Decimal("3.00")]
