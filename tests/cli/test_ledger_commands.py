"""The ledger commands as a user runs them: --help everywhere, --json, clear errors."""

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


@pytest.mark.parametrize("command", [[], ["init"], ["ingest"], ["coverage"], ["serve"], ["demo"],
                                     ["quarantine", "list"], ["quarantine", "fix"],
                                     ["quarantine", "discard"], ["archive"], ["spark"],
                                     ["spark", "reduce"]])
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_init_ingest_coverage_json(env):
    assert runner.invoke(app, ["init", "--json"]).exit_code == 0
    result = runner.invoke(app, ["ingest", str(USAGE / "native.jsonl"), "--json"])
    assert result.exit_code == 1, result.output  # 4 rows quarantined, the good ones loaded
    ingested = json.loads(result.stdout)["files"][0]
    assert (ingested["accepted"], ingested["duplicates"], ingested["rejected"]) == (4, 1, 4)
    assert ingested["rejected_by_field"] == {"occurred_at": 1, "input_tokens": 1, "model": 1,
                                             "record": 1}
    result = runner.invoke(app, ["coverage", "--period", "2026-10", "--json"])
    report = json.loads(result.stdout)
    # 2,640 + 17,100 + 3,500 + 980 tokens; the untagged nat-0003 has 3,500
    assert report["tokens"] == 24_220
    assert report["attributed_to_team"]["tokens"] == 20_720
    assert report["attributed_to_team"]["token_share"] == "0.8555"
    # requests: 1 + 1 + 3 (untagged) + 12 = 17; attributed 14 / 17
    assert report["attributed_to_team"]["request_share"] == "0.8235"
    assert report["top_unattributed_sources"] == [
        {"provider": "openai", "provider_project": "proj_shared_sandbox", "model": "gpt-4o",
         "tokens": 3500, "requests": 3}
    ]


def test_human_output_names_rows_and_next_step(env):
    result = runner.invoke(app, ["ingest", str(USAGE / "native.jsonl")])
    assert "row 6 event nat-0005 [input_tokens]: input_tokens must be >= 0" in result.output
    assert "--replay-quarantine" in result.output
    listed = runner.invoke(app, ["quarantine", "list", "--json"])
    rows = json.loads(listed.stdout)["rows"]
    bad = next(row for row in rows if row["field"] == "input_tokens")
    fixed = runner.invoke(app, ["quarantine", "fix", str(bad["id"]), "--set", "input_tokens=100"])
    assert "accepted into the ledger" in fixed.output


def test_errors_say_what_to_do_next(env, tmp_path, monkeypatch):
    missing = runner.invoke(app, ["ingest", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    bad_period = runner.invoke(app, ["coverage", "--period", "October"])
    assert bad_period.exit_code == 2 and "YYYY-MM" in bad_period.output
    bad_format = runner.invoke(app, ["ingest", str(USAGE / "native.jsonl"), "--format", "xml"])
    assert bad_format.exit_code == 2 and "choose one of" in bad_format.output
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    uninitialised = runner.invoke(app, ["coverage", "--period", "2026-10"])
    assert uninitialised.exit_code == 2 and "billing init" in uninitialised.output


def _event(event_id: str, input_tokens: int) -> str:
    return json.dumps({"event_id": event_id, "occurred_at": "2026-10-01T12:00:00Z",
                       "team": "support", "model": "gpt-4o-mini",
                       "input_tokens": input_tokens, "output_tokens": 10})


def test_quarantine_fix_says_duplicate_and_fails_when_still_rejected(env, tmp_path):
    assert runner.invoke(app, ["init"]).exit_code == 0
    usage = tmp_path / "usage.jsonl"
    usage.write_text("\n".join([_event("dup-1", 500), _event("dup-1", -1),
                                _event("bad-2", -2)]) + "\n")
    runner.invoke(app, ["ingest", str(usage)])
    rows = {row["event_id"]: row["id"] for row in
            json.loads(runner.invoke(app, ["quarantine", "list", "--json"]).stdout)["rows"]}
    duplicate = runner.invoke(app, ["quarantine", "fix", str(rows["dup-1"]),
                                    "--set", "input_tokens=500"])
    assert duplicate.exit_code == 0
    assert "accepted into the ledger" not in duplicate.output
    assert "duplicate" in duplicate.output and "already in the ledger" in duplicate.output
    pending = json.loads(runner.invoke(app, ["quarantine", "list", "--json"]).stdout)["rows"]
    assert [row["event_id"] for row in pending] == ["bad-2"]       # the duplicate is resolved
    still = runner.invoke(app, ["quarantine", "fix", str(rows["bad-2"]),
                                "--set", "input_tokens=-3"])
    assert still.exit_code == 1
    said = " ".join(still.output.split())
    assert "still rejected: [input_tokens] input_tokens must be >= 0" in said
    assert f"billing quarantine discard {rows['bad-2']}" in said
    as_json = runner.invoke(app, ["quarantine", "fix", str(rows["bad-2"]),
                                  "--set", "input_tokens=-4", "--json"])
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["outcome"] == "rejected"


def test_replay_names_the_file_and_quarantine_id_and_discard_has_json(env, tmp_path):
    assert runner.invoke(app, ["init"]).exit_code == 0
    for name, event_id in (("first.jsonl", "one"), ("second.jsonl", "two")):
        (tmp_path / name).write_text(_event(event_id, -1) + "\n")
        runner.invoke(app, ["ingest", str(tmp_path / name)])
    rows = {row["event_id"]: row["id"] for row in
            json.loads(runner.invoke(app, ["quarantine", "list", "--json"]).stdout)["rows"]}
    replay = runner.invoke(app, ["ingest", "--replay-quarantine"], env={"COLUMNS": "200"})
    assert f"quarantine {rows['one']}: first.jsonl row 1 event one" in replay.output
    assert f"quarantine {rows['two']}: second.jsonl row 1 event two" in replay.output
    errors = json.loads(runner.invoke(app, ["ingest", "--replay-quarantine", "--json"]).stdout)[
        "replay"]["errors"]
    assert {(e["quarantine_id"], e["source"].endswith("first.jsonl")) for e in errors} == {
        (rows["one"], True), (rows["two"], False)}
    discarded = runner.invoke(app, ["quarantine", "discard", str(rows["one"]), "--json"])
    assert discarded.exit_code == 0
    assert json.loads(discarded.stdout) == {"row": rows["one"], "status": "discarded"}


def test_demo_reads_well_at_80_columns(env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the demo writes its starter configuration here
    monkeypatch.setenv("BILLING_DOCUMENTS_DIR", str(tmp_path / "documents"))
    result = runner.invoke(app, ["demo", "--events", "3000", "--dir", str(tmp_path / "d")],
                           env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  (no card prices these: listed as unpriced, never priced at 0)" not in lines
    ours = [line for line in lines if not line.startswith("  row ")
            and str(tmp_path) not in line]              # rejected rows quote data; paths
    assert max(len(line.rstrip()) for line in ours) <= 80
    assert "…" not in result.output
