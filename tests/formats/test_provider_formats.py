"""OpenAI usage buckets, LiteLLM spend logs and OTel GenAI spans become native usage events."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from billing.ledger.formats import litellm, openai, otel
from billing.ledger.metering import ingest_lines
from billing.ledger.usage_event import validate

USAGE = Path(__file__).parent.parent / "fixtures" / "usage"


def test_openai_buckets_one_event_per_result_cached_subtracted():
    rows = list(openai.read((USAGE / "openai_usage.json").open()))
    assert len(rows) == 4
    first = rows[0].data
    assert first["occurred_at"] == "2025-10-01T00:00:00Z"
    assert (first["input_tokens"], first["cached_input_tokens"]) == (80_000, 40_000)
    assert (first["requests"], first["provider"]) == (85, "openai")
    assert first["tags"] == {"provider_project": "proj_abc", "api_key": "key_support_01",
                             "batch": "false"}
    again = list(openai.read((USAGE / "openai_usage.json").open()))
    assert [r.data["event_id"] for r in rows] == [r.data["event_id"] for r in again]
    assert len({r.data["event_id"] for r in rows}) == 4
    assert rows[3].data["output_tokens"] == -3  # passed through: the validator rejects it
    replayed = list(openai.read(rows[1].raw.splitlines()))
    assert replayed[0].data == rows[1].data


def test_litellm_logs_map_team_customer_tags_and_cache():
    rows = list(litellm.read((USAGE / "litellm_spend_logs.json").open()))
    first, second, third = (row.data for row in rows[:3])
    assert first["event_id"] == "chatcmpl-7f1c0a"
    assert first["occurred_at"] == "2026-10-03T09:15:02.123000Z"
    assert (first["team"], first["customer"], first["use_case"]) == ("support", "acme",
                                                                    "support-copilot")
    assert (first["input_tokens"], first["cached_input_tokens"]) == (176, 1024)
    assert first["prompt_version"] == "v3" and first["tags"]["jobID"] == "214590"
    assert (second["provider"], second["model"]) == ("anthropic", "claude-sonnet-4")
    assert (second["input_tokens"], second["cached_input_tokens"],
            second["cache_write_input_tokens"]) == (1500, 1000, 500)
    assert second["tags"]["staging"] == "true"
    assert (third["provider"], third["model"]) == ("aws-bedrock", "amazon.nova-lite-v1:0")
    assert "team" not in third
    assert rows[3].data is None and rows[3].row == 4 and "invalid JSON" in rows[3].error
    assert rows[4].data["event_id"] == "chatcmpl-7f1c0e"


def test_otel_spans_skip_non_genai_and_subtract_cache_reads():
    rows = list(otel.read((USAGE / "otel_spans.json").open()))
    assert len(rows) == 2
    chat = rows[0].data
    assert chat["event_id"] == "otel:5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174"
    assert chat["occurred_at"] == "2025-10-03T09:00:00Z"
    assert (chat["input_tokens"], chat["cached_input_tokens"], chat["output_tokens"]) == (
        500, 1500, 300)
    assert (chat["team"], chat["use_case"], chat["environment"]) == ("support",
                                                                     "support-copilot",
                                                                     "production")
    bedrock = rows[1].data
    assert (bedrock["provider"], bedrock["occurred_at"]) == ("aws-bedrock",
                                                             "2025-10-03T10:00:00.500000Z")


def test_otel_span_per_line_shape():
    line = ('{"context": {"trace_id": "t1", "span_id": "s1"}, "start_time": '
            '"2026-10-05T10:00:00Z", "attributes": {"gen_ai.provider.name": "gcp.gemini", '
            '"gen_ai.request.model": "gemini-2.0-flash", "gen_ai.usage.input_tokens": 10, '
            '"gen_ai.usage.output_tokens": 2}}')
    row = next(otel.read([line]))
    assert row.data["event_id"] == "otel:t1:s1" and row.data["provider"] == "google"
    assert validate(row.data, ZoneInfo("UTC"))["period"] == "2026-10"


def test_every_format_lands_its_good_rows_and_quarantines_the_bad(engine):
    zone = ZoneInfo("UTC")
    cases = {"openai": ("openai_usage.json", 3, 1), "litellm": ("litellm_spend_logs.json", 3, 2),
             "otel": ("otel_spans.json", 1, 1)}
    for fmt, (name, accepted, rejected) in cases.items():
        result = ingest_lines(engine, (USAGE / name).open(), zone=zone, fmt=fmt, source=name)
        assert (result.accepted, result.rejected) == (accepted, rejected), fmt
        again = ingest_lines(engine, (USAGE / name).open(), zone=zone, fmt=fmt, source=name)
        assert (again.accepted, again.duplicates) == (0, accepted), fmt
