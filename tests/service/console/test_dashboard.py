"""The KPI dashboard and the runs list behind its figures: what it shows an auditor, that a
figure's link lists exactly the runs it counts, the window form, pages, and escaping."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.service.api.conftest import Server, fresh_case, start_server, stop_server

SCRIPT = "<script>document.title='owned'</script>"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Pages of 2 runs, so that three runs make two pages.
    running = start_server(tmp_path_factory.mktemp("dashboard"), api_page_size="2")
    try:
        yield running
    finally:
        stop_server(running)


@pytest.fixture(scope="module")
def runs(server: Server) -> dict[str, str]:
    """Two cases the agent decides, two it escalates (one titled with a script), one reviewed."""
    made: dict[str, Any] = {}
    with server.client("ops") as ops:
        for key, name, changes in [
            ("knife", "kitchen_knife_set", {}),
            ("watch", "counterfeit_watch_replica", {}),
            ("unknown", "unknown_seller", {}),
            ("scripted", "unknown_seller", {"title": f"Vintage lamp {SCRIPT}"}),
        ]:
            case = fresh_case(name)
            case["listing"].update(changes)
            answer = ops.post("/v1/cases", json=case, params={"wait": "true"})
            assert answer.status_code == 201, answer.text
            made[key] = answer.json()
    with server.client("reviewer") as reviewer:
        run = made["unknown"]
        body = {"decision": "approve", "reason": "checked", "review_digest": run["review_digest"]}
        assert reviewer.post(f"/v1/runs/{run['run']['run_id']}/review", json=body).status_code == 200
    return {key: body["run"]["run_id"] for key, body in made.items()}


@pytest.fixture(scope="module")
def auditor(server: Server) -> Iterator[httpx.Client]:
    """A console session of the auditor's token (reads everything, acts on nothing)."""
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=60)
    page = client.get("/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert client.post("/sign-in", data={"token": server.tokens["auditor"], "csrf": csrf}).status_code == 303
    yield client
    client.close()


def _tile(page: str, title: str) -> tuple[str, str | None]:
    """A tile's figure and the link on it."""
    found = re.search(rf"<h2>{title}</h2>\s*<p class=\"figure\">(?:<a href=\"([^\"]+)\">)?([^<]+)", page)
    assert found, title
    return found.group(2), html.unescape(found.group(1)) if found.group(1) else None


def _listed(client: httpx.Client, href: str) -> set[str]:
    """The run ids of every page of a runs list, following its next links."""
    seen: set[str] = set()
    while href:
        page = client.get(href)
        assert page.status_code == 200, page.text
        seen |= set(re.findall(r'href="/cases/(run_[0-9a-f]+)"', page.text))
        following = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        href = html.unescape(following.group(1)) if following else ""
    return seen


def _link(page: str, *parts: str) -> str:
    """The first link on the page to the runs list whose query has every one of `parts`."""
    for href in re.findall(r'href="(/runs\?[^"]+)"', page):
        href = html.unescape(href)
        if all(p in href for p in parts):
            return href
    raise AssertionError(f"no runs link with {parts}")


def test_an_auditor_reads_the_figures(auditor: httpx.Client, runs: dict[str, str]) -> None:
    page = auditor.get("/dashboard")
    assert page.status_code == 200
    text = page.text
    assert _tile(text, "Cases audited")[0] == "4"
    assert _tile(text, "Automation rate")[0] == "50%"
    assert _tile(text, "Open escalations")[0] == "1"
    assert _tile(text, "Model cost per case")[0] == "$0.0000"
    assert "0 calls, 0 tokens" in text
    assert '<a href="/dashboard">Dashboard</a>' in text
    # Charts are server-drawn SVG, styled by classes: the CSP allows no inline style.
    assert "<svg" in text and '<rect class="bar"' in text and ">fraud</text>" in text
    # No inline style or script: the one script is the app's own file of keys.
    assert "style=" not in text
    assert re.findall(r"<script[^>]*>", text) == ['<script src="/console/static/keys.js" defer>']


@pytest.mark.parametrize(
    ("tile", "expected"),
    [
        ("Cases audited", {"knife", "watch", "unknown", "scripted"}),
        ("Automation rate", {"knife", "watch"}),
        ("Escalation rate", {"unknown", "scripted"}),
        ("Open escalations", {"scripted"}),
    ],
)
def test_a_figure_leads_to_exactly_its_runs(
    auditor: httpx.Client, runs: dict[str, str], tile: str, expected: set[str]
) -> None:
    _, href = _tile(auditor.get("/dashboard").text, tile)
    assert href is not None
    assert _listed(auditor, href) == {runs[k] for k in expected}


def test_breakdowns_lead_to_their_runs(auditor: httpx.Client, runs: dict[str, str]) -> None:
    page = auditor.get("/dashboard").text
    assert _listed(auditor, _link(page, "queue=fraud")) == {runs["unknown"], runs["scripted"]}
    assert _listed(auditor, _link(page, "reason=unknown_seller")) == {runs["unknown"], runs["scripted"]}
    assert _listed(auditor, _link(page, "reviewed=yes")) == {runs["unknown"]}


def test_the_window_form(auditor: httpx.Client, runs: dict[str, str]) -> None:
    today = datetime.now(UTC).date()
    chosen = auditor.get("/dashboard", params={"since": today.isoformat(), "until": today.isoformat()})
    assert chosen.status_code == 200
    assert _tile(chosen.text, "Cases audited")[0] == "4"
    assert f'name="since" value="{today.isoformat()}"' in chosen.text
    past = auditor.get("/dashboard", params={"since": "2020-01-01", "until": "2020-01-02"})
    assert _tile(past.text, "Cases audited")[0] == "0"
    assert _tile(past.text, "Automation rate")[0] == "—"
    assert auditor.get("/dashboard", params={"window": "30d"}).status_code == 200
    narrowed = auditor.get("/dashboard", params={"window": "7d", "area": "weapons"})
    assert "in <strong>weapons</strong>" in narrowed.text
    later = (today + timedelta(days=3)).isoformat()
    backwards = auditor.get("/dashboard", params={"since": later, "until": today.isoformat()})
    assert backwards.status_code == 422 and "is not before until" in backwards.text
    assert auditor.get("/dashboard", params={"since": "soon"}).status_code == 422
    assert auditor.get("/dashboard", params={"area": "knitting"}).status_code == 422


def test_the_runs_list_pages_and_escapes_seller_text(auditor: httpx.Client, runs: dict[str, str]) -> None:
    first = auditor.get("/runs")
    assert first.status_code == 200
    assert len(set(re.findall(r'href="/cases/(run_[0-9a-f]+)"', first.text))) == 2
    assert _listed(auditor, "/runs") == set(runs.values())
    scripted = auditor.get("/runs", params={"escalation": "open"}).text
    assert SCRIPT not in scripted
    assert "Vintage lamp &lt;script&gt;" in scripted
    assert auditor.get("/runs", params={"reviewed": "maybe"}).status_code == 422
    assert auditor.get("/runs", params={"cursor": "nonsense"}).status_code == 422


def test_signed_out_visitors_are_sent_to_sign_in(server: Server) -> None:
    for path in ("/dashboard", "/runs"):
        answer = httpx.get(f"{server.url}{path}", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/"
