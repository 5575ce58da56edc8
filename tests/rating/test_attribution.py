"""Attribution rules fill in what usage lacks, first match wins, never overriding the event."""

import pytest

from billing.rating.attribution import RuleError, attribute, load_rules

RULES = load_rules("""
rules:
  - name: support project
    match: {provider_project: proj_abc}
    set: {team: cx, use_case: support-copilot}
  - name: eval key on gpt-4.1
    match: {api_key: key_1, model: gpt-4.1}
    set: {team: data-science, use_case: eval-harness}
  - name: cost centre tag
    match: {tags: {cost_center: cc-200}}
    set: {team: sales}
  - name: catch-all sandbox
    match: {provider: openai}
    set: {team: platform, use_case: sandbox}
""")


def test_project_rule_attributes_untagged_usage():
    found = attribute(RULES, {"provider": "openai", "provider_project": "proj_abc",
                              "model": "gpt-4o"})
    assert (found.team, found.use_case, found.rule) == ("cx", "support-copilot",
                                                        "support project")


def test_first_matching_rule_wins_and_every_condition_must_hold():
    found = attribute(RULES, {"provider": "openai", "api_key": "key_1", "model": "gpt-4o"})
    assert found.rule == "catch-all sandbox"
    found = attribute(RULES, {"provider": "openai", "api_key": "key_1", "model": "gpt-4.1"})
    assert found.rule == "eval key on gpt-4.1"


def test_tags_rule_fills_only_the_team():
    found = attribute(RULES, {"provider": "mistral", "tags": {"cost_center": "cc-200"}})
    assert (found.team, found.use_case) == ("sales", None)


def test_present_fields_are_never_overridden_and_other_teams_use_cases_not_borrowed():
    found = attribute(RULES, {"team": "search", "use_case": "rag", "provider_project": "proj_abc"})
    assert (found.team, found.use_case, found.rule) == ("search", "rag", None)
    found = attribute(RULES, {"team": "search", "provider": "openai",
                              "provider_project": "proj_abc"})
    assert (found.team, found.use_case) == ("search", None)


def test_no_match_leaves_usage_unattributed():
    assert attribute(RULES, {"provider": "google"}).team is None


@pytest.mark.parametrize(("text", "words"), [
    ("rules: nope", "'rules:' list"),
    ("rules:\n  - name: x\n    set: {team: a}", "'match' needs"),
    ("rules:\n  - name: x\n    match: {colour: red}\n    set: {team: a}", "match.colour"),
    ("rules:\n  - name: x\n    match: {model: m}\n    set: {owner: a}", "set.owner"),
    ("rules:\n  - name: x\n    match: {model: m}", "'set' needs"),
])
def test_bad_rules_files_say_which_rule_and_field(text, words):
    with pytest.raises(RuleError, match=words):
        load_rules(text, "rules.yaml")
