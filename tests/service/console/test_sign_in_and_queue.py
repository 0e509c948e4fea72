"""The console over real HTTP: sign-in with a token, sessions, CSRF, and the queue page."""

from __future__ import annotations

import re

import httpx

from auditgraph.store import make_engine
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
