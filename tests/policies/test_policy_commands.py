"""`billing policy` works as `billing ratecards` does: --help and --json on every command,
the same file again is a no-op, a bad file publishes nothing, and `import` adopts old files."""

from __future__ import annotations

import json
import random

import pytest
from typer.testing import CliRunner

from billing.cli import app

runner = CliRunner()
COMMANDS = ("publish", "list", "show", "diff", "validate", "import")


@pytest.fixture
def cli(engine, database_url, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert runner.invoke(app, ["init"]).exit_code == 0
    return random.randrange(3000, 9999)


def rules(year: int, version: str, team: str, start: str, end: str) -> str:
    return (f"kind: attribution\nversion: '{year}-{version}'\neffective_from: '{year}-{start}'\n"
            f"effective_to: '{year}-{end}'\nrules:\n  - name: shared key\n"
            f"    match: {{api_key: key_1}}\n    set: {{team: {team}}}\n")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_json(command):
    result = runner.invoke(app, ["policy", command, "--help"])
    assert result.exit_code == 0 and "--json" in result.output


def test_publish_list_show_diff(cli, tmp_path):
    year = cli
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(rules(year, "a", "support", "01", "06"))
    second.write_text(rules(year, "b", "search", "07", "12"))
    made = runner.invoke(app, ["policy", "publish", str(first), "-m", "first rules", "--json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["status"] == "published"
    again = runner.invoke(app, ["policy", "publish", str(first), "-m", "again"])
    assert again.exit_code == 0 and "nothing to do" in again.output
    assert runner.invoke(app, ["policy", "publish", str(second), "-m", "search"]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["policy", "list", "--json"]).output)
    mine = [row for row in listed if row["version"].startswith(str(year))]
    assert [(r["version"], r["effective_from"], r["effective_to"], r["change_note"])
            for r in mine] == [(f"{year}-a", f"{year}-01", f"{year}-06", "first rules"),
                               (f"{year}-b", f"{year}-07", f"{year}-12", "search")]
    shown = json.loads(runner.invoke(app, ["policy", "show", f"attribution@{year}-a",
                                           "--json"]).output)
    assert shown["body"]["rules"][0]["set"] == {"team": "support"}
    changed = json.loads(runner.invoke(app, ["policy", "diff", f"attribution@{year}-a",
                                             f"attribution@{year}-b", "--json"]).output)
    assert changed == [{"kind": "changed", "field": "rules.[shared key].set.team",
                        "old": "support", "new": "search"}]
    missing = runner.invoke(app, ["policy", "show", f"attribution@{year}-zz"])
    assert missing.exit_code == 2 and "published:" in missing.output


def test_a_bad_file_lists_every_problem_and_publishes_nothing(cli, tmp_path):
    year = cli
    bad = tmp_path / "bad.yaml"
    bad.write_text(rules(year, "x", "support", "01", "12").replace("rules:", "colour: red\nrules:"))
    checked = runner.invoke(app, ["policy", "validate", str(bad), "--json"])
    assert checked.exit_code == 1
    report = json.loads(checked.output)
    assert report["problems"] == [{"file": "bad.yaml", "line": 5, "field": "colour",
                                   "message": report["problems"][0]["message"]}]
    refused = runner.invoke(app, ["policy", "publish", str(bad), "-m", "x"])
    assert refused.exit_code == 1 and "bad.yaml:5: colour" in refused.output
    listed = json.loads(runner.invoke(app, ["policy", "list", "--json"]).output)
    assert not [row for row in listed if row["version"] == f"{year}-x"]


def test_import_publishes_the_old_files_once(cli, tmp_path):
    year = 9999  # an open-ended version after every other test's bounded ones
    (tmp_path / "overhead.yaml").write_text(
        f"pools:\n  - {{name: p{year}, amount: '12.00', currency: USD, driver: even}}\n")
    imported = runner.invoke(app, ["policy", "import", "--dir", str(tmp_path), "--from",
                                   f"{year}-01", "--json"])
    assert imported.exit_code == 0, imported.output
    [result] = json.loads(imported.output)
    assert (result["kind"], result["status"]) == ("overhead", "published")
    again = json.loads(runner.invoke(app, ["policy", "import", "--dir", str(tmp_path), "--from",
                                           f"{year}-01", "--json"]).output)
    assert [r["status"] for r in again] == ["unchanged"]
