"""Every document has a file of its own, checked when served, and one that cannot be written
stops nothing else of the close.

Files used to be named `_safe(number)` + `.with_suffix(".pdf")`: `ST-2026-10-support.v2` wrote
over `ST-2026-10-support.pdf`, `sup\\x00port` and `sup\\u202eport` both became `sup_port`, and a
team of 200 CJK characters gave `OSError: File name too long` after the close had committed,
leaving the other documents unrendered and Stripe never reached, on every run.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from hashlib import sha256
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import stripe_server
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import insert, select

from billing.api.app import create_app
from billing.close.document_files import render_missing
from billing.close.period_close import close_period
from billing.ledger.metering import ingest_lines
from billing.models import Document

NOW = datetime(2026, 11, 2, 3, tzinfo=UTC)
AUTH = {"Authorization": "Bearer test-key"}
CJK = "支" * 200
documents = Document.__table__


def _usage(engine, *teams: str) -> None:  # noqa: ANN001
    lines = [json.dumps({"event_id": f"files-{n}", "occurred_at": "2026-10-07T10:00:00Z",
                         "team": team, "use_case": "copilot", "customer": "acme",
                         "provider": "openai", "model": "gpt-4o-mini",
                         "input_tokens": 1000 * (n + 1), "output_tokens": 100})
             for n, team in enumerate(teams)]
    result = ingest_lines(engine, lines, zone=ZoneInfo("UTC"), source="files")
    assert result.accepted == len(teams), result.errors


def _rows(engine, kind: str | None = None) -> list:  # noqa: ANN001
    query = select(documents).order_by(documents.c.id)
    if kind:
        query = query.where(documents.c.kind == kind)
    with engine.connect() as connection:
        return connection.execute(query).all()


def _text(data: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(BytesIO(data)).pages)


def _copy_statement(engine, row, number: str, team: str) -> None:  # noqa: ANN001
    """A stored statement under another number and team (names the ingest may refuse)."""
    twin = json.loads(row.content)
    twin["team"], twin["statement_number"] = team, number
    values = {c.name: getattr(row, c.name) for c in documents.columns
              if c.name not in ("id", "pdf_path", "pdf_sha256")}
    with engine.begin() as connection:
        connection.execute(insert(documents).values(
            {**values, "number": number, "subject": team,
             "content": json.dumps(twin, sort_keys=True, ensure_ascii=False)}))


def test_every_document_gets_its_own_file_never_overwritten(month, close_settings):
    _usage(month, "support.v2")
    close_period(month, close_settings, "2026-10", now=NOW)
    support = next(r for r in _rows(month, "statement") if r.subject == "support")
    teams = ["sup\u202eport", "sup_port", "sup/port", "sup\x1bport"]
    if month.dialect.name == "sqlite":  # PostgreSQL text cannot hold a NUL at all
        teams.append("sup\x00port")
    for team in teams:
        _copy_statement(month, support, f"ST-2026-10-{team}", team)
    assert render_missing(month, close_settings.documents_dir)["rendered"] == len(teams)
    rows = _rows(month)
    paths = [row.pdf_path for row in rows]
    assert len(set(paths)) == len(rows), "two documents share a file"
    for row in rows:
        path = Path(row.pdf_path)
        assert path.parent == close_settings.documents_dir / "2026-10"
        assert len(path.name.encode()) <= 255
        data = path.read_bytes()
        assert sha256(data).hexdigest() == row.pdf_sha256, row.number
        twin = json.loads(path.with_suffix(".json").read_text())
        assert twin.get("statement_number", twin.get("invoice_number")) == row.number
    files = {row.subject: Path(row.pdf_path) for row in rows if row.kind == "statement"}
    assert files["support"].name == "ST-2026-10-support.pdf"
    assert files["support.v2"].name == "ST-2026-10-support.v2.pdf"
    assert "support.v2" in _text(files["support.v2"].read_bytes())
    assert "support.v2" not in _text(files["support"].read_bytes())
    before = {path: path.read_bytes() for path in map(Path, paths)}
    assert render_missing(month, close_settings.documents_dir)["rendered"] == 0
    assert close_period(month, close_settings, "2026-10", now=NOW).rendering["rendered"] == 0
    assert {path: path.read_bytes() for path in before} == before


def test_a_swapped_or_altered_pdf_is_refused_not_served(month, close_settings):
    _usage(month, "support.v2")
    close_period(month, close_settings, "2026-10", now=NOW)
    rows = {row.subject: row for row in _rows(month, "statement")}
    mine, theirs = Path(rows["support"].pdf_path), Path(rows["support.v2"].pdf_path)
    invoice = _rows(month, "invoice")[0]
    with TestClient(create_app(replace(close_settings))) as client:
        good = client.get("/v1/statements/ST-2026-10-support.pdf", headers=AUTH)
        assert good.status_code == 200 and "support.v2" not in _text(good.content)
        mine.write_bytes(theirs.read_bytes())
        swapped = client.get("/v1/statements/ST-2026-10-support.pdf", headers=AUTH)
        assert swapped.status_code == 409, swapped.text
        assert swapped.headers["content-type"].startswith("application/problem+json")
        assert "does not match" in swapped.json()["detail"]
        assert client.get("/v1/statements/ST-2026-10-support", headers=AUTH).status_code == 200
        Path(invoice.pdf_path).write_bytes(Path(invoice.pdf_path).read_bytes() + b"%tampered")
        altered = client.get(f"/v1/invoices/{invoice.number}.pdf", headers=AUTH)
        assert altered.status_code == 409 and invoice.number in altered.json()["detail"]
        mine.unlink()  # what the problem says to do: remove it and close again
        again = close_period(month, close_settings, "2026-10", now=NOW)
        assert again.rendering["rendered"] == 1 and not again.rendering["failed"]
        restored = client.get("/v1/statements/ST-2026-10-support.pdf", headers=AUTH)
        assert restored.status_code == 200 and restored.content == good.content


@pytest.fixture
def fake():  # noqa: ANN201
    with stripe_server.FakeStripe() as server:
        yield server


def test_a_team_of_200_cjk_characters_closes_with_every_pdf_and_stripe(month, close_settings,
                                                                       fake):
    _usage(month, CJK)
    config = replace(close_settings, stripe_api_key=fake.api_key, stripe_api_base=fake.url)
    result = close_period(month, config, "2026-10", now=NOW)
    rows = _rows(month)
    assert result.rendering["rendered"] == len(rows) and not result.rendering["failed"]
    assert all(row.pdf_sha256 and Path(row.pdf_path).is_file() for row in rows)
    long = next(row for row in rows if row.subject == CJK)
    assert long.number == f"ST-2026-10-{CJK}"
    assert result.stripe and len(result.stripe["pushed"]) == len(_rows(month, "invoice"))


def test_a_document_that_cannot_be_written_stops_nothing_else(month, close_settings, fake):
    config = replace(close_settings, stripe_api_key=fake.api_key, stripe_api_base=fake.url)
    blocked = close_settings.documents_dir / "2026-10" / "ST-2026-10-support.pdf"
    blocked.parent.mkdir(parents=True)
    blocked.write_bytes(b"someone else's file")
    result = close_period(month, config, "2026-10", now=NOW)
    assert result.status == "closed"
    [failed] = result.rendering["failed"]
    assert failed["number"] == "ST-2026-10-support" and str(blocked) in failed["reason"]
    assert blocked.read_bytes() == b"someone else's file"
    rows = _rows(month)
    assert result.rendering["rendered"] == len(rows) - 1
    assert all(row.pdf_sha256 for row in rows if row.number != "ST-2026-10-support")
    assert len(result.stripe["pushed"]) == len(_rows(month, "invoice")) > 0

    again = close_period(month, config, "2026-10", now=NOW)
    assert again.rendering["rendered"] == 0 and len(again.rendering["failed"]) == 1
    blocked.unlink()
    last = close_period(month, config, "2026-10", now=NOW)
    assert last.rendering["rendered"] == 1 and not last.rendering["failed"]
    assert all(row.pdf_sha256 for row in _rows(month))


def test_the_command_line_names_the_document_it_could_not_render(month, close_env):
    from typer.testing import CliRunner

    from billing.cli import app

    blocked = close_env.documents_dir / "2026-10" / "ST-2026-10-support.pdf"
    blocked.parent.mkdir(parents=True)
    blocked.write_bytes(b"someone else's file")
    runner = CliRunner()
    closed = runner.invoke(app, ["close", "--period", "2026-10"])
    assert closed.exit_code == 1, closed.output
    assert "2026-10 closed" in closed.stdout and "Traceback" not in closed.output
    assert "ST-2026-10-support" in closed.stderr and "already exists" in closed.stderr
    again = runner.invoke(app, ["close", "--period", "2026-10", "--json"])
    assert again.exit_code == 1
    assert [item["number"] for item in json.loads(again.stdout)["rendering"]["failed"]] == [
        "ST-2026-10-support"]
    blocked.unlink()
    last = runner.invoke(app, ["close", "--period", "2026-10"])
    assert last.exit_code == 0 and "1 PDFs written" in last.stdout


def _no_server_path(value: object, root: str) -> None:
    text = json.dumps(value)
    assert root not in text and "pdf_path" not in text and "documents_dir" not in text, text


def test_documents_served_as_json_name_no_server_file_path(month, close_settings):
    _usage(month, "support.v2")
    close_period(month, close_settings, "2026-10", now=NOW)
    root = str(Path(close_settings.documents_dir).resolve())
    invoice = _rows(month, "invoice")[0]
    with TestClient(create_app(replace(close_settings))) as client:
        for path in ["/v1/statements/ST-2026-10-support", "/v1/teams/support/statements",
                     f"/v1/invoices/{invoice.number}", "/v1/customers/acme/invoices",
                     f"/v1/statements/{_rows(month, 'statement')[0].id}"]:
            response = client.get(path, headers=AUTH)
            assert response.status_code == 200, (path, response.text)
            _no_server_path(response.json(), root)
        shown = client.get("/v1/statements/ST-2026-10-support", headers=AUTH).json()
        assert shown["pdf_url"] == "/v1/statements/ST-2026-10-support.pdf"
        assert client.get(shown["pdf_url"], headers=AUTH).status_code == 200
