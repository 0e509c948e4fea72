"""Reviewing over HTTP: the token is the reviewer, the digest binds the review to what was read."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.service.api.conftest import Server, fresh_case, is_problem


def _escalated(api: Server, name: str = "unknown_seller") -> dict:
    with api.client("ops") as client:
        response = client.post("/v1/cases", json=fresh_case(name), params={"wait": "true"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["run"]["status"] == "awaiting_review"
    return body


def _review(client: httpx.Client, run: dict, **changes: object) -> httpx.Response:
    body = {
        "decision": "approve",
        "reason": "Seller verified by phone.",
        "review_digest": run["review_digest"],
    }
    return client.post(f"/v1/runs/{run['run']['run_id']}/review", json={**body, **changes})


def test_a_reviewer_resolves_an_escalation_as_themself(api: Server) -> None:
    run = _escalated(api)
    run_id = run["run"]["run_id"]
    with api.client("reviewer") as client:
        read = client.get(f"/v1/runs/{run_id}").json()
        assert read["review_digest"] == run["review_digest"]
        assert read["links"]["review"] == f"/v1/runs/{run_id}/review"
        response = _review(client, read, reviewer="someone-else")
        is_problem(response, 422)  # the reviewer is never a body field
        response = _review(client, read)
    assert response.status_code == 200, response.text
    done = response.json()
    assert done["run"]["status"] == "completed"
    assert done["run"]["decision"] == "approve"
    assert done["decision_record"]["decided_by"] == "reviewer"
    [review] = done["reviews"]
    assert review["reviewer"] == "reviewer-1"
    assert review["reviewer_role"] == "reviewer"
    assert review["review_digest"] == run["review_digest"]
    assert done["review_digest"] is None
    with api.client("auditor") as client:
        trace = client.get(f"/v1/runs/{run_id}/trace").json()
        check = client.get(f"/v1/runs/{run_id}/verify").json()
    chained = [s["output"] for s in trace["steps"] if s["kind"] == "interrupt" and s["agent"] == "reviewer"]
    assert chained and chained[-1]["reviewer"] == "reviewer-1"
    assert chained[-1]["reviewer_role"] == "reviewer" and chained[-1]["review_digest"] == run["review_digest"]
    assert check["ok"], check


def test_a_stale_digest_is_409_and_records_nothing(api: Server) -> None:
    run = _escalated(api)
    with api.client("reviewer") as client:
        problem = is_problem(_review(client, run, review_digest="f" * 64), 409)
        assert problem["type"].endswith("/stale-review")
        after = client.get(f"/v1/runs/{run['run']['run_id']}").json()
    assert after["run"]["status"] == "awaiting_review" and after["reviews"] == []


def test_two_concurrent_reviews_one_wins_one_is_409(api: Server) -> None:
    run = _escalated(api)

    def review(reason: str) -> httpx.Response:
        with api.client("reviewer") as client:
            return _review(client, run, reason=reason)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(review, ["first look", "second look"]))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    assert is_problem(loser, 409)["type"].endswith(("/review-conflict", "/not-reviewable", "/stale-review"))
    with api.client("reviewer") as client:
        assert len(client.get(f"/v1/runs/{run['run']['run_id']}").json()["reviews"]) == 1


def test_a_run_not_awaiting_review_is_409(api: Server) -> None:
    with api.client("ops") as client:
        done = client.post("/v1/cases", json=fresh_case("kitchen_knife_set"), params={"wait": "true"}).json()
    with api.client("reviewer") as client:
        problem = is_problem(_review(client, {**done, "review_digest": "0" * 64}), 409)
    assert "not awaiting review" in problem["detail"]


def test_a_clause_the_pack_lacks_is_422(api: Server) -> None:
    run = _escalated(api)
    with api.client("reviewer") as client:
        problem = is_problem(_review(client, run, decision="reject", clause_ids=["ZZZ-9"]), 422)
    assert "ZZZ-9" in problem["detail"]


def test_an_incomplete_review_is_422_naming_the_field(api: Server) -> None:
    run = _escalated(api)
    with api.client("reviewer") as client:
        problem = is_problem(_review(client, run, reason="   "), 422)
        assert problem["field"] == "body.reason"
        problem = is_problem(_review(client, run, decision="maybe"), 422)
        assert problem["field"] == "body.decision"


def test_ops_cannot_review_and_a_reviewer_cannot_submit(api: Server) -> None:
    run = _escalated(api)
    with api.client("ops") as client:
        is_problem(_review(client, run), 403)
    with api.client("reviewer") as client:
        is_problem(client.post("/v1/cases", json=fresh_case("kitchen_knife_set")), 403)
    with api.client("auditor") as client:
        is_problem(_review(client, run), 403)
