"""The API on PostgreSQL, as a deployment runs it: the app on the runtime role of a schema
the migration role owns. Idempotent submission, a review, and verification."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.service.api.conftest import Server, fresh_case, start_server, stop_server


@pytest.fixture
def pg_api(postgres_url: str, tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path, postgres_url)
    try:
        yield server
    finally:
        stop_server(server)


def test_submit_retry_review_and_verify_on_postgres(pg_api: Server) -> None:
    case = fresh_case("unknown_seller")

    def submit(_: int) -> tuple[int, str]:
        with pg_api.client("ops") as client:
            response = client.post("/v1/cases", json=case, params={"wait": "true"})
        return response.status_code, response.json()["run"]["run_id"]

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(submit, range(4)))
    assert len({run_id for _, run_id in answers}) == 1
    assert sorted(status for status, _ in answers) == [200, 200, 200, 201]
    run_id = answers[0][1]
    with pg_api.client("reviewer") as client:
        read = client.get(f"/v1/runs/{run_id}").json()
        assert read["run"]["status"] == "awaiting_review"
        reviewed = client.post(
            f"/v1/runs/{run_id}/review",
            json={
                "decision": "approve",
                "reason": "Seller verified.",
                "review_digest": read["review_digest"],
            },
        )
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["reviews"][0]["reviewer"] == "reviewer-1"
    with pg_api.client("auditor") as client:
        assert client.get(f"/v1/runs/{run_id}/verify").json()["ok"]
        listed = client.get("/v1/runs", params={"status": "completed", "decision": "approve"}).json()["runs"]
    assert [r["run_id"] for r in listed] == [run_id]
