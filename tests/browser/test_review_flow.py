"""A reviewer's whole round in a real browser, keyboard only: sign in, lease the top case,
read its timeline, open a tool step, decide with the keys, and see the run finish and the
dashboard count it. Screenshots of the queue, the case page and the dashboard are saved."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.conftest import Tab, screenshot
from tests.service.api.conftest import Server
from tests.service.console.helpers import escalate, reviewer


def _tile(page: Page, title: str) -> str:
    """The figure of the dashboard tile headed `title`."""
    return (
        page.locator(".tile", has=page.get_by_role("heading", name=title, exact=True))
        .locator(".figure")
        .inner_text()
    )


def test_a_reviewer_resolves_an_escalated_case_with_the_keyboard_alone(
    server: Server, open_tab: Callable[[], Tab]
) -> None:
    [run_id] = escalate(server, title="Cordless drill <b>bundle</b>")
    token = reviewer(server, "kim")
    tab = open_tab()
    page = tab.page

    # Sign in with the keyboard, and read the dashboard before: the case is waiting.
    page.goto("/")
    page.get_by_label("Token").focus()
    page.keyboard.type(token)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server.url}/queue")
    page.goto("/dashboard")
    open_before = int(_tile(page, "Open escalations"))
    assert open_before >= 1

    # The queue: `n` leases the most urgent case and opens it.
    page.goto("/queue")
    expect(page.get_by_role("row").filter(has_text=run_id)).to_be_visible()
    screenshot(page, "queue-before-review")
    with page.expect_navigation():
        page.keyboard.press("n")
    expect(page).to_have_url(f"{server.url}/cases/{run_id}")
    expect(page.locator(".lease")).to_contain_text("kim")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cordless drill <b>bundle</b>")

    # `?` shows the keys; Escape closes them.
    page.keyboard.press("?")
    expect(page.locator("#keys-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#keys-help")).to_be_hidden()

    # The timeline: `e` opens every step; a tool step shows its input and output.
    steps = page.locator("#timeline > li")
    assert steps.count() >= 15
    page.keyboard.press("e")
    tool = page.locator("#timeline > li.kind-tool", has_text="seller_history").first
    expect(tool.locator("pre.payload").first).to_be_visible()
    expect(tool).to_contain_text('"seller_id"')
    page.keyboard.press("e")
    expect(tool.locator("pre.payload").first).to_be_hidden()
    # A single step opens with a click, too.
    tool.locator("summary").click()
    expect(tool.locator("pre.payload").first).to_be_visible()
    page.locator("body").click(position={"x": 5, "y": 5})  # focus back on the page

    # Decide: 3 = restrict; `a` opens the first clause, Shift+A cites it; `r` to the reason.
    page.keyboard.press("3")
    expect(page.get_by_role("radio", name=re.compile("restrict"))).to_be_checked()
    first_clause = page.locator("details.clause").first
    clause_id = first_clause.get_attribute("id").removeprefix("clause-")  # type: ignore[union-attr]
    page.keyboard.press("a")
    expect(first_clause).to_have_attribute("open", "")
    page.keyboard.press("Shift+A")
    expect(page.locator(f'input[name=clause_ids][value="{clause_id}"]')).to_be_checked()
    page.keyboard.press("r")
    expect(page.locator("#reason")).to_be_focused()
    page.keyboard.type("Unverified seller; restrict until KYC completes.")
    screenshot(page, "case-page")

    # Ctrl+Enter submits and opens the next case: none is left, so the queue says so.
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    expect(page).to_have_url(re.compile(r"/queue\?empty=1&reviewed=" + run_id))
    expect(page.get_by_role("status").first).to_contain_text(
        f"Your review of {run_id} is recorded: the run is completed, decision restrict"
    )
    expect(page.get_by_role("row").filter(has_text=run_id)).to_have_count(0)

    # The run's record: decided by kim, resumed and finished.
    with server.client("auditor") as api:
        detail = api.get(f"/v1/runs/{run_id}").json()
    assert detail["run"]["status"] == "completed" and detail["run"]["decision"] == "restrict"
    assert detail["reviews"][0]["reviewer"] == "kim" and detail["reviews"][0]["clause_ids"] == [clause_id]
    page.goto(f"/cases/{run_id}")
    expect(page.locator(".outcome")).to_contain_text(
        f"Final decision: restrict by reviewer, citing {clause_id}"
    )

    # The dashboard counts the case as decided: one fewer open escalation.
    page.goto("/dashboard")
    assert int(_tile(page, "Open escalations")) == open_before - 1
    screenshot(page, "dashboard")
