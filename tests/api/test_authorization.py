"""Who may call what: every endpoint against every role, over HTTP.

A team key reading another team's data gets a 404 (never a 200, never a 403 that would reveal
the data exists); a role that may not call an endpoint at all gets a 403; no key, a 401.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from billing.api.app import create_app
from billing.api_keys import create_key, revoke_key
from billing.close.period_close import close_period

ROLES = ("admin", "finance", "team", "other-team", "ingest", "gateway", "none")
OK, FORBIDDEN, HIDDEN, UNAUTHORIZED = "ok", 403, 404, 401
USAGE = ('{"event_id": "authz-1", "occurred_at": "2026-11-02T10:00:00Z", "team": "support",'
         ' "model": "gpt-4o-mini", "input_tokens": 10, "output_tokens": 5}')


def expect(allowed: tuple[str, ...], team_scoped: bool = False) -> dict[str, object]:
    """What each role gets: allowed roles succeed; a team key on another team sees nothing."""
    result: dict[str, object] = {"none": UNAUTHORIZED}
    for role in ROLES[:-1]:
        base = "team" if role == "other-team" else role
        if role == "admin" or base in allowed:
            result[role] = HIDDEN if (role == "other-team" and team_scoped) else OK
        else:
            result[role] = FORBIDDEN
    return result


# (method, path, body, allowed roles, team-scoped, what an allowed answer must hold);
# {statement} is support's statement id, {invoice} and {invoice_number} acme's invoice id
# and number. Each check gets the response, the role that called and the fixture's ids.


def _json(response):  # noqa: ANN001, ANN202
    assert response.headers["content-type"].startswith("application/json"), response.headers
    return response.json()


def _pdf(response, role, ids) -> bool:  # noqa: ANN001
    return (response.headers["content-type"] == "application/pdf"
            and response.content.startswith(b"%PDF-"))


def _support_statement(response, role, ids) -> bool:  # noqa: ANN001
    body = _json(response)
    return (body["kind"], body["subject"], body["number"], body["id"]) == (
        "statement", "support", "ST-2026-10-support", ids["statement"])


def _acme_invoice(response, role, ids) -> bool:  # noqa: ANN001
    body = _json(response)
    return (body["kind"], body["subject"], body["number"], body["id"]) == (
        "invoice", "acme", ids["invoice_number"], ids["invoice"])


def _all_support(response, role, ids) -> bool:  # noqa: ANN001
    rows = _json(response)
    return bool(rows) and all(row["team"] == "support" for row in rows)


def _team_support(response, role, ids) -> bool:  # noqa: ANN001
    return _json(response)["team"] == "support"


def _usage(response, role, ids) -> bool:  # noqa: ANN001
    body = _json(response)  # the first allowed caller lands the event, the next is a duplicate
    return body["accepted"] + body["duplicates"] == 1 and body["rejected"] == 0


ENDPOINTS = [
    ("GET", "/v1/showback/support?period=2026-10", None, ("finance", "team"), True,
     lambda r, role, ids: _json(r)["team"] == "support" and _json(r)["period"] == "2026-10"
     and bool(_json(r)["lines"])),
    ("GET", "/v1/teams/support/statements", None, ("finance", "team"), True,
     lambda r, role, ids: [(d["subject"], d["id"]) for d in _json(r)["data"]]
     == [("support", ids["statement"])]),
    ("GET", "/v1/statements/{statement}", None, ("finance", "team"), True, _support_statement),
    ("GET", "/v1/statements/{statement}.pdf", None, ("finance", "team"), True, _pdf),
    ("GET", "/v1/statements/ST-2026-10-support", None, ("finance", "team"), True,
     _support_statement),
    ("GET", "/v1/statements/ST-2026-10-support.pdf", None, ("finance", "team"), True, _pdf),
    ("GET", "/v1/customers/acme/invoices", None, ("finance",), False,
     lambda r, role, ids: bool(_json(r)["data"])
     and all(d["subject"] == "acme" and d["kind"] == "invoice" for d in _json(r)["data"])),
    ("GET", "/v1/invoices/{invoice}", None, ("finance",), False, _acme_invoice),
    ("GET", "/v1/invoices/{invoice}.pdf", None, ("finance",), False, _pdf),
    ("GET", "/v1/invoices/{invoice_number}", None, ("finance",), False, _acme_invoice),
    ("GET", "/v1/invoices/{invoice_number}.pdf", None, ("finance",), False, _pdf),
    ("GET", "/v1/budgets/support/status?period=2026-10", None,
     ("finance", "team", "gateway"), True,
     lambda r, role, ids: (_json(r)["team"], _json(r)["budget"], _json(r)["decision"])
     == ("support", BUDGETS["support"], "warn")),
    ("PUT", "/v1/budgets/support/2026-11", {"amount": "100.00"}, ("finance",), False,
     lambda r, role, ids: (_json(r)["team"], _json(r)["period"], _json(r)["amount"])
     == ("support", "2026-11", "100.00")),
    ("GET", "/v1/budgets?period=2026-10&team=support", None, ("finance", "team"), True,
     lambda r, role, ids: [(b["team"], b["amount"]) for b in _json(r)]
     == [("support", BUDGETS["support"])]),
    ("GET", "/v1/forecast/support?period=2026-10", None, ("finance", "team"), True,
     _team_support),
    ("GET", "/v1/alerts?team=support", None, ("finance", "team"), True, _all_support),
    ("GET", "/v1/outcomes/unit-economics?period=2026-10&team=support", None,
     ("finance", "team"), True, _all_support),
    ("POST", "/v1/outcomes", [], ("ingest",), False,
     lambda r, role, ids: _json(r)["accepted"] == 0 and _json(r)["rejected"] == 0),
    ("POST", "/v1/usage", USAGE, ("ingest",), False, _usage),
    ("GET", "/v1/slo?period=2026-10&team=support", None, ("finance", "team"), True,
     _team_support),
    ("GET", "/v1/sla/proposals?period=2026-10", None, ("finance",), False,
     lambda r, role, ids: _json(r)["period"] == "2026-10" and "data" in _json(r)),
    ("GET", "/v1/coverage?period=2026-10", None, ("finance",), False,
     lambda r, role, ids: _json(r)["usage"]["period"] == "2026-10"),
    ("GET", "/v1/coverage/support?period=2026-10", None, ("finance", "team"), True,
     _team_support),
    ("GET", "/v1/trends/support?until=2026-10", None, ("finance", "team"), True,
     _team_support),
    ("GET", "/v1/me", None, ("finance", "team", "ingest", "gateway"), False,
     lambda r, role, ids: _json(r)["role"] == {"other-team": "team"}.get(role, role)
     and _json(r).get("teams") == {"team": ["support"], "other-team": ["search"]}.get(
         role, _json(r).get("teams"))),
    ("GET", "/v1/export/focus?period=2026-10", None, ("finance",), False,
     lambda r, role, ids: r.headers["content-type"].startswith("text/csv")
     and "BilledCost" in r.text.splitlines()[0] and len(r.text.splitlines()) > 1),
    ("GET", "/v1/ratecards", None, ("finance", "team", "ingest", "gateway"), False,
     lambda r, role, ids: {"internal", "external"} <= {c["card"] for c in _json(r)}),
    ("POST", "/v1/quote", {"model": "gpt-4o-mini", "input_tokens": 1, "output_tokens": 1},
     ("finance", "team", "ingest", "gateway"), False,
     lambda r, role, ids: _json(r)["model"] == "gpt-4o-mini"
     and Decimal(_json(r)["internal_price"]) > 0),
]
# budgets of two teams, both crossed by their October spend so each team has alerts
BUDGETS = {"support": "10.00", "search": "0.50"}


@pytest.fixture
def world(month, close_settings):  # noqa: ANN001, ANN201
    close_period(month, close_settings, "2026-10", now=datetime(2026, 11, 2, tzinfo=UTC))
    keys = {"none": None}
    for role in ("admin", "finance", "ingest", "gateway"):
        keys[role] = create_key(month, role)[0]
    keys["team"] = create_key(month, "team", team="support")[0]
    keys["other-team"] = create_key(month, "team", team="search")[0]
    with TestClient(create_app(close_settings)) as client:
        for team, amount in BUDGETS.items():
            put = client.put(f"/v1/budgets/{team}/2026-10", json={"amount": amount},
                             headers={"Authorization": f"Bearer {keys['finance']}"})
            assert put.status_code == 200, put.text
        statement = client.get("/v1/teams/support/statements",
                               headers={"Authorization": f"Bearer {keys['finance']}"}).json()
        invoice = client.get("/v1/customers/acme/invoices",
                             headers={"Authorization": f"Bearer {keys['finance']}"}).json()
        ids = {"statement": statement["data"][0]["id"], "invoice": invoice["data"][0]["id"],
               "invoice_number": invoice["data"][0]["number"]}
        yield client, keys, ids


def _call(client, method, path, body, key):  # noqa: ANN001, ANN202
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if isinstance(body, str):
        headers["Content-Type"] = "application/x-ndjson"
        return client.request(method, path, content=body, headers=headers)
    return client.request(method, path, json=body, headers=headers)


def test_every_endpoint_against_every_role(world, caplog):
    client, keys, ids = world
    failures = []
    for method, template, body, allowed, scoped, holds in ENDPOINTS:
        path = template.format(**ids)
        for role, wanted in expect(allowed, scoped).items():
            response = _call(client, method, path, body, keys[role])
            status = response.status_code
            if wanted == OK and status == 200 and not holds(response, role, ids):
                failures.append(f"{method} {path} as {role}: wrong content {response.text[:300]}")
            elif status != (200 if wanted == OK else wanted):
                failures.append(f"{method} {path} as {role}: {status}, wanted {wanted}")
    assert not failures, "\n".join(failures)
    denials = [record for record in caplog.records if getattr(record, "event", "") ==
               "access_denied" and record.status in (403, 404)]
    assert denials and all(record.key_id for record in denials)
    assert not any(keys["team"] in record.getMessage() + str(record.__dict__)
                   for record in caplog.records)


def test_team_key_lists_only_its_own_team(world):
    client, keys, _ = world

    def listed(role: str, path: str) -> list[dict]:
        response = client.get(path, headers={"Authorization": f"Bearer {keys[role]}"})
        assert response.status_code == 200, response.text
        return response.json()

    budgets = "/v1/budgets?period=2026-10"
    assert {item["team"] for item in listed("finance", budgets)} == set(BUDGETS)
    for role, team in (("team", "support"), ("other-team", "search")):
        own = listed(role, budgets)
        assert [(item["team"], item["amount"]) for item in own] == [(team, BUDGETS[team])]
        alerts = listed(role, "/v1/alerts")
        assert alerts and {alert["team"] for alert in alerts} == {team}
    assert {alert["team"] for alert in listed("finance", "/v1/alerts")} >= set(BUDGETS)
    foreign = client.get("/v1/budgets?period=2026-10&team=search",
                         headers={"Authorization": f"Bearer {keys['team']}"})
    assert foreign.status_code == 404


def test_revoked_and_expired_keys_are_refused(world, month):
    client, keys, _ = world
    headers = {"Authorization": f"Bearer {keys['finance']}"}
    assert client.get("/v1/ratecards", headers=headers).status_code == 200
    revoke_key(month, keys["finance"].split("_")[1])
    assert client.get("/v1/ratecards", headers=headers).status_code == 401
    expired, _ = create_key(month, "finance", expires_at=datetime.now(UTC) - timedelta(1))
    assert client.get("/v1/ratecards",
                      headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    wrong = keys["admin"][:-2] + "xx"
    assert client.get("/v1/ratecards",
                      headers={"Authorization": f"Bearer {wrong}"}).status_code == 401


def test_request_id_metrics_and_health(world):
    client, keys, _ = world
    response = client.get("/v1/ratecards", headers={"Authorization": f"Bearer {keys['admin']}",
                                                    "X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert client.get("/healthz").headers["X-Request-ID"]
    metrics = client.get("/metrics").text
    accepted = re.search(r'billing_ingest_events_total\{outcome="accepted"\} (\d+)', metrics)
    rejected = re.search(r'billing_ingest_events_total\{outcome="rejected"\} (\d+)', metrics)
    assert int(accepted.group(1)) > 2500 and int(rejected.group(1)) > 0
    assert "billing_rating_lag_events 0" in metrics and "billing_close_duration_seconds" in metrics
    assert 'route="/v1/ratecards"' in metrics
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["checks"]["migrations"] == "ok"


def _status_with_customer(response, role, ids) -> bool:  # noqa: ANN001
    body = _json(response)
    return body["team"] == "support" and any(
        check.get("customer") == "acme" or "acme" in str(check) for check in body["checks"])


def _no_customer_scope(response, role, ids) -> bool:  # noqa: ANN001
    rows = _json(response)
    own = {"team": "support", "other-team": "search"}.get(role)
    if own is None:  # finance and admin see the customer budget with all teams' spend
        return any(row.get("customer") == "acme" for row in rows)
    return bool(rows) and all(row["team"] == own and not row.get("customer") for row in rows)


def _grouped_support(response, role, ids) -> bool:  # noqa: ANN001
    body = _json(response)
    return body["team"] == "support" and bool(body.get("rows") or body.get("lines"))


# Every query parameter that changes whose data an answer holds, against every role:
# (path, roles besides admin allowed, what the support key gets, what the search key gets,
# content check of an allowed answer).
SCOPED = [
    ("/v1/budgets/support/status?period=2026-10&customer=acme", ("finance", "gateway"),
     HIDDEN, HIDDEN, _status_with_customer),
    ("/v1/budgets/support/status?period=2026-10&use_case=support-copilot",
     ("finance", "gateway"), OK, HIDDEN, lambda r, role, ids: _json(r)["team"] == "support"),
    ("/v1/budgets?period=2026-10", ("finance",), OK, OK, _no_customer_scope),
    ("/v1/budgets?period=2026-10&team=search", ("finance",), HIDDEN, OK,
     lambda r, role, ids: {row["team"] for row in _json(r)} == {"search"}),
    ("/v1/alerts?team=search", ("finance",), HIDDEN, OK,
     lambda r, role, ids: {row["team"] for row in _json(r)} == {"search"}),
    ("/v1/alerts?team=support&period=2026-10", ("finance",), OK, HIDDEN, _all_support),
    ("/v1/outcomes/unit-economics?period=2026-10&team=search", ("finance",), HIDDEN, OK,
     lambda r, role, ids: all(row["team"] == "search" for row in _json(r))),
    ("/v1/showback/support?period=2026-10&group_by=customer", ("finance",), OK, HIDDEN,
     _grouped_support),
    ("/v1/showback/support?period=2026-10&customer=acme", ("finance",), OK, HIDDEN,
     _grouped_support),
    ("/v1/showback/support?period=2026-10&use_case=support-copilot&group_by=model,day",
     ("finance",), OK, HIDDEN, _grouped_support),
    ("/v1/forecast/support?period=2026-10&use_case=support-copilot", ("finance",), OK, HIDDEN,
     _team_support),
    ("/v1/teams/support/statements?period=2026-10", ("finance",), OK, HIDDEN,
     lambda r, role, ids: [d["subject"] for d in _json(r)["data"]] == ["support"]),
    ("/v1/customers/acme/invoices?period=2026-10", ("finance",), FORBIDDEN, FORBIDDEN,
     lambda r, role, ids: all(d["subject"] == "acme" for d in _json(r)["data"])),
]


def test_every_scope_parameter_against_every_role(world):
    client, keys, ids = world
    put = client.put("/v1/budgets/support/2026-10", json={"amount": "1.00", "customer": "acme"},
                     headers={"Authorization": f"Bearer {keys['finance']}"})
    assert put.status_code == 200, put.text
    failures = []
    for path, allowed, support_key, search_key, holds in SCOPED:
        wanted_by_role = expect(allowed) | {"team": support_key, "other-team": search_key}
        for role, wanted in wanted_by_role.items():
            response = _call(client, "GET", path, None, keys[role])
            status = response.status_code
            if wanted == OK and status == 200 and not holds(response, role, ids):
                failures.append(f"{path} as {role}: wrong content {response.text[:300]}")
            elif status != (200 if wanted == OK else wanted):
                failures.append(f"{path} as {role}: {status}, wanted {wanted}")
    assert not failures, "\n".join(failures)
