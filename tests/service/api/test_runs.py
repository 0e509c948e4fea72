"""Reading runs over HTTP: filters and pages, one run, its trace, its verification, its statement."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditgraph.tools.dsa_sor import statement_problems
from auditgraph.tools.policy_pack import PolicyLibrary
from tests.conftest import DATA, EXPECTED
from tests.service.api.conftest import Server, fresh_case, is_problem, server_fixture

SUBMITTED = [
    "counterfeit_watch_replica",
    "kitchen_knife_set",
    "supplement_cure_claims",
    "unknown_seller",
    "ip_report_counterfeit",
    "switchblade_collector",
    "off_platform_whatsapp",
]

api = server_fixture("runs")
"""A server of this module's own: its pages and filters must list exactly its runs."""


@pytest.fixture(scope="module")
def runs(api: Server) -> dict[str, dict]:
    """A run of each of several bundled cases, by case name."""
    made = {}
    with api.client("ops") as client:
        for name in SUBMITTED:
            response = client.post("/v1/cases", json=fresh_case(name), params={"wait": "true"})
            assert response.status_code == 201, response.text
            made[name] = response.json()
    return made


def _all(api: Server, role: str = "ops", **params: object) -> list[dict]:
    found, cursor = [], None
    with api.client(role) as client:
        while True:
            page = client.get("/v1/runs", params={**params, **({"cursor": cursor} if cursor else {})})
            assert page.status_code == 200, page.text
            found += page.json()["runs"]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                return found


def test_pages_cover_every_run_once_newest_first(api: Server, runs: dict[str, dict]) -> None:
    listed = _all(api, limit=2)
    ids = [r["run_id"] for r in listed]
    assert len(ids) == len(set(ids)) == len(runs)
    started = [r["started"] for r in listed]
    assert started == sorted(started, reverse=True)


@pytest.mark.parametrize(
    ("params", "names"),
    [
        (
            {"decision": "reject"},
            ["counterfeit_watch_replica", "ip_report_counterfeit", "switchblade_collector"],
        ),
        ({"status": "awaiting_review"}, ["unknown_seller"]),
        ({"queue": "fraud"}, ["unknown_seller"]),
        ({"case_kind": "ip_report"}, ["ip_report_counterfeit"]),
        ({"area": "weapons"}, ["switchblade_collector"]),
        (
            {"decision": "restrict", "case_kind": "listing_review"},
            ["supplement_cure_claims", "off_platform_whatsapp"],
        ),
    ],
)
def test_filters_select_exactly_the_matching_runs(
    api: Server, runs: dict[str, dict], params: dict, names: list[str]
) -> None:
    listed = {r["run_id"] for r in _all(api, **params)}
    assert listed == {runs[n]["run"]["run_id"] for n in names}


def test_seller_and_time_window_filters(api: Server, runs: dict[str, dict]) -> None:
    case = json.loads((DATA / "cases" / "kitchen_knife_set.json").read_text())
    seller = case["listing"]["seller_id"]
    by_seller = {r["run_id"] for r in _all(api, seller=seller)}
    assert runs["kitchen_knife_set"]["run"]["run_id"] in by_seller
    assert runs["unknown_seller"]["run"]["run_id"] not in by_seller
    later = datetime.now(UTC).isoformat()
    assert _all(api, since=later) == []
    assert len(_all(api, until=later)) >= len(runs)


