"""OTel GenAI spans as their instrumentations write them (issue 17): the official OpenAI
instrumentation's chat, embeddings and failed-call spans, OpenLLMetry's older attribute names,
the Python SDK's ConsoleSpanExporter output, and one span's ids in any encoding."""

from __future__ import annotations

import base64
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import text

from billing.ledger.formats import otel
from billing.ledger.metering import ingest_lines

USAGE = Path(__file__).parent.parent / "fixtures" / "usage"
UTC = ZoneInfo("UTC")
TRACE = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
SPAN = "1a2b3c4d5e6f7081"


def _rows(name: str) -> list:
    return list(otel.read((USAGE / name).open()))


def test_official_openai_instrumentation_chat_embeddings_and_failed_call():
    chat, embeddings, failed = (row.data for row in _rows("otel_openai_v2_spans.json"))
    assert chat["event_id"] == f"otel:{TRACE}:{SPAN}"
    assert (chat["model"], chat["input_tokens"], chat["output_tokens"]) == ("gpt-4o-mini", 12, 5)
    assert (chat["team"], chat["provider"], chat["call_status"]) == ("support", "openai", "ok")
    assert (embeddings["model"], embeddings["input_tokens"], embeddings["output_tokens"]) == (
        "text-embedding-3-small", 6, 0)
    assert failed["call_status"] == "failed"
    assert (chat["latency_ms"], chat["status"]) == (1000, "ok")
    assert (failed["input_tokens"], failed["output_tokens"]) == (0, 0)
    assert failed["model"] == "this-model-does-not-exist"


def test_failed_spans_are_kept_not_rejected_and_re_ingest_is_idempotent(engine):
    name = "otel_openai_v2_spans.json"
    result = ingest_lines(engine, (USAGE / name).open(), zone=UTC, fmt="otel", source=name)
    assert (result.accepted, result.rejected) == (3, 0), result.errors
    again = ingest_lines(engine, (USAGE / name).open(), zone=UTC, fmt="otel", source=name)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 3, 0)
    with engine.connect() as connection:
        status = dict(connection.execute(text(
            "SELECT model, call_status FROM usage_event")).all())
    assert status == {"gpt-4o-mini": "ok", "text-embedding-3-small": "ok",
                      "this-model-does-not-exist": "failed"}


def test_every_otel_fixture_lands_whole_and_re_ingest_is_all_duplicates(engine):
    for name in ("otel_openai_v2_spans.json", "otel_openllmetry_spans.json",
                 "otel_console_exporter.txt"):
        first = ingest_lines(engine, (USAGE / name).open(), zone=UTC, fmt="otel", source=name)
        assert (first.accepted, first.rejected) == (3, 0), (name, first.errors)
        again = ingest_lines(engine, (USAGE / name).open(), zone=UTC, fmt="otel", source=name)
        assert (again.accepted, again.duplicates, again.rejected) == (0, 3, 0), name


def test_openllmetry_older_names_cache_read_and_prompt_tokens():
    creation, read, embedding = (row.data for row in _rows("otel_openllmetry_spans.json"))
    assert (creation["input_tokens"], creation["cached_input_tokens"]) == (1149, 0)
    assert (read["input_tokens"], read["cached_input_tokens"], read["output_tokens"]) == (
        125, 1024, 353)
    assert (read["team"], read["use_case"]) == ("legal", "contract-extraction")
    assert (embedding["model"], embedding["input_tokens"], embedding["output_tokens"]) == (
        "text-embedding-ada-002", 8, 0)


def test_console_exporter_output_is_read():
    rows = _rows("otel_console_exporter.txt")
    assert [row.error for row in rows] == [None, None, None]
    chat, embeddings, failed = (row.data for row in rows)
    assert chat["event_id"].startswith("otel:fa44ecbe1c90a1ea3b7f77142de24370:")
    assert "0x" not in chat["event_id"]
    assert (chat["input_tokens"], chat["cached_input_tokens"], chat["output_tokens"]) == (
        512, 1536, 128)
    assert (chat["occurred_at"], chat["environment"]) == ("2026-10-07T09:00:00.000000Z",
                                                         "staging")
    assert (embeddings["input_tokens"], embeddings["output_tokens"]) == (6, 0)
    assert failed["call_status"] == "failed"
    assert (chat["latency_ms"], chat["status"]) == (900, "ok")


def _export(trace_id: str, span_id: str) -> str:
    return orjson.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": trace_id, "spanId": span_id, "startTimeUnixNano": "1791194400000000000",
        "attributes": [
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o-mini"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "10"}},
            {"key": "gen_ai.usage.output_tokens", "value": {"intValue": 2}}]}]}]}]}).decode()


def test_one_span_in_hex_0x_hex_upper_case_and_base64_is_one_event(engine):
    """Ids that are none of these (`t1`) stay as they came."""
    encodings = [(TRACE, SPAN), (f"0x{TRACE}", f"0x{SPAN}"), (TRACE.upper(), SPAN.upper()),
                 (base64.b64encode(bytes.fromhex(TRACE)).decode(),
                  base64.b64encode(bytes.fromhex(SPAN)).decode()),
                 (base64.urlsafe_b64encode(bytes.fromhex(TRACE)).decode().rstrip("="),
                  base64.urlsafe_b64encode(bytes.fromhex(SPAN)).decode().rstrip("="))]
    ids = {next(otel.read([_export(*pair)])).data["event_id"] for pair in encodings}
    assert ids == {f"otel:{TRACE}:{SPAN}"}
    results = [ingest_lines(engine, [_export(*pair)], zone=UTC, fmt="otel")
               for pair in encodings]
    assert [(r.accepted, r.duplicates) for r in results] == [(1, 0)] + [(0, 1)] * 4


def test_cache_counts_larger_than_input_mean_input_excludes_them():
    """Some instrumentations report Anthropic's uncached input as input_tokens: cache counts
    larger than it cannot be part of it, so input is taken as it is, never made negative."""
    line = orjson.dumps({"context": {"trace_id": TRACE, "span_id": SPAN},
                         "start_time": "2026-10-05T10:00:00Z", "attributes": {
                             "gen_ai.request.model": "claude-sonnet-4",
                             "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 40,
                             "gen_ai.usage.cache_read_input_tokens": 3000,
                             "gen_ai.usage.cache_creation_input_tokens": 500}}).decode()
    event = next(otel.read([line])).data
    assert (event["input_tokens"], event["cached_input_tokens"],
            event["cache_write_input_tokens"]) == (10, 3000, 500)


def test_a_span_carries_its_latency_and_outcome_status():
    def span(attributes: dict, end: str = "1791194401250000000", code: int = 0) -> dict:
        found = orjson.loads(_export("fa44ecbe1c90a1ea3b7f77142de24370", "1a2b3c4d5e6f7081"))
        item = found["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
        item["endTimeUnixNano"] = end
        item["status"] = {"code": code}
        item["attributes"] += [{"key": key, "value": {"stringValue": value}}
                               for key, value in attributes.items()]
        [row] = list(otel.genai_rows(found))
        return row.data

    assert (span({})["latency_ms"], span({})["status"]) == (1250, "ok")
    assert span({"error.type": "429"}, code=2)["status"] == "rate_limited"
    assert span({"error.type": "timeout"}, code=2)["status"] == "timeout"
    assert span({"error.type": "InternalServerError"}, code=2)["status"] == "error"
    assert "latency_ms" not in span({}, end="1791194399000000000")
