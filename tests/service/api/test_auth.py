"""Every endpoint checks its caller: 401 without a valid token, 403 for a role that may not."""

from __future__ import annotations

import pytest

from auditgraph.store import make_engine
from auditgraph.store.tokens import ROLES, TokenStore, allowed
from tests.service.api.conftest import Server, is_problem

MISSING = "run_00000000deadbeef"
ENDPOINTS = [
    ("POST", "/v1/cases", "submit"),
    ("GET", "/v1/runs", "read"),
    ("GET", f"/v1/runs/{MISSING}", "read"),
    ("GET", f"/v1/runs/{MISSING}/trace", "read"),
    ("GET", f"/v1/runs/{MISSING}/verify", "verify"),
    ("GET", f"/v1/runs/{MISSING}/statement-of-reasons", "read"),
    ("GET", "/v1/escalations", "read"),
    ("POST", f"/v1/runs/{MISSING}/review", "review"),
    ("GET", "/v1/holds", "manage_holds"),
    ("PUT", "/v1/cases/case-missing/hold", "manage_holds"),
    ("DELETE", "/v1/cases/case-missing/hold?reason=done", "manage_holds"),
]
REVIEW = {"decision": "approve", "reason": "checked", "review_digest": "0" * 64}


def _call(api: Server, method: str, path: str, role: str | None, **headers: str):
    with api.client(role, **headers) as client:
        if method == "POST" and path.endswith("/review"):
            return client.post(path, json=REVIEW)
        if method == "POST":
            # Not a case: an allowed caller gets 422 and nothing is audited.
            return client.post(path, json={"kind": "listing_review"})
        if method == "PUT":
            return client.put(path, json={"reason": "matter M-1"})  # no such case: 404 when allowed
        if method == "DELETE":
            return client.delete(path)
        return client.get(path)


@pytest.mark.parametrize(("method", "path", "action"), ENDPOINTS)
def test_no_token_is_401_with_a_challenge(api: Server, method: str, path: str, action: str) -> None:
    response = _call(api, method, path, None)
    problem = is_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "tokens create" in problem["detail"]


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer agt_notarealtokenatall0000000000000000000000000",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer " + "a" * 5000,
        "agt_missing_scheme",
    ],
)
@pytest.mark.parametrize(("method", "path", "action"), ENDPOINTS[:3])
def test_a_token_that_does_not_authenticate_is_401(
    api: Server, method: str, path: str, action: str, authorization: str
) -> None:
    is_problem(_call(api, method, path, None, Authorization=authorization), 401)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "action"), ENDPOINTS)
def test_each_role_passes_only_where_allowed(
    api: Server, method: str, path: str, action: str, role: str
) -> None:
    response = _call(api, method, path, role)
    if allowed(role, action):
        assert response.status_code not in (401, 403), response.text
    else:
        problem = is_problem(response, 403)
        assert f"role {role}" in problem["detail"]


def test_a_revoked_token_is_refused_at_once(api: Server) -> None:
    engine = make_engine(api.database_url)
    made = TokenStore(engine).create("revoked-soon", "ops")
    try:
        with api.client() as client:
            headers = {"Authorization": f"Bearer {made.token}"}
            assert client.get("/v1/runs", headers=headers).status_code == 200
            TokenStore(engine).revoke("revoked-soon")
            is_problem(client.get("/v1/runs", headers=headers), 401)
    finally:
        engine.dispose()


def test_token_use_is_recorded(api: Server) -> None:
    with api.client("auditor") as client:
        assert client.get("/v1/runs").status_code == 200
    engine = make_engine(api.database_url)
    try:
        listed = {t.name: t for t in TokenStore(engine).list_tokens()}
    finally:
        engine.dispose()
    assert listed["auditor-1"].last_used_at is not None


def test_health_and_metrics_need_no_token(api: Server) -> None:
    with api.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").status_code == 200
        assert client.get("/metrics").status_code == 200
