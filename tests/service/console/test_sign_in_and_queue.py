"""The console over real HTTP: sign-in with a token, sessions, CSRF, and the queue page
(paged, filtered, with who holds each case)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx

from auditgraph.service.console.queue import PAGE_SIZE
from auditgraph.store import (
    EscalationRecord,
    LeaseStore,
    RunRecord,
    SqlAuditStore,
    make_engine,
    new_id,
    utcnow,
)
from auditgraph.store.tokens import TokenStore
from tests.service.api.conftest import Server, fresh_case, server_fixture

console = server_fixture("console")
SCRIPT = '<script>alert("owned")</script>'


def _browser(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=False, timeout=60)


def _form_csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def _sign_in(client: httpx.Client, token: str) -> httpx.Response:
    page = client.get("/")
    return client.post("/sign-in", data={"token": token, "csrf": _form_csrf(page)})


def test_a_reviewer_signs_in_and_lands_on_the_queue(console: Server) -> None:
    with _browser(console) as client:
        answer = _sign_in(client, console.tokens["reviewer"])
        assert answer.status_code == 303 and answer.headers["location"] == "/queue"
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
        queue = client.get("/queue")
    assert queue.status_code == 200
    assert "Open escalations" in queue.text and "reviewer-1 (reviewer)" in queue.text


def test_ops_cannot_sign_in_and_a_bad_token_is_refused(console: Server) -> None:
    with _browser(console) as client:
        ops = _sign_in(client, console.tokens["ops"])
        bad = _sign_in(client, "agt_" + "x" * 43)
    assert ops.status_code == 403 and "Ops tokens cannot sign in" in ops.text
    assert bad.status_code == 401 and "not valid" in bad.text
    assert "auditgraph_session" not in ops.headers.get("set-cookie", "")


def test_an_auditor_and_an_admin_can_read_the_queue(console: Server) -> None:
    for role in ("auditor", "admin"):
        with _browser(console) as client:
            assert _sign_in(client, console.tokens[role]).status_code == 303
            assert client.get("/queue").status_code == 200


def test_sign_in_without_the_forms_csrf_token_is_refused(console: Server) -> None:
    with _browser(console) as client:
        client.get("/")
        answer = client.post("/sign-in", data={"token": console.tokens["reviewer"], "csrf": "forged"})
    assert answer.status_code == 403 and "auditgraph_session" not in answer.headers.get("set-cookie", "")


def test_sign_out_needs_the_sessions_csrf_token(console: Server) -> None:
    with _browser(console) as client:
        _sign_in(client, console.tokens["reviewer"])
        queue = client.get("/queue")
        assert client.post("/sign-out", data={"csrf": "forged"}).status_code == 403
        assert client.get("/queue").status_code == 200
        out = client.post("/sign-out", data={"csrf": _form_csrf(queue)})
        assert out.status_code == 303
        client.cookies.clear()
        assert client.get("/queue").status_code == 303


def test_a_forged_or_revoked_session_goes_back_to_sign_in(console: Server) -> None:
    engine = make_engine(console.database_url)
    made = TokenStore(engine).create("short-lived", "reviewer")
    try:
        with _browser(console) as client:
            _sign_in(client, made.token)
            assert client.get("/queue").status_code == 200
            TokenStore(engine).revoke("short-lived")
            assert client.get("/queue").headers["location"] == "/"
        with _browser(console) as client:
            client.cookies.set("auditgraph_session", "eyJ0b2tlbl9pZCI6InRva18xIn0.forged.signature")
            assert client.get("/queue").status_code == 303
    finally:
        engine.dispose()


def test_the_queue_shows_escalations_and_renders_listing_markup_as_text(console: Server) -> None:
    case = fresh_case("unknown_seller")
    case["listing"]["title"] = f"Bargain {SCRIPT} watch"
    with console.client("ops") as api:
        made = api.post("/v1/cases", json=case, params={"wait": "true"}).json()
    assert made["run"]["status"] == "awaiting_review"
    with _browser(console) as client:
        _sign_in(client, console.tokens["reviewer"])
        page = client.get("/queue").text
        fraud = client.get("/queue", params={"queue": "fraud"}).text
        other = client.get("/queue", params={"queue": "general"}).text
    assert made["run"]["run_id"] in page and made["run"]["run_id"] in fraud
    assert made["run"]["run_id"] not in other
    assert SCRIPT not in page
    assert "Bargain &lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt; watch" in page
    assert "unknown_seller" in page


def test_the_stylesheet_is_served_by_the_app(console: Server) -> None:
    with _browser(console) as client:
        css = client.get("/console/static/console.css")
        page = client.get("/").text
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert "http://" not in page and "https://" not in page


def test_pages_forbid_inline_script_framing_and_caching(console: Server) -> None:
    with _browser(console) as client:
        for page in (client.get("/"), _sign_in(client, console.tokens["reviewer"]), client.get("/queue")):
            if page.status_code != 200:
                continue
            policy = page.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "unsafe-inline" not in policy
            assert "frame-ancestors 'none'" in policy
            assert page.headers["x-frame-options"] == "DENY"
            assert page.headers["cache-control"] == "no-store"


def _bulk(console: Server, count: int, *, queue: str, hours_ago: float, priority: int = 4) -> list[str]:
    """Open `count` escalations in `queue` straight in the server's store; their run ids."""
    engine = make_engine(console.database_url)
    store = SqlAuditStore(engine)
    made = []
    try:
        for n in range(count):
            run = RunRecord(
                run_id=new_id("run"),
                case_id=new_id("case"),
                case_kind="ip_report",
                agent="rules",
                agent_version="v1",
                policy_version="p1",
            )
            store.start_run(run, {"case_id": run.case_id, "listing": {"title": f"{queue} listing {n}"}})
            opened = utcnow() - timedelta(hours=hours_ago, minutes=n)
            store.open_escalation(
                EscalationRecord(
                    run_id=run.run_id,
                    case_id=run.case_id,
                    queue=queue,
                    priority=priority,
                    reasons=["bulk"],
                    areas=["counterfeit_ip"],
                    agent_decision="escalate",
                    opened_at=opened,
                )
            )
            made.append(run.run_id)
    finally:
        engine.dispose()
    return made


