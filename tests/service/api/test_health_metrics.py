"""Health, readiness, Prometheus metrics, and what an unexpected error looks like."""

from __future__ import annotations

import re
import sqlite3

from prometheus_client.parser import text_string_to_metric_families

from tests.service.api.conftest import Server, fresh_case, is_problem


def _samples(api: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with api.client() as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_health_and_readiness(api: Server) -> None:
    with api.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["schema"]


def test_metrics_parse_and_move_when_a_case_is_audited(api: Server) -> None:
    before = _samples(api)
    with api.client("ops") as client:
        assert (
            client.post(
                "/v1/cases", json=fresh_case("switchblade_collector"), params={"wait": "true"}
            ).status_code
            == 201
        )
        escalated = client.post("/v1/cases", json=fresh_case("unknown_seller"), params={"wait": "true"})
        assert escalated.status_code == 201
        run_id = escalated.json()["run"]["run_id"]
        assert client.get(f"/v1/runs/{run_id}").status_code == 200
    after = _samples(api)
    assert _value(after, "auditgraph_audits_total", status="completed", decision="reject") == (
        _value(before, "auditgraph_audits_total", status="completed", decision="reject") + 1
    )
    assert _value(after, "auditgraph_runs", status="completed", decision="reject") == (
        _value(before, "auditgraph_runs", status="completed", decision="reject") + 1
    )
    assert _value(after, "auditgraph_open_escalations", queue="fraud") == (
        _value(before, "auditgraph_open_escalations", queue="fraud") + 1
    )
    assert _value(after, "auditgraph_escalations_by_reason", reason="unknown_seller") >= 1
    submitted = {"route": "/v1/cases", "method": "POST", "status": "201"}
    assert _value(after, "auditgraph_http_requests_total", **submitted) == (
        _value(before, "auditgraph_http_requests_total", **submitted) + 2
    )
    assert (
        _value(after, "auditgraph_http_request_duration_seconds_count", route="/v1/cases", method="POST") >= 2
    )
    # Route templates, never paths with ids: one label per route.
    routes = {dict(labels).get("route", "") for _, labels in after}
    assert "/v1/runs/{run_id}" in routes
    assert not any(re.search(r"run_[0-9a-f]{16}", route) for route in routes)


def test_an_unexpected_error_is_500_with_a_correlation_id_in_the_log(api: Server) -> None:
    with api.client("ops") as client:
        run_id = client.post(
            "/v1/cases", json=fresh_case("kitchen_knife_set"), params={"wait": "true"}
        ).json()["run"]["run_id"]
    path = api.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        [status] = conn.execute("SELECT status FROM run WHERE run_id = ?", (run_id,)).fetchone()
        conn.execute("UPDATE run SET status = 'bogus' WHERE run_id = ?", (run_id,))
    try:
        with api.client("ops") as client:
            problem = is_problem(client.get(f"/v1/runs/{run_id}"), 500)
    finally:
        # The server is shared with other modules: a run no listing can read would fail them.
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE run SET status = ? WHERE run_id = ?", (status, run_id))
    correlation = problem["correlation_id"]
    assert correlation in problem["detail"]
    log = api.server_log()
    assert correlation in log and "Traceback" in log
    assert "bogus" not in problem["detail"]
