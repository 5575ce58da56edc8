"""A user's string is text, never console markup: a team named `[/oops]` prints as itself.

Rich reads `[...]` as markup, so an identifier such as `[/oops]` (a closing tag with nothing
open) used to crash `billing coverage` and `billing close` with a MarkupError after the close
had committed. These run the real command line over a database holding such names.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from billing.cli import app
from billing.models import UsageEvent

TEAM, USE_CASE, CUSTOMER, MODEL = "[/oops]", "[bold]copilot[/bold", "[red]acme", "[/]model"
runner = CliRunner()


def _event(number: int, **fields: object) -> str:
    return json.dumps({"event_id": f"markup-{number}", "occurred_at": "2026-10-05T10:00:00Z",
                       "provider": "openai", "model": "gpt-4o-mini", "input_tokens": 1000,
                       "output_tokens": 100, **fields})


@pytest.fixture
def marked_up(engine, database_url, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    env = {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200",
           "BILLING_DOCUMENTS_DIR": str(tmp_path / "documents")}
    for name in ("BILLING_ATTRIBUTION_RULES", "BILLING_OVERHEAD_POOLS", "BILLING_REGISTRY"):
        env[name] = str(tmp_path / "none.yaml")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    usage = tmp_path / "usage.jsonl"
    usage.write_text("\n".join([
        _event(1, team="oops", use_case="copilot", customer="acme"),
        _event(2, team="oops", use_case="copilot", model=MODEL),
        _event(3, team="support", use_case="linky"),
    ]) + "\n")
    assert _run(env, "init").returncode == 0
    ingested = _run(env, "ingest", str(usage))
    assert ingested.returncode == 0, ingested.stderr
    # Ingest now refuses such names (billing/identifiers.py); rows from before that rule, or
    # written by other tools, may still hold them, so they are put in place directly.
    events = UsageEvent.__table__
    with engine.begin() as connection:
        for column, old, new in (("team", "oops", TEAM), ("use_case", "copilot", USE_CASE),
                                 ("customer", "acme", CUSTOMER),
                                 ("use_case", "linky", "[link=x]y")):
            connection.execute(update(events).where(events.c[column] == old)
                               .values({column: new}))
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "billing", *args], env=env, text=True,
                          capture_output=True, timeout=120)


def _flat(text: str) -> str:
    return "".join(text.split())


def test_coverage_and_close_print_markup_like_names_as_text(marked_up):
    coverage = _run(marked_up, "coverage", "--period", "2026-10")
    assert coverage.returncode == 0, coverage.stderr
    assert TEAM in coverage.stdout and _flat(USE_CASE) in _flat(coverage.stdout)
    rated = _run(marked_up, "rate")
    assert rated.returncode == 0, rated.stderr
    assert MODEL in rated.stdout
    closed = _run(marked_up, "close", "--period", "2026-10")
    assert closed.returncode == 0, closed.stderr
    assert "Traceback" not in closed.stderr
    assert TEAM in closed.stdout and CUSTOMER in closed.stdout
    again = _run(marked_up, "close", "--period", "2026-10")
    assert again.returncode == 0 and "nothing new produced" in again.stdout


def test_listing_commands_print_markup_like_names_as_text(marked_up):
    assert _run(marked_up, "close", "--period", "2026-10", "--json").returncode == 0
    showback = runner.invoke(app, ["showback", "--team", "support", "--period", "2026-10"])
    assert showback.exit_code == 0, showback.output
    assert "[link=x]y" in _flat(showback.output)
    # a name that breaks the identifier rule is refused as an option, and quoted as text
    refused = runner.invoke(app, ["showback", "--team", TEAM, "--period", "2026-10"])
    assert refused.exit_code == 2 and TEAM in refused.output, refused.output
    statements = runner.invoke(app, ["statements", "list"])
    assert statements.exit_code == 0, statements.output
    assert f"ST-2026-10-{TEAM}" in _flat(statements.output)
    invoices = runner.invoke(app, ["invoices", "list"])
    assert invoices.exit_code == 0 and CUSTOMER in invoices.output
    unknown = runner.invoke(app, ["showback", "--team", "[/nobody]", "--period", "2026-10"])
    assert "Traceback" not in unknown.output and "MarkupError" not in repr(unknown.exception)
    credit = runner.invoke(app, ["invoices", "credit", "[/INV-1]", "--amount", "1",
                                 "--reason", "[/why]"])
    assert credit.exit_code == 2 and "[/INV-1]" in credit.output


def test_a_markup_like_path_in_an_error_is_printed_as_given(marked_up, tmp_path):
    missing = tmp_path / "[/missing].jsonl"
    result = _run(marked_up, "ingest", str(missing))
    assert result.returncode == 2 and "[/missing].jsonl" in result.stderr
    assert "Traceback" not in result.stderr
