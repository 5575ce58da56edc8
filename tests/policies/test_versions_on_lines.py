"""Each rated line says which attribution rules version attributed it, each document which
policy versions built it (and its PDF prints them); publishing a new rules version and
re-rating the open period is one command that changes only that period, and the close re-rates
a period whose lines predate the rules in force. A closed period keeps its versions forever."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pdfplumber
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from billing.cli import app
from billing.close.period_close import close_period
from billing.demo_data import generate
from billing.ledger.metering import ingest_lines
from billing.models import Document, RatedLine
from billing.policies.in_force import attribution_rules_for, shown_ref
from billing.policies.registry import publish
from billing.rating.card_registry import publish_shipped
from billing.rating.rate import RatingRefused, cards_in_use, rate

RULES = """\
kind: attribution
version: "{version}"
effective_from: "{start}"
rules:
  - name: sandbox project
    match: {{provider_project: proj_shared_sandbox}}
    set: {{team: {team}, use_case: sandbox}}
"""
POOLS = """\
kind: overhead
version: "{year}"
effective_from: "{year}-01"
pools:
  - {{name: gateway, amount: "120.00", currency: USD, driver: even, treatment: charged}}
"""
lines = RatedLine.__table__
runner = CliRunner()


def _rate(engine, settings, **kwargs):  # noqa: ANN001, ANN003, ANN202
    cards = cards_in_use(engine, settings.team_card, settings.customer_card)
    return rate(engine, cards, zone=ZoneInfo("UTC"),
                rules_for=attribution_rules_for(engine), **kwargs)


def _versions(engine, period):  # noqa: ANN001, ANN202
    """(rules version, team) of the period's own lines attributed by a rule."""
    with engine.connect() as connection:
        return set(connection.execute(
            select(lines.c.rules_version, lines.c.team).distinct().where(
                lines.c.period == period, lines.c.attributed_by.is_not(None))).all())


def _all_versions(engine, period):  # noqa: ANN001, ANN202
    with engine.connect() as connection:
        return set(connection.execute(select(lines.c.rules_version).distinct().where(
            lines.c.period == period)).scalars())


@pytest.fixture
def year(engine, close_settings):  # noqa: ANN001, ANN201
    """Two months of usage, the attribution rules and pools published (each test starts with
    no published policy)."""
    publish_shipped(engine)
    year = 2031
    for month, seed in (("10", 3), ("11", 4)):
        ingest_lines(engine, generate(f"{year}-{month}", 600, seed), zone=ZoneInfo("UTC"),
                     source="demo", backfill=True)  # 2031 is ahead of the real clock
    publish(engine, RULES.format(version=f"{year}-a", start=f"{year}-01", team="alpha"),
            "rules-a.yaml")
    publish(engine, POOLS.format(year=year), "pools.yaml")
    return year


def test_rated_lines_record_the_rules_version_and_a_rerate_changes_only_its_period(
        engine, close_settings, year):  # noqa: ANN001
    october, november = f"{year}-10", f"{year}-11"
    _rate(engine, close_settings)
    first = f"attribution@{year}-a"
    assert _versions(engine, october) == {(first, "alpha")}
    assert _all_versions(engine, october) == {first}
    with engine.connect() as connection:
        november_lines = connection.execute(select(lines.c.id, lines.c.team, lines.c.amount)
                                            .where(lines.c.period == november)
                                            .order_by(lines.c.id)).all()

    publish(engine, RULES.format(version=f"{year}-b", start=october, team="beta"),
            "rules-b.yaml")
    result = _rate(engine, close_settings, rerate_period=october)
    assert result.kind == "rerate" and result.events > 0
    second = f"attribution@{year}-b"
    assert _versions(engine, october) == {(second, "beta")}
    assert _all_versions(engine, october) == {second}
    with engine.connect() as connection:
        assert connection.execute(select(lines.c.id, lines.c.team, lines.c.amount).where(
            lines.c.period == november).order_by(lines.c.id)).all() == november_lines
        attributed = connection.execute(select(func.count()).where(
            lines.c.period == october, lines.c.team == "alpha")).scalar_one()
    assert attributed == 0


def test_statements_and_invoices_name_their_versions_and_the_pdf_prints_them(
        engine, close_settings, year):  # noqa: ANN001
    october = f"{year}-10"
    _rate(engine, close_settings)
    publish(engine, RULES.format(version=f"{year}-b", start=october, team="beta"),
            "rules-b.yaml")
    # the October lines were rated under -a; the close re-rates them under -b, in force
    closed = close_period(engine, close_settings, october, now=datetime(year, 11, 2, tzinfo=UTC))
    assert closed.status == "closed", closed.message
    assert closed.rating["rerated"]["because"] == [f"attribution@{year}-a"]
    assert _all_versions(engine, october) == {f"attribution@{year}-b"}
    documents = Document.__table__
    with engine.connect() as connection:
        stored = connection.execute(select(documents.c.kind, documents.c.subject,
                                           documents.c.content, documents.c.pdf_path).where(
            documents.c.period == october)).all()
    statements = {row.subject: row for row in stored if row.kind == "statement"}
    parties, use_cases = (shown_ref(kind, closed.policies[kind])
                          for kind in ("parties", "use_cases"))
    expected = [f"attribution@{year}-b", f"overhead@{year}", parties, use_cases]
    assert statements and "beta" in statements
    for row in statements.values():
        assert json.loads(row.content)["policy_versions"] == expected
    invoices = [row for row in stored if row.kind == "invoice"]
    assert invoices
    for row in invoices:
        assert json.loads(row.content)["policy_versions"] == [f"attribution@{year}-b", parties]
    with pdfplumber.open(statements["beta"].pdf_path) as pdf:
        text = " ".join((page.extract_text() or "") for page in pdf.pages)
    assert "Policy versions: " + ", ".join(expected) in " ".join(text.split())

    # closed: its versions never change, a rerate is refused, a new version changes nothing
    publish(engine, RULES.format(version=f"{year}-c", start=f"{year}-11", team="gamma"),
            "rules-c.yaml")
    with pytest.raises(RatingRefused):
        _rate(engine, close_settings, rerate_period=october)
    again = close_period(engine, close_settings, october, now=datetime(year, 11, 3, tzinfo=UTC))
    assert again.status == "already_closed"
    assert _all_versions(engine, october) == {f"attribution@{year}-b"}
    with engine.connect() as connection:
        after = connection.execute(select(documents.c.content).where(
            documents.c.period == october, documents.c.kind == "statement")).scalars().all()
    assert sorted(after) == sorted(row.content for row in statements.values())


def test_rerate_after_a_new_rules_version_is_one_command(engine, close_env, year,
                                                         monkeypatch):  # noqa: ANN001
    october = f"{year}-10"
    assert runner.invoke(app, ["rate", "--json"]).exit_code == 0
    publish(engine, RULES.format(version=f"{year}-b", start=october, team="beta"),
            "rules-b.yaml")
    result = runner.invoke(app, ["rate", "--period", october, "--rerate", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kind"] == "rerate"
    assert _versions(engine, october) == {(f"attribution@{year}-b", "beta")}
    assert _versions(engine, f"{year}-11") == {(f"attribution@{year}-a", "alpha")}
