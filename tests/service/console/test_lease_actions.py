"""The lease on the case page over real HTTP: extend by its holder only, hold past the
lease's time, reassign by an admin only, and an auditor who reads but acts on nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime

import pytest

from auditgraph.store import LeaseStore, SqlAuditStore, make_engine
from auditgraph.store.leases import Lease
from auditgraph.store.tokens import NewToken, TokenStore
from tests.service.api.conftest import Server, start_server, stop_server
from tests.service.console.helpers import claim as _claim
from tests.service.console.helpers import escalate as _escalate
from tests.service.console.helpers import signed_in as _signed_in

LEASE_S = 3.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Leases of 3 seconds (0.05 min), so a test can outlast one.
    running = start_server(tmp_path_factory.mktemp("lease-actions"), console_lease_minutes="0.05")
    try:
        yield running
    finally:
        stop_server(running)


def _token(server: Server, name: str, role: str = "reviewer") -> NewToken:
    engine = make_engine(server.database_url)
    try:
        return TokenStore(engine).create(name, role)
    finally:
        engine.dispose()


def _token_id(server: Server, name: str) -> str:
    engine = make_engine(server.database_url)
    try:
        return next(t.token_id for t in TokenStore(engine).list_tokens() if t.name == name)
    finally:
        engine.dispose()


def _lease(server: Server, run_id: str) -> Lease | None:
    engine = make_engine(server.database_url)
    try:
        escalation = SqlAuditStore(engine).escalation(run_id)
        assert escalation is not None
        return LeaseStore(engine).lease_of(escalation.escalation_id)
    finally:
        engine.dispose()


def _claimed(server: Server, name: str):  # type: ignore[no-untyped-def]
    """A reviewer signed in, holding a freshly escalated case: (client, csrf, run_id)."""
    _escalate(server, 1)
    client, csrf = _signed_in(server, _token(server, name).token)
    run_id = _claim(client, csrf)
    assert run_id is not None
    return client, csrf, run_id


def test_the_holder_extends_the_lease_and_no_one_else_can(server: Server) -> None:
    holder, csrf, run_id = _claimed(server, "extender")
    other, other_csrf = _signed_in(server, _token(server, "bystander").token)
    with closing(holder), closing(other):
        page = holder.get(f"/cases/{run_id}").text
        assert f'data-extend-url="/cases/{run_id}/lease/extend"' in page
        assert '<script src="/console/static/lease.js" defer></script>' in page
        # Scripts are files the app serves, never inline, and no element has a handler.
        assert re.findall(r"<script[^>]*>", page) == [
            '<script src="/console/static/lease.js" defer>',
            '<script src="/console/static/keys.js" defer>',
        ]
        assert not re.search(r"<[^>]+\son[a-z]+=", page)
        script = holder.get("/console/static/lease.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        before = _lease(server, run_id)
        assert before is not None
        row = re.search(rf"{run_id}</code>.*?</tr>", holder.get("/queue").text, re.S)
        assert row is not None and f"extender until {before.leased_until:%H:%M} UTC" in row.group(0)
        time.sleep(1.0)
        answer = holder.post(f"/cases/{run_id}/lease/extend", headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        moved = datetime.fromisoformat(body["leased_until"])
        assert (moved - before.leased_until).total_seconds() >= 0.9
        assert LEASE_S - 0.5 < body["seconds_left"] <= LEASE_S
        after = _lease(server, run_id)
        assert after is not None and after.leased_until == moved and after.holder == "extender"
        # The form field does as well as the header.
        assert holder.post(f"/cases/{run_id}/lease/extend", data={"csrf": csrf}).status_code == 200

        refused = other.post(f"/cases/{run_id}/lease/extend", headers={"X-CSRF-Token": other_csrf})
        assert refused.status_code == 409
        assert refused.headers["content-type"].startswith("application/json")
        assert "no longer yours" in refused.json()["detail"]
        assert _lease(server, run_id).holder == "extender"  # type: ignore[union-attr]
        # The bystander sees the countdown but has nothing to extend.
        seen = other.get(f"/cases/{run_id}").text
        assert 'data-mine="false"' in seen and "data-extend-url" not in seen and "data-seconds-left" in seen

        assert holder.post(f"/cases/{run_id}/lease/extend").status_code == 403
        assert (
            holder.post(f"/cases/{run_id}/lease/extend", headers={"X-CSRF-Token": "forged"}).status_code
            == 403
        )


def test_an_expired_lease_cannot_be_extended(server: Server) -> None:
    holder, csrf, run_id = _claimed(server, "too-late")
    with closing(holder):
        time.sleep(LEASE_S + 0.5)
        answer = holder.post(f"/cases/{run_id}/lease/extend", headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 409 and "expired" in answer.json()["detail"]


def test_a_held_case_stays_with_its_holder_past_the_lease(server: Server) -> None:
    holder, csrf, run_id = _claimed(server, "holder")
    with closing(holder):
        assert f'action="/cases/{run_id}/lease/hold"' in holder.get(f"/cases/{run_id}").text
        blank = holder.post(f"/cases/{run_id}/lease/hold", data={"csrf": csrf, "note": "  "})
        assert blank.status_code == 422
        note = "waiting on the brand <b>owner</b>"
        held = holder.post(f"/cases/{run_id}/lease/hold", data={"csrf": csrf, "note": note})
        assert held.status_code == 303 and held.headers["location"] == f"/cases/{run_id}"
        time.sleep(LEASE_S + 0.5)

        lease = _lease(server, run_id)
        assert lease is not None and (lease.holder, lease.state, lease.expired) == ("holder", "held", False)
        page = holder.get(f"/cases/{run_id}").text
        assert "On hold with <strong>holder</strong>: waiting on the brand &lt;b&gt;owner&lt;/b&gt;" in page
        assert "lease.js" not in page  # a held case does not count down
        row = re.search(rf"{run_id}</code>.*?</tr>", holder.get("/queue").text, re.S)
        assert row is not None and "held by holder" in row.group(0)
        # Others claiming everything free never get it.
        claimed = []
        for i in range(30):
            sweeper, sweeper_csrf = _signed_in(server, _token(server, f"hold-sweeper-{i}").token)
            with closing(sweeper):
                got = _claim(sweeper, sweeper_csrf)
            if got is None:
                break
            claimed.append(got)
        assert run_id not in claimed
        # Its holder gives it back.
        assert (
            holder.post(f"/cases/{run_id}/skip", data={"csrf": csrf, "reason": "cannot finish"}).status_code
            == 303
        )
        assert _lease(server, run_id) is None


def test_an_admin_reassigns_the_case_to_another_reviewer(server: Server) -> None:
    first, first_csrf, run_id = _claimed(server, "first-holder")
    second = _token(server, "second-holder")
    admin, admin_csrf = _signed_in(server, server.tokens["admin"])
    with closing(first), closing(admin):
        page = admin.get(f"/cases/{run_id}").text
        assert f'action="/cases/{run_id}/lease/reassign"' in page
        assert f'<option value="{second.info.token_id}">second-holder</option>' in page
        assert "lease/hold" not in page  # an admin does not review

        for wrong in ("tok_0000000000000000", _token_id(server, "auditor-1")):
            answer = admin.post(
                f"/cases/{run_id}/lease/reassign", data={"csrf": admin_csrf, "token_id": wrong}
            )
            assert answer.status_code == 422, (wrong, answer.text)
        assert (
            admin.post(
                f"/cases/{run_id}/lease/reassign", data={"csrf": "forged", "token_id": second.info.token_id}
            ).status_code
            == 403
        )
        done = admin.post(
            f"/cases/{run_id}/lease/reassign", data={"csrf": admin_csrf, "token_id": second.info.token_id}
        )
        assert done.status_code == 303 and done.headers["location"] == f"/cases/{run_id}"

        lease = _lease(server, run_id)
        assert lease is not None and (lease.holder, lease.token_id, lease.state) == (
            "second-holder",
            second.info.token_id,
            "leased",
        )
        new_holder, new_csrf = _signed_in(server, second.token)
        with closing(new_holder):
            assert "Leased to <strong>second-holder</strong>" in new_holder.get(f"/cases/{run_id}").text
            # "Start reviewing" gives them the case they were handed.
            assert _claim(new_holder, new_csrf) == run_id
            extended = new_holder.post(f"/cases/{run_id}/lease/extend", headers={"X-CSRF-Token": new_csrf})
            assert extended.status_code == 200
        lost = first.post(f"/cases/{run_id}/lease/extend", headers={"X-CSRF-Token": first_csrf})
        assert lost.status_code == 409


def test_a_reviewer_cannot_reassign(server: Server) -> None:
    holder, csrf, run_id = _claimed(server, "would-be-admin")
    target = _token(server, "wanted-target")
    with closing(holder):
        assert "lease/reassign" not in holder.get(f"/cases/{run_id}").text
        answer = holder.post(
            f"/cases/{run_id}/lease/reassign", data={"csrf": csrf, "token_id": target.info.token_id}
        )
        assert answer.status_code == 403
        assert _lease(server, run_id).holder == "would-be-admin"  # type: ignore[union-attr]


def test_an_auditor_reads_the_case_but_cannot_extend_hold_or_reassign(server: Server) -> None:
    holder, _, run_id = _claimed(server, "watched")
    target = _token(server, "audit-target")
    auditor, csrf = _signed_in(server, server.tokens["auditor"])
    with closing(holder), closing(auditor):
        page = auditor.get(f"/cases/{run_id}")
        assert page.status_code == 200 and "Leased to <strong>watched</strong>" in page.text
        assert "lease/hold" not in page.text and "lease/reassign" not in page.text
        assert (
            auditor.post(f"/cases/{run_id}/lease/extend", headers={"X-CSRF-Token": csrf}).status_code == 403
        )
        hold = auditor.post(f"/cases/{run_id}/lease/hold", data={"csrf": csrf, "note": "mine"})
        assert hold.status_code == 403
        reassign = auditor.post(
            f"/cases/{run_id}/lease/reassign", data={"csrf": csrf, "token_id": target.info.token_id}
        )
        assert reassign.status_code == 403
        lease = _lease(server, run_id)
        assert lease is not None and (lease.holder, lease.state) == ("watched", "leased")
