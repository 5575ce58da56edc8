"""Service levels over HTTP and the SLA credit a breach proposes: finance lists the proposal,
approves it, and a credit note is issued once; the CLI says the same. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from fastapi.testclient import TestClient
from slo_support import setup_month
from sqlalchemy import select
from typer.testing import CliRunner

from billing.api.app import create_app
from billing.api_keys import create_key
from billing.cli import app as cli
from billing.close.chargeback import customer_charges
from billing.close.period_close import close_period
from billing.models import Document

NOV = datetime(2026, 11, 2, tzinfo=UTC)


def _key(engine, role: str, **fields: str) -> dict[str, str]:  # noqa: ANN001
    return {"Authorization": f"Bearer {create_key(engine, role, **fields)[0]}"}


def test_slo_and_sla_credit_over_http(engine, close_settings):
    settings = setup_month(engine, close_settings)
    assert close_period(engine, settings, "2026-10", now=NOV).status == "closed"
    finance, support = _key(engine, "finance"), _key(engine, "team", team="support")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        body = client.get("/v1/slo?period=2026-10&customer=acme", headers=finance).json()
        tiers = {row["tier"]: row for row in body["tiers"]}
        assert tiers["good"]["breached"] == ["p95_latency_ms", "availability"]
        assert tiers["better"]["breached"] == []
        assert {"p50_latency_ms", "p95_latency_ms", "error_rate", "rate_limited_rate",
                "availability", "calls_by_status"} <= tiers["good"].keys()
        mine = client.get("/v1/slo?period=2026-10", headers=support).json()
        assert mine["team"] == "support" and mine["tiers"]
        assert client.get("/v1/slo?period=2026-10&team=sales", headers=support).status_code \
            == 404
        assert client.get("/v1/slo?period=2026-10&customer=acme",
                          headers=support).status_code == 404
        assert client.get("/v1/slo?period=2026-13", headers=finance).status_code == 422
        assert client.get("/v1/sla/proposals?period=2026-10", headers=support).status_code \
            == 403

        listed = client.get("/v1/sla/proposals?period=2026-10", headers=finance).json()
        assert [(p["customer"], p["tier"], p["status"]) for p in listed["data"]] == [
            ("acme", "good", "proposed")]
        proposal = listed["data"][0]
        with engine.connect() as connection:
            charge = customer_charges(connection, "2026-10", contracts=False)["acme"]
        good = charge.tiers["good"].amount
        credit = (good * Decimal("0.20")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert (Decimal(proposal["charge"]), Decimal(proposal["amount"])) == (good, credit)
        again = client.get("/v1/sla/proposals?period=2026-10", headers=finance).json()
        assert (again["proposed"], again["unchanged"], len(again["data"])) == ([], 1, 1)

        approved = client.post(f"/v1/sla/proposals/{proposal['id']}/approve", headers=finance)
        assert approved.status_code == 200, approved.text
        note = approved.json()
        assert note["issued"] and note["status"] == "approved" and note["credit_note"]
        twice = client.post(f"/v1/sla/proposals/{proposal['id']}/approve", headers=finance)
        assert twice.json()["issued"] is False
        missing = client.post("/v1/sla/proposals/999/approve", headers=finance)
        assert missing.status_code == 404
        assert "billing sla proposals" in missing.json()["detail"]
        assert client.post(f"/v1/sla/proposals/{2**70}/approve",
                           headers=finance).status_code == 422
    table = Document.__table__
    with engine.connect() as connection:
        notes = connection.execute(select(table.c.number, table.c.content).where(
            table.c.kind == "credit_note")).all()
    assert [number for number, _ in notes] == [note["credit_note"]]
    assert Decimal(json.loads(notes[0].content)["subtotal"]) == credit


def test_the_cli_lists_and_approves_a_proposal(engine, close_settings, close_env, monkeypatch):
    settings = setup_month(engine, close_settings)
    monkeypatch.setenv("BILLING_CUSTOMER_CARD", settings.customer_card)
    runner = CliRunner()
    early = runner.invoke(cli, ["sla", "proposals", "--period", "2026-10", "--json"])
    assert early.exit_code == 0, early.output
    proposal = json.loads(early.output)["proposals"][0]
    refused = runner.invoke(cli, ["sla", "approve", str(proposal["id"])])
    assert refused.exit_code == 2 and "billing close --period 2026-10" in refused.output, \
        refused.output
    assert close_period(engine, settings, "2026-10", now=NOV).status == "closed"
    shown = runner.invoke(cli, ["sla", "attainment", "--period", "2026-10", "--customer",
                                "acme"])
    assert shown.exit_code == 0 and "p95_latency_ms" in shown.output, shown.output
    done = runner.invoke(cli, ["sla", "approve", str(proposal["id"]), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["issued"] is True
    listed = runner.invoke(cli, ["sla", "proposals", "--period", "2026-10"])
    assert "approved" in listed.output
    assert runner.invoke(cli, ["sla", "approve", "x"]).exit_code == 2
    huge = runner.invoke(cli, ["sla", "approve", str(2**70)])
    assert huge.exit_code == 2 and "no SLA credit proposal" in huge.output, huge.output