@pytest.mark.parametrize(
    "params",
    [
        {"status": "finished"},
        {"limit": 0},
        {"limit": 501},
        {"cursor": "not-a-cursor"},
        {"area": "snacks"},
        {"since": "yesterday"},
        {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
    ],
)
def test_a_bad_filter_is_422_naming_it(api: Server, runs: dict[str, dict], params: dict) -> None:
    with api.client("ops") as client:
        problem = is_problem(client.get("/v1/runs", params=params), 422)
    assert next(iter(params)) in problem["field"]


def test_a_run_reads_with_its_verdict_guard_and_links(api: Server, runs: dict[str, dict]) -> None:
    run_id = runs["counterfeit_watch_replica"]["run"]["run_id"]
    with api.client("reviewer") as client:
        body = client.get(f"/v1/runs/{run_id}").json()
    assert body["run"]["decision"] == "reject"
    assert body["verdict"]["clause_ids"] == EXPECTED["counterfeit_watch_replica"]["clause_ids"]
    assert body["guard"]["action"] == "finalize"
    assert body["links"]["statement_of_reasons"].endswith("/statement-of-reasons")
    assert "review" not in body["links"]


def test_the_trace_is_what_the_cli_prints(api: Server, runs: dict[str, dict], tmp_path: Path) -> None:
    run_id = runs["unknown_seller"]["run"]["run_id"]
    with api.client("auditor") as client:
        served = client.get(f"/v1/runs/{run_id}/trace").json()
    printed = subprocess.run(
        [sys.executable, "-m", "auditgraph.service", "trace", run_id, "--json"],
        env={**os.environ, "AUDITGRAPH_DATABASE_URL": api.database_url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert served == json.loads(printed.stdout)
    assert [s["seq"] for s in served["steps"]] == list(range(1, len(served["steps"]) + 1))


def test_verify_finds_each_run_intact(api: Server, runs: dict[str, dict]) -> None:
    with api.client("auditor") as client:
        for made in runs.values():
            check = client.get(f"/v1/runs/{made['run']['run_id']}/verify").json()
            assert check["ok"], check
            assert check["steps"] > 5 and len(check["head"]) == 64


@pytest.mark.parametrize("name", [n for n in SUBMITTED if EXPECTED[n]["decision"] in ("reject", "restrict")])
def test_a_restricting_decision_has_a_valid_statement_of_reasons(
    api: Server, runs: dict[str, dict], name: str
) -> None:
    run_id = runs[name]["run"]["run_id"]
    with api.client("ops") as client:
        statement = client.get(f"/v1/runs/{run_id}/statement-of-reasons").json()
    taxonomy = PolicyLibrary(DATA / "policy").taxonomy
    assert taxonomy is not None
    assert statement_problems(statement, taxonomy=taxonomy, today=datetime.now(UTC).date()) == []
    assert statement["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert run_id in statement["puid"]


@pytest.mark.parametrize("name", ["kitchen_knife_set", "unknown_seller"])
def test_no_statement_for_a_decision_that_restricts_nothing(
    api: Server, runs: dict[str, dict], name: str
) -> None:
    with api.client("ops") as client:
        problem = is_problem(client.get(f"/v1/runs/{runs[name]['run']['run_id']}/statement-of-reasons"), 404)
    assert problem["type"].endswith("/no-statement")


@pytest.mark.parametrize("suffix", ["", "/trace", "/verify", "/statement-of-reasons"])
def test_an_unknown_run_is_404(api: Server, suffix: str) -> None:
    with api.client("auditor") as client:
        problem = is_problem(client.get(f"/v1/runs/run_0123456789abcdef{suffix}"), 404)
    assert "run_0123456789abcdef" in problem["detail"]


def test_escalations_list_the_open_queue(api: Server, runs: dict[str, dict]) -> None:
    with api.client("reviewer") as client:
        listed = client.get("/v1/escalations").json()["escalations"]
        fraud = client.get("/v1/escalations", params={"queue": "fraud"}).json()["escalations"]
        none = client.get("/v1/escalations", params={"priority": 4, "queue": "no-such-queue"}).json()[
            "escalations"
        ]
    escalated = runs["unknown_seller"]["run"]["run_id"]
    assert escalated in {e["run_id"] for e in listed}
    assert {e["queue"] for e in fraud} == {"fraud"}
    assert none == []
    priorities = [e["priority"] for e in listed]
    assert priorities == sorted(priorities)


def test_an_admin_holds_and_releases_a_case_and_its_run_still_verifies(api: Server) -> None:
    with api.client("ops") as ops:
        made = ops.post("/v1/cases", json=fresh_case("kitchen_knife_set"), params={"wait": "true"}).json()
    case_id, run_id = made["run"]["case_id"], made["run"]["run_id"]
    path = f"/v1/cases/{case_id}/hold"
    with api.client("admin") as admin:
        held = admin.put(path, json={"reason": "matter M-7"})
        assert held.status_code == 200, held.text
        body = held.json()
        assert body["changed"] and body["active"] and body["hold"]["held_by"] == "admin-1"
        assert body["runs"] == [{"run_id": run_id, "status": "completed", "recorded": True}]
        again = admin.put(path, json={"reason": "another matter"}).json()
        assert not again["changed"] and again["hold"]["reason"] == "matter M-7"  # idempotent
        assert case_id in [h["case_id"] for h in admin.get("/v1/holds").json()["holds"]]
        is_problem(admin.put(path, json={"reason": ""}), 422)
        is_problem(admin.put("/v1/cases/case-nope/hold", json={"reason": "x"}), 404)
        released = admin.delete(path, params={"reason": "settled"})
        assert released.status_code == 200 and not released.json()["active"], released.text
        assert "not held" in is_problem(admin.delete(path, params={"reason": "settled"}), 404)["detail"]
        assert case_id not in [h["case_id"] for h in admin.get("/v1/holds").json()["holds"]]
    with api.client("auditor") as auditor:
        check = auditor.get(f"/v1/runs/{run_id}/verify").json()
        steps = auditor.get(f"/v1/runs/{run_id}/trace").json()["steps"]
    assert check["ok"], check
    assert [(s["kind"], s["node"]) for s in steps[-2:]] == [("hold", "hold"), ("hold", "release_hold")]
