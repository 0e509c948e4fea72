"""The served OpenAPI document matches the behaviour: schemathesis generates requests from it
and every answer must be documented, of the documented type and shape, and never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.service.api.conftest import Server, start_server, stop_server

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 30
"""Generated requests per operation: enough to reach every parameter, bounded in time."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("openapi"))
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def api_schema(served: Server):
    return schemathesis.openapi.from_url(f"{served.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


def _role(method: str, path: str) -> str:
    if path.endswith("/review"):
        return "reviewer"
    if path.endswith("/verify"):
        return "auditor"
    return "ops"


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_matches_the_document(case, served: Server) -> None:
    role = _role(case.method, case.path)
    case.call_and_validate(
        base_url=served.url,
        headers={"Authorization": f"Bearer {served.tokens[role]}"},
        checks=CHECKS,
    )


def test_the_document_names_every_route_and_the_case_schema(served: Server) -> None:
    document = httpx.get(f"{served.url}/openapi.json").json()
    assert set(document["paths"]) >= {
        "/v1/cases",
        "/v1/runs",
        "/v1/runs/{run_id}",
        "/v1/runs/{run_id}/trace",
        "/v1/runs/{run_id}/verify",
        "/v1/runs/{run_id}/review",
        "/v1/runs/{run_id}/statement-of-reasons",
        "/v1/escalations",
        "/healthz",
        "/readyz",
        "/metrics",
    }
    body = document["paths"]["/v1/cases"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Case"}
    assert "Case" in document["components"]["schemas"]
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert "application/problem+json" in response["content"], (status, operation["summary"])
