"""One exit-code rule for every command (0 all good, 1 something rejected or a check failed,
2 the command could not run), said by every --help and kept by representative commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from billing.cli import app
from billing.cli.exit_codes import EPILOG

runner = CliRunner()


def _paths(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command path below `command` (typer's group type varies by version: duck-typed)."""
    yield path
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from _paths(sub, (*path, name))


COMMANDS = list(_paths(typer.main.get_command(app)))


def test_the_walk_finds_groups_and_their_commands():
    assert len(COMMANDS) > 60
    assert {("ingest",), ("outcomes", "ingest"), ("quarantine", "list"),
            ("export", "showback")} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "billing")
def test_every_help_states_the_exit_codes(path):
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert " ".join(EPILOG.split()) in " ".join(result.output.split())


@pytest.fixture
def env(engine, database_url, monkeypatch):  # noqa: ANN001
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert runner.invoke(app, ["init"]).exit_code == 0
    return database_url


def _event(event_id: str, input_tokens: int) -> str:
    return json.dumps({"event_id": event_id, "occurred_at": "2026-10-01T12:00:00Z",
                       "team": "support", "model": "gpt-4o-mini",
                       "input_tokens": input_tokens, "output_tokens": 10})


def _write(path: Path, *lines: str) -> str:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


def test_ingest_exits_0_when_all_good_and_1_when_any_row_is_rejected(env, tmp_path):
    good = runner.invoke(app, ["ingest", _write(tmp_path / "good.jsonl", _event("ok-1", 5))])
    assert good.exit_code == 0, good.output
    mixed = _write(tmp_path / "mixed.jsonl", _event("ok-2", 5), _event("bad-1", -1))
    result = runner.invoke(app, ["ingest", mixed, "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["files"][0]["accepted"] == 1  # the good row still landed
    every = _write(tmp_path / "every.jsonl", _event("bad-2", -1), _event("bad-3", -2))
    result = runner.invoke(app, ["ingest", every])
    assert result.exit_code == 1 and "2 rejected" in result.output
    still = runner.invoke(app, ["ingest", "--replay-quarantine"])
    assert still.exit_code == 1 and "still rejected" in still.output


def test_csv_ingest_follows_the_same_rule(env, tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text("event_id,occurred_at,team,model,input_tokens,output_tokens\n"
                    "c-1,2026-10-01T12:00:00Z,support,gpt-4o-mini,5,10\n"
                    "c-2,2026-10-01T12:00:00Z,support,gpt-4o-mini,-5,10\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(path), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["files"][0]["accepted"] == 1


def test_outcomes_ingest_exits_1_on_a_rejected_row_with_or_without_json(env, tmp_path):
    usage = json.loads(_event("u-1", 5)) | {"use_case": "chat"}
    runner.invoke(app, ["ingest", _write(tmp_path / "u.jsonl", json.dumps(usage))])
    outcomes = _write(tmp_path / "outcomes.jsonl", *(json.dumps({
        "outcome_id": name, "use_case": use_case, "occurred_at": "2026-10-09T00:00:00Z",
        "accepted": True}) for name, use_case in (("g1", "chat"), ("b1", "nosuch-uc"))))
    for extra in ([], ["--json"]):
        result = runner.invoke(app, ["outcomes", "ingest", outcomes, *extra])
        assert result.exit_code == 1, result.output
        said = " ".join(result.output.split())
        assert "1 rejected" in said or '"rejected": 1' in said


def test_a_missing_file_is_exit_2_in_one_style_for_every_loader(env, tmp_path):
    missing = str(tmp_path / "nope.jsonl")
    outputs = []
    for command in (["ingest"], ["outcomes", "ingest"], ["levers", "evaluations"],
                    ["fx", "load"]):
        result = runner.invoke(app, [*command, missing])
        assert result.exit_code == 2, (command, result.output)
        said = " ".join(result.output.split())
        assert said.startswith(f"error: {missing}: no such file next: check the path"), said
        assert "Usage:" not in said and "╭" not in said
        outputs.append(said)
    assert len(set(outputs)) == 1


def test_could_not_run_is_exit_2(env, tmp_path, monkeypatch):
    assert runner.invoke(app, ["ingest", "--no-such-option"]).exit_code == 2
    assert runner.invoke(app, ["coverage", "--period", "October"]).exit_code == 2
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    unready = runner.invoke(app, ["quarantine", "list"])
    assert unready.exit_code == 2 and "billing init" in unready.output