def test_the_queue_pages_fifty_at_a_time_oldest_first(console: Server) -> None:
    made = _bulk(console, PAGE_SIZE + 2, queue="bulk", hours_ago=80)
    with _browser(console) as client:
        _sign_in(client, console.tokens["auditor"])
        first = client.get("/queue", params={"queue": "bulk"}).text
        second_link = re.search(r'<a rel="next" href="([^"]+)"', first)
        assert second_link, first[-800:]
        second = client.get(html.unescape(second_link.group(1))).text
    assert (
        f'<span class="count">{PAGE_SIZE + 2}</span>' in first
        and f"1&ndash;{PAGE_SIZE} of {PAGE_SIZE + 2}" in first
    )
    # Opened one minute apart, newest last: the oldest waits longest and comes first.
    oldest_first = list(reversed(made))
    assert [r for r in oldest_first if r in first] == oldest_first[:PAGE_SIZE]
    assert all(r not in second for r in oldest_first[:PAGE_SIZE])
    assert [r for r in oldest_first if r in second] == oldest_first[PAGE_SIZE:]
    assert 'rel="prev"' in second and 'rel="next"' not in second and "page 2" in second
    assert "queue=bulk" in html.unescape(second_link.group(1))


def test_the_queue_filters_by_wait_area_and_kind_and_shows_who_holds_a_case(console: Server) -> None:
    old = _bulk(console, 2, queue="aged", hours_ago=50, priority=3)
    new = _bulk(console, 1, queue="aged", hours_ago=1, priority=3)
    engine = make_engine(console.database_url)
    try:
        escalation = SqlAuditStore(engine).escalation(old[1])
        assert escalation is not None
        leases = LeaseStore(engine)
        leases.reassign(escalation.escalation_id, "ann-reviewer", "tok_ann", ttl=timedelta(minutes=10))
        leases.hold(escalation.escalation_id, "ann-reviewer", note="asked the brand")
    finally:
        engine.dispose()
    with _browser(console) as client:
        _sign_in(client, console.tokens["reviewer"])
        aged = client.get("/queue", params={"queue": "aged", "waited": "48"}).text
        everything = client.get(
            "/queue", params={"queue": "aged", "area": "counterfeit_ip", "kind": "ip_report"}
        )
        other_kind = client.get("/queue", params={"queue": "aged", "kind": "seller_appeal"}).text
        refused = client.get("/queue", params={"waited": "-1"})
    assert all(r in aged for r in old) and new[0] not in aged
    assert 'name="waited" type="number" min="0" step="any" value="48"' in aged
    assert all(r in everything.text for r in [*old, *new])
    assert not any(r in other_kind for r in [*old, *new])
    assert "held by ann-reviewer" in aged and "asked the brand" in aged
    assert refused.status_code == 422
    assert re.fullmatch(r"app;dur=\d+\.\d\d", everything.headers["server-timing"])
    assert "server-timing" not in httpx.get(f"{console.url}/healthz").headers
