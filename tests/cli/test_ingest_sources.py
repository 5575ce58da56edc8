"""`billing ingest --format openai|litellm|otel` as a user runs it: a re-pulled usage bucket is
reported as restated, in text and in --json; the SDK's console span output is read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from billing.cli import app

USAGE = Path(__file__).parent.parent / "fixtures" / "usage"
runner = CliRunner()


@pytest.fixture
def env(engine, database_url, monkeypatch):  # noqa: ANN001
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def test_openai_repull_reports_the_restatement(env, tmp_path):  # noqa: ANN001
    name = "openai_usage_completions_example.json"
    first = runner.invoke(app, ["ingest", "--format", "openai", str(USAGE / name), "--json"])
    assert first.exit_code == 0, first.output
    page = json.loads((USAGE / name).read_text())
    page["data"][0]["results"][0]["output_tokens"] = 650
    later = tmp_path / "later.json"
    later.write_text(json.dumps(page))
    result = runner.invoke(app, ["ingest", "--format", "openai", str(later), "--json"])
    assert result.exit_code == 0, result.output
    [ingested] = json.loads(result.stdout)["files"]
    assert (ingested["accepted"], ingested["restated"], ingested["rejected"]) == (0, 1, 0)
    again = runner.invoke(app, ["ingest", "--format", "openai", str(later)])
    assert again.exit_code == 0 and "0 accepted, 1 duplicates" in again.output
    page["data"][0]["results"][0]["output_tokens"] = 700
    later.write_text(json.dumps(page))
    text = runner.invoke(app, ["ingest", "--format", "openai", str(later)])
    assert "1 usage buckets restated" in text.output


def test_litellm_file_with_a_bad_row_lands_the_rest(env):  # noqa: ANN001
    result = runner.invoke(app, ["ingest", "--format", "litellm",
                                 str(USAGE / "litellm_edge_cases.jsonl"), "--json"])
    [ingested] = json.loads(result.stdout)["files"]
    assert (ingested["accepted"], ingested["rejected"]) == (6, 2)
    assert ingested["rejected_by_field"] == {"metadata": 1, "record": 1}


def test_otel_console_exporter_output_lands_and_again_is_all_duplicates(env):  # noqa: ANN001
    path = str(USAGE / "otel_console_exporter.txt")
    first = runner.invoke(app, ["ingest", "--format", "otel", path, "--json"])
    assert first.exit_code == 0, first.output
    [ingested] = json.loads(first.stdout)["files"]
    assert (ingested["accepted"], ingested["rejected"]) == (3, 0)
    again = runner.invoke(app, ["ingest", "--format", "otel", path])
    assert again.exit_code == 0 and "0 accepted, 3 duplicates, 0 rejected" in again.output
def test_a_format_that_recognises_nothing_names_the_likely_one(env, tmp_path):  # noqa: ANN001
    report = str(USAGE / "anthropic_usage_messages_example.json")
    result = runner.invoke(app, ["ingest", "--format", "openai", report])
    assert result.exit_code == 2, result.output  # a wrong --format: the command cannot run
    said = " ".join(result.output.split())
    assert "looks like anthropic usage, not openai" in said
    assert "ingest it with --format anthropic" in said
    strange = tmp_path / "strange.json"
    strange.write_text('{"hello": "world"}\n')
    result = runner.invoke(app, ["ingest", "--format", "openai", str(strange)])
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert "--format openai found no usage records in this file" in said
    assert "try --format auto" in said


def test_format_auto_recognises_each_provider_file(env):  # noqa: ANN001
    files = {"anthropic_usage_messages_example.json": "anthropic",
             "bedrock_invocation_logs.jsonl": "bedrock",
             "openai_usage_grouped.json": "openai", "litellm_spend_logs_payload.json": "litellm"}
    result = runner.invoke(app, ["ingest", "--format", "auto", "--json",
                                 *(str(USAGE / name) for name in files)])
    assert result.exit_code == 1, result.output  # a row of the Bedrock sample is rejected
    assert [f["format"] for f in json.loads(result.stdout)["files"]] == list(files.values())


def test_format_auto_on_a_file_no_format_knows_exits_2(env, tmp_path):  # noqa: ANN001
    strange = tmp_path / "strange.json"
    strange.write_text('{"hello": "world"}\n')
    result = runner.invoke(app, ["ingest", "--format", "auto", str(strange)])
    assert result.exit_code == 2
    assert "recognises none of" in " ".join(result.output.split())


def test_a_provider_file_read_as_another_provider_is_refused_before_reading(env):  # noqa: ANN001
    result = runner.invoke(app, ["ingest", "--format", "anthropic",
                                 str(USAGE / "openai_usage_grouped.json")])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "looks like openai usage, not anthropic; nothing was read" in said
    assert "ingest it with --format openai" in said
    listed = runner.invoke(app, ["quarantine", "list", "--json"])
    assert listed.exit_code == 0 and "openai_usage_grouped" not in listed.output
