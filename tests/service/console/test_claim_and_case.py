"""Claiming cases from the console: a lease per reviewer, skip, expiry, and the case page."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest

from tests.service.api.conftest import Server, start_server, stop_server
from tests.service.console.helpers import claim, escalate, reviewer, signed_in

SCRIPT = "<script>document.title='owned'</script>"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    # Leases of 3 seconds, so a test can watch one expire.
    running = start_server(tmp_path_factory.mktemp("claims"), console_lease_minutes="0.05")
    try:
        yield running
    finally:
        stop_server(running)


def test_reviewers_claiming_at_once_get_different_cases(server: Server) -> None:
    escalate(server, 4)
    sessions = [signed_in(server, reviewer(server, f"claimer-{i}")) for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        claimed = list(pool.map(lambda s: claim(*s), sessions))
    assert None not in claimed and len(set(claimed)) == 4
    # Asking again gives the reviewer the case they already hold.
    client, csrf = sessions[0]
    assert claim(client, csrf) == claimed[0]
    for client, _ in sessions:
        client.close()


def test_the_case_page_shows_the_lease_and_renders_seller_text_as_text(server: Server) -> None:
    [run_id] = escalate(server, 1, description=f"Mint condition {SCRIPT}")
    client, _ = signed_in(server, reviewer(server, "reader-1"))
    with closing(client):
        page = client.get(f"/cases/{run_id}")
        assert page.status_code == 200
        assert SCRIPT not in page.text
        assert "Mint condition &lt;script&gt;" in page.text
        assert "Timeline" in page.text and "adjudicate" in page.text


def test_skip_releases_the_case_with_a_reason(server: Server) -> None:
    client, csrf = signed_in(server, reviewer(server, "skipper"))
    with closing(client):
        run_id = claim(client, csrf)
        assert run_id is not None
        assert "Leased to <strong>skipper</strong>" in client.get(f"/cases/{run_id}").text
        refused = client.post(f"/cases/{run_id}/skip", data={"csrf": csrf, "reason": ""})
        assert refused.status_code == 422
        assert client.post(f"/cases/{run_id}/skip", data={"csrf": "forged", "reason": "x"}).status_code == 403
        done = client.post(f"/cases/{run_id}/skip", data={"csrf": csrf, "reason": "conflict of interest"})
        assert done.status_code == 303
        assert "No one holds this case" in client.get(f"/cases/{run_id}").text


def test_an_expired_lease_returns_the_case_to_the_queue(server: Server) -> None:
    first, first_csrf = signed_in(server, reviewer(server, "slow-reviewer"))
    with closing(first):
        held = claim(first, first_csrf)
        assert held is not None
        assert "Leased to <strong>slow-reviewer</strong>" in first.get(f"/cases/{held}").text
        time.sleep(3.5)
        assert "No one holds this case" in first.get(f"/cases/{held}").text
    # Fresh reviewers claim until nothing is free: the expired case is among what they get.
    claimed = []
    for i in range(20):
        client, csrf = signed_in(server, reviewer(server, f"sweeper-{i}"))
        with closing(client):
            got = claim(client, csrf)
        if got is None:
            break
        claimed.append(got)
    assert held in claimed


def test_an_auditor_reads_but_cannotclaim(server: Server) -> None:
    client, csrf = signed_in(server, server.tokens["auditor"])
    with closing(client):
        queue = client.get("/queue").text
        assert "Start reviewing" not in queue
        assert client.post("/queue/claim", data={"csrf": csrf}).status_code == 403
