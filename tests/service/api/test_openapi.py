"""The served OpenAPI document matches the behaviour: schemathesis generates requests from it
and every answer must be documented, of the documented type and shape, and never a 5xx."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.service.api.conftest import Server, server_fixture

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 30
"""Generated requests per operation: enough to reach every parameter, bounded in time."""


served = server_fixture("openapi")


@pytest.fixture(scope="module")
def api_schema(served: Server):
    return schemathesis.openapi.from_url(f"{served.url}/openapi.json")


OPERATIONS = [
    ("POST", "/v1/cases"),
    ("GET", "/v1/runs"),
    ("GET", "/v1/runs/{run_id}"),
    ("GET", "/v1/runs/{run_id}/trace"),
    ("GET", "/v1/runs/{run_id}/verify"),
    ("GET", "/v1/runs/{run_id}/statement-of-reasons"),
    ("POST", "/v1/runs/{run_id}/review"),
    ("GET", "/v1/escalations"),
    ("GET", "/v1/kpis"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
]


def _role(path: str) -> str:
    if path.endswith("/review"):
        return "reviewer"
    if path.endswith("/verify"):
        return "auditor"
    return "ops"


NO_INPUT = {"/healthz", "/readyz", "/metrics"}
"""Operations with no parameter or body: there is no invalid request to make of them."""
RUNS = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode.value}")
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode == GenerationMode.POSITIVE or path not in NO_INPUT
]


@pytest.mark.parametrize(("method", "path", "mode"), RUNS)
def test_every_answer_matches_the_document(
    api_schema, served: Server, method: str, path: str, mode: GenerationMode
) -> None:
    strategy = api_schema[path][method].as_strategy(generation_mode=mode)
    headers = {"Authorization": f"Bearer {served.tokens[_role(path)]}"}

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=strategy)
    def check(case) -> None:
        case.call_and_validate(base_url=served.url, headers=headers, checks=CHECKS)

    check()


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
        "/v1/kpis",
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
