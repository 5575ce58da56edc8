"""`billing spark reduce` on the command line: JSON out, and refusals that name what to fix."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from billing.cli import app
from billing.demo_data import generate

runner = CliRunner()


def test_spark_reduce_command_reports_and_ingests(engine, close_env, spark, tmp_path):
    source = tmp_path / "lake.jsonl"
    source.write_text("\n".join(generate("2026-10", 200, 9)) + "\n")
    done = runner.invoke(app, ["spark", "reduce", "--input", str(source), "--format", "json",
                               "--period", "2026-10", "--out", str(tmp_path / "out"),
                               "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["accepted"] == 200 and report["ingest"]["accepted"] == report["groups"] > 0
    assert (tmp_path / "out" / "reduced").is_dir() and (tmp_path / "out" / "rejected").is_dir()
    stages = {stage["stage"]: stage for stage in report["stages"]}
    assert {"read", "read and validate", "dedupe", "write rejects", "ingest groups"} <= set(stages)
    assert all(stage["seconds"] >= 0 and stage["cpu_seconds"] >= 0 for stage in stages.values())
    assert stages["read and validate"]["cpu_seconds"] > 0  # the executors' CPU, from Spark


def test_spark_reduce_prints_its_stage_timings(engine, close_env, spark, tmp_path):
    source = tmp_path / "lake.jsonl"
    source.write_text("\n".join(generate("2026-10", 20, 9)) + "\n")
    done = runner.invoke(app, ["spark", "reduce", "--input", str(source), "--format", "json",
                               "--period", "2026-10", "--out", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    assert "Stage timings" in done.output and "ingest groups" in done.output


def test_spark_reduce_refuses_bad_arguments_before_starting_spark(close_env, tmp_path):
    unknown = runner.invoke(app, ["spark", "reduce", "--input", str(tmp_path), "--format",
                                  "xml", "--period", "2026-10"])
    assert unknown.exit_code == 2 and "choose one of: json, csv, parquet" in unknown.output
    missing = runner.invoke(app, ["spark", "reduce", "--input", str(tmp_path / "nope"),
                                  "--format", "json", "--period", "2026-10"])
    assert missing.exit_code == 2 and "no such file or folder" in missing.output
    period = runner.invoke(app, ["spark", "reduce", "--input", str(tmp_path), "--format",
                                 "json", "--period", "2026-13"])
    assert period.exit_code == 2 and "Traceback" not in period.output


def test_spark_reduce_exits_1_when_a_row_is_rejected_and_lands_the_rest(engine, close_env,
                                                                       spark, tmp_path):
    source = tmp_path / "lake.jsonl"
    bad = json.dumps({"event_id": "bad-1", "occurred_at": "2026-10-03T10:00:00Z",
                      "team": "support", "model": "gpt-4o-mini", "input_tokens": -1,
                      "output_tokens": 1})
    source.write_text("\n".join([*generate("2026-10", 50, 9), bad]) + "\n")
    done = runner.invoke(app, ["spark", "reduce", "--input", str(source), "--format", "json",
                               "--period", "2026-10", "--out", str(tmp_path / "out"),
                               "--json"])
    assert done.exit_code == 1, done.output
    report = json.loads(done.output)
    assert report["rejected"] == 1 and report["accepted"] == 50
