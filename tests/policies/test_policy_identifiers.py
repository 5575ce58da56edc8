"""Names in policy documents keep the identifier rule: a team, customer, use case or tag name
that breaks it is refused by `policy validate` and `publish` with file, line and field, and
nothing is published; a valid name of any script publishes."""

from __future__ import annotations

import json
import random

import pytest
from typer.testing import CliRunner

from billing.cli import app
from billing.policies.document import PolicyValidationError
from billing.policies.registry import publish, published_versions, validate

runner = CliRunner()
BAD = {"slash": "a/b", "newline": "sup\nport", "html": "<b>", "bidi": "sup\u202eport",
       "zero-width": "support\u200b", "not-nfc": "e\u0301quipe", "too-long": "x" * 201}
KANA = "\u30b5\u30dd\u30fc\u30c8"  # サポート
# a body with {n} where the name goes (a YAML double-quoted string), its line and field
DOCUMENTS = {
    "parties team": ("kind: parties\n{h}teams:\n  {n}: {{locale: en_US}}\n", 6, "teams."),
    "parties customer": ("kind: parties\n{h}customers:\n  {n}: {{currency: USD}}\n", 6,
                         "customers."),
    "billable use case": ("kind: parties\n{h}customers:\n  acme:\n"
                          "    billable: {{use_cases: [{n}]}}\n", 7,
                          "customers.acme.billable.use_cases[1]"),
    "use case": ("kind: use_cases\n{h}use_cases:\n  {n}: {{team: support}}\n", 6, "use_cases."),
    "use case team": ("kind: use_cases\n{h}use_cases:\n  bot: {{team: {n}}}\n", 6,
                      "use_cases.bot.team"),
    "rule sets team": ("kind: attribution\n{h}rules:\n  - name: r\n    match: {{api_key: k}}\n"
                       "    set: {{team: {n}}}\n", 8, "rules[1].set.team"),
    "rule sets use case": ("kind: attribution\n{h}rules:\n  - name: r\n"
                           "    match: {{api_key: k}}\n    set: {{use_case: {n}}}\n", 8,
                           "rules[1].set.use_case"),
    "rule matches tag": ("kind: attribution\n{h}rules:\n  - name: r\n"
                         "    match: {{tags: {{{n}: x}}}}\n    set: {{team: support}}\n", 7,
                         "rules[1].match.tags."),
    "pool shares team": ("kind: overhead\n{h}pools:\n  - name: p\n    amount: '10.00'\n"
                         "    currency: USD\n    driver: shares\n    shares: {{{n}: 100}}\n", 10,
                         "pools[1].shares."),
}


@pytest.fixture
def year() -> int:
    return random.randrange(3000, 9999)


def _source(body: str, name: str, year: int) -> str:
    header = f"version: v{year}\neffective_from: '{year}-01'\neffective_to: '{year}-12'\n"
    return body.format(h=header, n=json.dumps(name))


@pytest.mark.parametrize("name", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize(("body", "line", "field"), DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_a_bad_name_is_refused_with_file_line_and_field(engine, year, body, line, field, name):
    source = _source(body, name, year)
    problems = validate(engine, source, "bad.yaml")
    ours = [p for p in problems if p.field.startswith(field)]
    assert ours and all((p.file, p.line) == ("bad.yaml", line) for p in ours), problems
    assert any("a name may hold only" in p.message or "NFC" in p.message
               or "at most 200" in p.message for p in ours), problems
    assert all(p.field.isprintable() for p in problems), problems
    before = len(published_versions(engine))
    with pytest.raises(PolicyValidationError):
        publish(engine, source, "bad.yaml")
    assert len(published_versions(engine)) == before


@pytest.mark.parametrize(("body", "line", "field"), DOCUMENTS.values(), ids=DOCUMENTS.keys())
def test_a_valid_name_of_any_script_is_no_problem(engine, year, body, line, field):
    problems = validate(None, _source(body, KANA, year), "good.yaml")
    assert not [p for p in problems if p.line == line], problems


def test_policy_validate_and_publish_name_file_line_and_field(engine, database_url,
                                                               monkeypatch, tmp_path, year):
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert runner.invoke(app, ["init"]).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(_source(DOCUMENTS["use case team"][0], "sup\u202eport", year))
    checked = runner.invoke(app, ["policy", "validate", str(bad), "--json"])
    assert checked.exit_code == 1, checked.output
    [problem] = json.loads(checked.output)["problems"]
    assert (problem["file"], problem["line"], problem["field"]) == ("bad.yaml", 6,
                                                                    "use_cases.bot.team")
    assert "RIGHT-TO-LEFT OVERRIDE" in problem["message"]
    refused = runner.invoke(app, ["policy", "publish", str(bad), "-m", "x"])
    assert refused.exit_code == 1 and "bad.yaml:6: use_cases.bot.team" in refused.output
    assert "Traceback" not in refused.output
    good = tmp_path / "good.yaml"
    good.write_text(_source(DOCUMENTS["use case team"][0], KANA, year))
    published = runner.invoke(app, ["policy", "publish", str(good), "-m", "kana", "--json"])
    assert published.exit_code == 0, published.output
    listed = json.loads(runner.invoke(app, ["policy", "list", "--json"]).output)
    assert [row["kind"] for row in listed if row["version"] == f"v{year}"] == ["use_cases"]
