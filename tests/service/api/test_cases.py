"""`POST /v1/cases`: audits over HTTP, idempotent retries, and refusals before anything is stored."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import EXPECTED
from tests.service.api.conftest import Server, fresh_case, is_problem


def _runs_of(api: Server, case_id: str) -> list[dict]:
    with api.client("ops") as client:
        runs = client.get("/v1/runs", params={"limit": 500}).json()["runs"]
    return [r for r in runs if r["case_id"] == case_id]


@pytest.mark.parametrize(
    "name", ["counterfeit_watch_replica", "kitchen_knife_set", "supplement_cure_claims", "unknown_seller"]
)
def test_a_case_is_audited_and_answered_with_its_outcome(api: Server, name: str) -> None:
    case = fresh_case(name)
    with api.client("ops") as client:
        response = client.post("/v1/cases", json=case, params={"wait": "true"})
    assert response.status_code == 201, response.text
    body = response.json()
    expected = EXPECTED[name]
    run = body["run"]
    assert response.headers["location"] == f"/v1/runs/{run['run_id']}"
    assert run["case_id"] == case["case_id"]
    if expected["decision"] == "escalate":
        assert run["status"] == "awaiting_review"
        assert body["escalation"]["queue"] == expected["queue"]
        assert len(body["review_digest"]) == 64
    else:
        assert run["status"] == "completed"
        assert run["decision"] == expected["decision"]
        assert body["decision_record"]["clause_ids"] == expected["clause_ids"]
        assert body["review_digest"] is None
    assert body["verdict"]["decision"] in ("approve", "reject", "restrict", "escalate")
    assert body["guard"]["action"] in ("finalize", "escalate")


def test_without_wait_the_answer_is_202_and_the_run_can_be_polled(api: Server) -> None:
    case = fresh_case("switchblade_collector")
    with api.client("ops") as client:
        response = client.post("/v1/cases", json=case)
        assert response.status_code in (201, 202), response.text
        location = response.headers["location"]
        # The run exists as soon as its id is given out.
        deadline = time.monotonic() + 60
        while True:
            polled = client.get(location)
            assert polled.status_code == 200
            if polled.json()["run"]["status"] != "running" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert polled.json()["run"]["status"] == "completed"
    assert polled.json()["run"]["decision"] == "reject"


def test_the_same_key_and_body_return_the_first_run_and_audit_once(api: Server) -> None:
    case = fresh_case("kitchen_knife_set")
    with api.client("ops") as client:
        first = client.post("/v1/cases", json=case, params={"wait": "true"})
        # The same JSON value with other spacing and key order is the same body.
        again = client.post(
            "/v1/cases",
            content=json.dumps(dict(reversed(list(case.items()))), indent=3),
            headers={"Content-Type": "application/json"},
            params={"wait": "true"},
        )
    assert first.status_code == 201 and again.status_code == 200, (first.text, again.text)
    assert again.json()["run"]["run_id"] == first.json()["run"]["run_id"]
    assert len(_runs_of(api, case["case_id"])) == 1


def test_an_idempotency_key_header_names_the_submission(api: Server) -> None:
    case = fresh_case("kitchen_knife_set")
    with api.client("ops") as client:
        one = client.post("/v1/cases", json=case, headers={"Idempotency-Key": f"k1-{case['case_id']}"})
        two = client.post("/v1/cases", json=case, headers={"Idempotency-Key": f"k2-{case['case_id']}"})
        three = client.post("/v1/cases", json=case, headers={"Idempotency-Key": f"k1-{case['case_id']}"})
    assert one.status_code in (201, 202) and two.status_code in (201, 202)
    assert one.json()["run"]["run_id"] != two.json()["run"]["run_id"]
    assert three.status_code == 200
    assert three.json()["run"]["run_id"] == one.json()["run"]["run_id"]


def test_the_same_key_with_another_body_is_409_naming_the_key(api: Server) -> None:
    case = fresh_case("kitchen_knife_set")
    changed = json.loads(json.dumps(case))
    changed["listing"]["title"] += " (edited)"
    with api.client("ops") as client:
        assert client.post("/v1/cases", json=case, params={"wait": "true"}).status_code == 201
        problem = is_problem(client.post("/v1/cases", json=changed), 409)
    assert problem["key"] == f"case:{case['case_id']}"
    assert case["case_id"] in problem["detail"]
    assert len(_runs_of(api, case["case_id"])) == 1


def test_concurrent_retries_of_one_submission_make_one_run(api: Server) -> None:
    case = fresh_case("counterfeit_watch_replica")

    def submit(_: int) -> tuple[int, str]:
        with api.client("ops") as client:
            response = client.post("/v1/cases", json=case, params={"wait": "true"})
        return response.status_code, response.json()["run"]["run_id"]

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(submit, range(6)))
    assert len({run_id for _, run_id in answers}) == 1
    assert sorted(status for status, _ in answers).count(201) == 1
    assert len(_runs_of(api, case["case_id"])) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: c["listing"].pop("title"), "listing.title"),
        (lambda c: c["listing"].update(title=""), "listing.title"),
        (lambda c: c.update(kind="parcel"), "kind"),
        (lambda c: c["listing"].update(price="cheap"), "listing.price"),
    ],
)
def test_an_invalid_case_is_422_naming_the_field_and_stores_nothing(api: Server, change, field: str) -> None:
    case = fresh_case("kitchen_knife_set")
    change(case)
    with api.client("ops") as client:
        problem = is_problem(client.post("/v1/cases", json=case), 422)
        assert problem["field"] == field, problem
        assert any(e["field"] == field for e in problem["errors"])
        # Nothing was claimed: the corrected case is a new submission under the same key.
        fixed = client.post("/v1/cases", json=fresh_case("kitchen_knife_set", case_id=case["case_id"]))
    assert fixed.status_code in (201, 202), fixed.text


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[1, 2, 3]", "JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "deeply"),
        (b'{"n": ' + b"9" * 5000 + b"}", "usable"),
    ],
)
def test_a_body_that_is_not_a_case_is_422(api: Server, body: bytes, what: str) -> None:
    with api.client("ops") as client:
        problem = is_problem(
            client.post("/v1/cases", content=body, headers={"Content-Type": "application/json"}), 422
        )
    assert what in problem["detail"]


def test_a_body_over_the_limit_is_413(api: Server) -> None:
    case = fresh_case("kitchen_knife_set")
    case["listing"]["description"] = "x" * (2 * 1024 * 1024)
    with api.client("ops") as client:
        problem = is_problem(client.post("/v1/cases", json=case), 413)
    assert "limit" in problem["detail"]
    assert not _runs_of(api, case["case_id"])


def test_a_streamed_body_over_the_limit_is_413_without_a_length(api: Server) -> None:
    def chunks():
        for _ in range(40):
            yield b"x" * 65536

    with api.client("ops") as client:
        response = client.post("/v1/cases", content=chunks(), headers={"Content-Type": "application/json"})
    is_problem(response, 413)


def test_a_body_that_is_not_json_is_415(api: Server) -> None:
    with api.client("ops") as client:
        is_problem(client.post("/v1/cases", content=b"title=x", headers={"Content-Type": "text/plain"}), 415)
