"""Claiming cases in a real browser: reviewers clicking "Start reviewing" at one moment,
the case page of a claimed case, and a lease left to expire.

The server leases for 3 seconds, so a test can watch a lease run out. Each test gives
back what it claimed (Skip, through the form), so the next one starts with no lease held
and "the most urgent free case" is known.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import (
    Tab,
    click_without_waiting,
    landed_case,
    screenshot,
    sign_in,
    start_reviewing,
)
from tests.service.api.conftest import Server, start_server, stop_server
from tests.service.console.helpers import escalate, reviewer

LEASE_S = 3.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose console leases last 3 seconds."""
    running = start_server(tmp_path_factory.mktemp("browser-claims"), console_lease_minutes=str(LEASE_S / 60))
    try:
        yield running
    finally:
        stop_server(running)


def _reviewer(server: Server, open_tab: Callable[[], Tab], name: str) -> Tab:
    """A new reviewer named `name`, signed in, on the queue."""
    tab = open_tab()
    # Leases here last 3 seconds, so the case page extends them every second: an extension
    # already on its way when the reviewer skips is refused (409), which is right.
    tab.expect_error("status of 409")
    sign_in(tab.page, reviewer(server, name))
    expect(tab.page.get_by_text(f"{name} (reviewer)")).to_be_visible()
    return tab


def _skip(page: Page, reason: str) -> None:
    """Give the open case back with a reason, through the case page's Skip form."""
    page.get_by_label("Skip, because").fill(reason)
    page.get_by_role("button", name="Skip").click()
    page.wait_for_url("**/queue")


def test_two_reviewers_starting_at_once_get_different_cases(
    server: Server, open_tab: Callable[[], Tab]
) -> None:
    escalate(server, 2)
    names = ["first-at-once", "second-at-once"]
    tabs = [_reviewer(server, open_tab, name) for name in names]
    # Hold each tab's claim in the browser until both have clicked, then let both go:
    # the two posts are in flight together, not one after the other.
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    for tab in tabs:
        tab.page.route("**/queue/claim", hold)
    for tab in tabs:
        click_without_waiting(tab.page.get_by_role("button", name="Start reviewing"))
    deadline = time.monotonic() + 10
    while len(held) < 2 and time.monotonic() < deadline:
        tabs[0].page.wait_for_timeout(20)
    assert len(held) == 2, "both clicks should have posted a claim"
    for route in held:
        route.continue_()
    claimed = [landed_case(tab.page) for tab in tabs]
    assert None not in claimed and claimed[0] != claimed[1], claimed
    for tab, name in zip(tabs, names, strict=True):
        expect(tab.page.locator(".lease")).to_contain_text(f"Leased to {name}")
    screenshot(tabs[0].page, "case-claimed")
    for tab in tabs:
        _skip(tab.page, "testing claims at once")


def test_the_case_page_shows_the_claimed_cases_timeline(server: Server, open_tab: Callable[[], Tab]) -> None:
    escalate(server)
    tab = _reviewer(server, open_tab, "timeline-reader")
    run_id = start_reviewing(tab.page)
    assert run_id is not None
    expect(tab.page.get_by_role("heading", level=2, name="Timeline")).to_be_visible()
    with server.client("auditor") as api:
        steps = api.get(f"/v1/runs/{run_id}/trace").raise_for_status().json()["steps"]
    timeline = tab.page.locator("section", has=tab.page.get_by_role("heading", name="Timeline"))
    rows = timeline.locator("#timeline > li")
    expect(rows).to_have_count(len(steps))
    expect(timeline.get_by_role("heading")).to_contain_text(f"Timeline {len(steps)} steps")
    # Each row is the run's step at that place: its number, node and kind.
    shown = rows.evaluate_all(
        "rows => rows.map(r => ['seq', 'node', 'kind'].map(c => r.querySelector('summary .' + c).innerText))"
    )
    assert shown == [[str(s["seq"]), s["node"], s["kind"]] for s in steps]
    _skip(tab.page, "testing the timeline")


def test_an_unextended_lease_expires_and_another_reviewer_gets_the_case(
    server: Server, open_tab: Callable[[], Tab]
) -> None:
    escalate(server)
    slow = _reviewer(server, open_tab, "slow-reviewer")
    quick = _reviewer(server, open_tab, "quick-reviewer")
    held = start_reviewing(slow.page)
    claimed_by = time.monotonic()
    assert held is not None
    expect(slow.page.locator(".lease")).to_contain_text("Leased to slow-reviewer")
    # The slow reviewer leaves the case page (nothing there extends the lease any more).
    slow.page.goto("/queue")
    time.sleep(max(0.0, claimed_by + LEASE_S + 0.5 - time.monotonic()))
    # An auditor looking at the case sees no one holds it ...
    auditor = open_tab()
    sign_in(auditor.page, server.tokens["auditor"])
    auditor.page.goto(f"/cases/{held}")
    expect(auditor.page.locator(".lease")).to_have_text("No one holds this case.")
    # ... and the next reviewer to start gets it.
    assert start_reviewing(quick.page) == held
    expect(quick.page.locator(".lease")).to_contain_text("Leased to quick-reviewer")
    slow.page.goto(f"/cases/{held}")
    expect(slow.page.locator(".lease")).to_contain_text("Leased to quick-reviewer")
    expect(slow.page.get_by_role("button", name="Skip")).to_have_count(0)
    _skip(quick.page, "testing expiry")


def test_an_auditor_sees_no_start_reviewing(server: Server, open_tab: Callable[[], Tab]) -> None:
    tab = open_tab()
    sign_in(tab.page, server.tokens["auditor"])
    expect(tab.page.get_by_role("heading", name="Open escalations")).to_be_visible()
    expect(tab.page.get_by_role("button", name="Start reviewing")).to_have_count(0)
