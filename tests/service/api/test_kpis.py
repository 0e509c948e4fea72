"""GET /v1/kpis: the figures of cases audited over HTTP with the rules agent, who may read
them, and 422 problems for windows that are not windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.service.api.conftest import Server, fresh_case, is_problem, server_fixture

kpi_server = server_fixture("kpis")


@pytest.fixture(scope="module")
def audited(kpi_server: Server) -> dict[str, Any]:
    """Two cases the agent decides, three it escalates to fraud; two of those reviewed
    (approve): one where the agent proposed nothing, one where it proposed a decision."""
    started = datetime.now(UTC) - timedelta(seconds=1)
    runs: dict[str, dict[str, Any]] = {}
    with kpi_server.client("ops") as ops:
        for key, name in [
            ("knife", "kitchen_knife_set"),
            ("watch", "counterfeit_watch_replica"),
            ("unknown_a", "unknown_seller"),
            ("unknown_b", "unknown_seller"),
            ("injection", "injection_in_description"),
        ]:
            answer = ops.post("/v1/cases", json=fresh_case(name), params={"wait": "true"})
            assert answer.status_code == 201, answer.text
            runs[key] = answer.json()
    with kpi_server.client("reviewer") as reviewer:
        for key in ("unknown_a", "injection"):
            run = runs[key]
            body = {"decision": "approve", "reason": "checked", "review_digest": run["review_digest"]}
            answer = reviewer.post(f"/v1/runs/{run['run']['run_id']}/review", json=body)
            assert answer.status_code == 200, answer.text
    return {"runs": runs, "started": started}


def test_the_figures_of_what_was_audited(kpi_server: Server, audited: dict[str, Any]) -> None:
    proposals = [audited["runs"][k]["escalation"]["agent_decision"] for k in ("unknown_a", "injection")]
    with kpi_server.client("ops") as ops:
        answer = ops.get("/v1/kpis")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["cases"] == 5
    assert body["automation"] == {"automated": 2, "escalated": 3, "reached": 5, "rate": 0.4}
    assert body["escalations"]["by_queue"] == [{"name": "fraud", "count": 3, "rate": 0.6}]
    reasons = {r["name"]: r["count"] for r in body["escalations"]["by_reason"]}
    assert reasons["unknown_seller"] == 2 and reasons["injection_attempt"] == 1
    # Both were approved: the agent had proposed approve for one (kept), reject for the other.
    assert proposals == ["approve", "reject"]
    assert {k: body["reviews"][k] for k in ("count", "proposed", "overrides", "override_rate")} == {
        "count": 2,
        "proposed": 2,
        "overrides": 1,
        "override_rate": 0.5,
    }
    assert body["time_to_decision"]["count"] == 4 and body["time_to_decision"]["median_s"] > 0
    assert body["open_escalations"]["count"] == 1 and body["open_escalations"]["p95_s"] >= 0
    assert body["sla"]["breaches"] == 0 and body["sla"]["hours"] == {"1": 1.0, "2": 4.0, "3": 24.0, "4": 72.0}
    # The rules agent calls no model: zeros, not errors or nulls.
    assert body["model"] == {
        "calls": 0,
        "tokens_in": 0,
        "tokens_out": 0,
        "cost_usd": 0.0,
        "calls_per_case": 0.0,
        "tokens_per_case": 0.0,
        "cost_per_case_usd": 0.0,
    }
    since = datetime.fromisoformat(body["window"]["since"])
    until = datetime.fromisoformat(body["window"]["until"])
    assert until - since == timedelta(days=7) and body["window"]["area"] is None


def test_an_area_and_a_window_narrow_the_runs_as_the_runs_list_does(
    kpi_server: Server, audited: dict[str, Any]
) -> None:
    window = {
        "since": audited["started"].isoformat(),
        "until": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
    }
    with kpi_server.client("auditor") as client:
        for area in ("counterfeit_ip", "weapons"):
            figures = client.get("/v1/kpis", params={**window, "area": area}).json()
            listed = client.get("/v1/runs", params={**window, "area": area}).json()["runs"]
            assert figures["cases"] == len(listed)
            assert figures["window"]["area"] == area
        before = client.get("/v1/kpis", params={"until": audited["started"].isoformat()}).json()
    assert before["cases"] == 0 and before["automation"]["rate"] is None
    assert before["time_to_decision"] == {"count": 0, "median_s": None, "p95_s": None}


@pytest.mark.parametrize("role", ["ops", "reviewer", "auditor"])
def test_every_reading_role_reads_them(kpi_server: Server, role: str) -> None:
    with kpi_server.client(role) as client:
        assert client.get("/v1/kpis").status_code == 200


def test_admins_and_strangers_do_not(kpi_server: Server) -> None:
    with kpi_server.client("admin") as client:
        is_problem(client.get("/v1/kpis"), 403)
    with kpi_server.client() as client:
        is_problem(client.get("/v1/kpis"), 401)


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"},
        {"since": "2026-12-01T00:00:00Z", "until": "2026-12-01T00:00:00Z"},
        {"since": "last week"},
        {"until": "0001-01-01T00:00:00Z"},
        {"area": "knitting"},
    ],
    ids=repr,
)
def test_a_window_that_is_not_one_is_a_422_problem(kpi_server: Server, params: dict[str, str]) -> None:
    with kpi_server.client("ops") as client:
        problem = is_problem(client.get("/v1/kpis", params=params), 422)
    assert problem["detail"]
