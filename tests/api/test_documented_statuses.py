"""The OpenAPI document promises per route only the problem statuses that route can answer.

Read from the document, then checked against the app over HTTP: a route that answers 401 without
a key documents 401 (and one that never asks for a key does not); a route that refuses some
role's key documents 403 (and one every key may call does not). A route without a body never
documents 413 or 415; every route documents its 500 as a problem, except the OTLP receiver,
whose failures are the google.rpc.Status the OTLP/HTTP specification requires.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from billing.api.app import create_app
from billing.api.problems import PROBLEM_JSON
from billing.api_keys import ROLES, create_key

METHODS = ("get", "put", "post", "patch", "delete")
SAMPLE = {"period": "2026-10"}
OTLP = ("post", "/v1/traces")
STATUS = ["application/x-protobuf", "application/json"]  # google.rpc.Status, both encodings


def _error_media(method: str, path: str) -> list[str]:
    return STATUS if (method, path) == OTLP else [PROBLEM_JSON]


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    return [(method, path, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method in METHODS]


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), "support"), path)


@pytest.fixture
def app(settings):  # noqa: ANN001, ANN201
    return create_app(settings)


@pytest.fixture
def document(app) -> dict:  # noqa: ANN001
    return app.openapi()


def test_every_route_documents_its_500_as_a_problem(document):
    for method, path, operation in _operations(document):
        documented = operation["responses"].get("500")
        assert documented, f"{method.upper()} {path} does not document its 500"
        assert list(documented["content"]) == _error_media(method, path), \
            f"{method.upper()} {path}"


def test_every_error_status_is_documented_as_a_problem(document):
    """FastAPI's own 422 (an application/json HTTPValidationError) is never what we send."""
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if (path, status) == ("/healthz", "503"):
                continue  # the health report itself, for a load balancer
            if status.startswith(("4", "5")) and "content" in response:
                assert list(response["content"]) == _error_media(method, path), \
                    f"{method.upper()} {path} documents {status} as {list(response['content'])}"
    assert "HTTPValidationError" not in document.get("components", {}).get("schemas", {})


def test_a_route_without_a_body_documents_no_413_or_415(document):
    for method, path, operation in _operations(document):
        if "requestBody" not in operation:
            documented = set(operation["responses"])
            assert not documented & {"413", "415"}, \
                f"{method.upper()} {path} has no body yet documents {documented & {'413', '415'}}"


def test_401_and_403_are_documented_exactly_where_the_route_answers_them(app, engine, document):
    keys = {"admin": "test-key"} | {
        role: create_key(engine, role, team="support" if role == "team" else None)[0]
        for role in ROLES if role != "admin"}
    wrong = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, path, operation in _operations(document):
            documented = set(operation["responses"])
            url = _url(path)
            anonymous = client.request(method, url).status_code
            if (anonymous == 401) != ("401" in documented):
                wrong.append(f"{method.upper()} {path}: without a key {anonymous}, documents "
                             f"401: {'401' in documented}")
            refused = sorted(role for role, key in keys.items() if client.request(
                method, url, headers={"Authorization": f"Bearer {key}"}).status_code == 403)
            if bool(refused) != ("403" in documented):
                wrong.append(f"{method.upper()} {path}: refuses {refused or 'no key'}, "
                             f"documents 403: {'403' in documented}")
    assert not wrong, "\n".join(wrong)


def test_the_app_itself_promises_no_status_to_every_route(app):
    """Each route says what it answers; nothing is inherited from the app."""
    assert not app.router.responses
