"""Claiming cases from the console: a lease per reviewer, skip, expiry, and the case page."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import httpx
import pytest

from auditgraph.store import make_engine
from auditgraph.store.tokens import TokenStore
from tests.service.api.conftest import Server, fresh_case, start_server, stop_server

SCRIPT = "<script>document.title='owned'</script>"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    # Leases of 3 seconds, so a test can watch one expire.
    running = start_server(tmp_path_factory.mktemp("claims"), console_lease_minutes="0.05")
    try:
        yield running
    finally:
        stop_server(running)


def _escalate(server: Server, count: int, **listing: str) -> list[str]:
    made = []
    with server.client("ops") as api:
        for _ in range(count):
            case = fresh_case("unknown_seller")
            case["listing"].update(listing)
            body = api.post("/v1/cases", json=case, params={"wait": "true"}).json()
            assert body["run"]["status"] == "awaiting_review"
            made.append(body["run"]["run_id"])
    return made


def _reviewer(server: Server, name: str) -> str:
    engine = make_engine(server.database_url)
    try:
        return TokenStore(engine).create(name, "reviewer").token
    finally:
        engine.dispose()


def _signed_in(server: Server, token: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=60)
    page = client.get("/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert client.post("/sign-in", data={"token": token, "csrf": csrf}).status_code == 303
    queue = client.get("/queue")
    return client, re.search(r'name="csrf" value="([^"]+)"', queue.text).group(1)  # type: ignore[union-attr]


def _claim(client: httpx.Client, csrf: str) -> str | None:
    answer = client.post("/queue/claim", data={"csrf": csrf})
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    return location.removeprefix("/cases/") if location.startswith("/cases/") else None


def test_reviewers_claiming_at_once_get_different_cases(server: Server) -> None:
    _escalate(server, 4)
    sessions = [_signed_in(server, _reviewer(server, f"claimer-{i}")) for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        claimed = list(pool.map(lambda s: _claim(*s), sessions))
    assert None not in claimed and len(set(claimed)) == 4
    # Asking again gives the reviewer the case they already hold.
    client, csrf = sessions[0]
    assert _claim(client, csrf) == claimed[0]
    for client, _ in sessions:
        client.close()


def test_the_case_page_shows_the_lease_and_renders_seller_text_as_text(server: Server) -> None:
    [run_id] = _escalate(server, 1, description=f"Mint condition {SCRIPT}")
    client, _ = _signed_in(server, _reviewer(server, "reader-1"))
    with closing(client):
        page = client.get(f"/cases/{run_id}")
        assert page.status_code == 200
        assert SCRIPT not in page.text
        assert "Mint condition &lt;script&gt;" in page.text
        assert "Timeline" in page.text and "adjudicate" in page.text


def test_skip_releases_the_case_with_a_reason(server: Server) -> None:
    client, csrf = _signed_in(server, _reviewer(server, "skipper"))
    with closing(client):
        run_id = _claim(client, csrf)
        assert run_id is not None
        assert "Leased to <strong>skipper</strong>" in client.get(f"/cases/{run_id}").text
        refused = client.post(f"/cases/{run_id}/skip", data={"csrf": csrf, "reason": ""})
        assert refused.status_code == 422
        assert client.post(f"/cases/{run_id}/skip", data={"csrf": "forged", "reason": "x"}).status_code == 403
        done = client.post(f"/cases/{run_id}/skip", data={"csrf": csrf, "reason": "conflict of interest"})
        assert done.status_code == 303
        assert "No one holds this case" in client.get(f"/cases/{run_id}").text


def test_an_expired_lease_returns_the_case_to_the_queue(server: Server) -> None:
    first, first_csrf = _signed_in(server, _reviewer(server, "slow-reviewer"))
    with closing(first):
        held = _claim(first, first_csrf)
        assert held is not None
        assert "Leased to <strong>slow-reviewer</strong>" in first.get(f"/cases/{held}").text
        time.sleep(3.5)
        assert "No one holds this case" in first.get(f"/cases/{held}").text
    # Fresh reviewers claim until nothing is free: the expired case is among what they get.
    claimed = []
    for i in range(20):
        client, csrf = _signed_in(server, _reviewer(server, f"sweeper-{i}"))
        with closing(client):
            got = _claim(client, csrf)
        if got is None:
            break
        claimed.append(got)
    assert held in claimed


def test_an_auditor_reads_but_cannot_claim(server: Server) -> None:
    client, csrf = _signed_in(server, server.tokens["auditor"])
    with closing(client):
        queue = client.get("/queue").text
        assert "Start reviewing" not in queue
        assert client.post("/queue/claim", data={"csrf": csrf}).status_code == 403
