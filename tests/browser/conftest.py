"""Browser tests of the reviewer console: a real headless Chromium against a real server.

The browser is Debian's `chromium` (`make install` installs it as root), driven by
Playwright: Playwright's own browser download is never used. AUDITGRAPH_CHROMIUM names
another Chromium binary. Without one the tests skip, saying why, unless
AUDITGRAPH_REQUIRE_BROWSER=1 (`.ci/run` sets it), which turns the skip into a failure.

Each test module gets one browser and one server (`server`; a module overrides it to
start the server with other settings). A test opens tabs with `open_tab`: each tab is
its own browser context (its own cookies, so one person), and every console error,
uncaught script error and dialog it sees is recorded; the fixture fails the test if any
tab logged an error it did not expect. A Content-Security-Policy violation is a console
error, so a page that tries to run inline script fails the test that loaded it.

The helpers `sign_in`, `start_reviewing` and `screenshot` work on any page, for any console
feature's tests (`tests/service/console/helpers.py` makes cases and reviewers).
Screenshots go to test-output/screenshots/ at the repo root.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Locator,
    Page,
    Response,
    sync_playwright,
)

from tests.service.api.conftest import Server, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_ENV = "AUDITGRAPH_CHROMIUM"
REQUIRE_ENV = "AUDITGRAPH_REQUIRE_BROWSER"
TIMEOUT_MS = 15_000
"""How long a browser action waits (Playwright's default, 30 s, only slows a failure)."""


def find_chromium() -> str | None:
    """The Chromium to drive: AUDITGRAPH_CHROMIUM if set, else `chromium` on the PATH."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return named if Path(named).is_file() else None
    return shutil.which("chromium")


def _missing(reason: str) -> NoReturn:
    """Skip, or fail where the browser tests are required (CI)."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"the browser tests are required here ({REQUIRE_ENV}=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def chromium() -> str:
    """The Chromium binary; checked before anything else, so a missing one skips at once
    (not after a server has started)."""
    executable = find_chromium()
    if executable is None:
        _missing(
            f"no Chromium: install Debian's chromium (`make install` as root does) "
            f"or set {CHROMIUM_ENV} to a Chromium binary"
        )
    return executable


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    """One headless Chromium for the test module."""
    with sync_playwright() as playwright:
        # --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
        launched = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real `auditgraph serve` for the module, on its own database."""
    running = start_server(tmp_path_factory.mktemp("browser"))
    try:
        yield running
    finally:
        stop_server(running)


@dataclass
class Tab:
    """One person's tab: its page, and what the page reported."""

    page: Page
    errors: list[str] = field(default_factory=list)
    """Console errors and uncaught exceptions, in order."""
    dialogs: list[str] = field(default_factory=list)
    """Messages of the alert/confirm/prompt dialogs the page opened (each dismissed)."""
    expected: list[str] = field(default_factory=list)
    """Fragments of errors the test provokes on purpose (a refused form's 403 is logged)."""

    @property
    def context(self) -> BrowserContext:
        """The tab's browser context (its cookies)."""
        return self.page.context

    def expect_error(self, fragment: str) -> None:
        """Allow console errors containing `fragment` (e.g. "status of 403")."""
        self.expected.append(fragment)

    def unexpected_errors(self) -> list[str]:
        """The errors the test did not say it expects."""
        return [e for e in self.errors if not any(f in e for f in self.expected)]


IGNORED_URLS = ("/favicon.ico",)
"""Requests whose failure is not the page's: browsers ask for /favicon.ico on their own,
and the console has no icon (a 404 logged on every page)."""


def _watch(tab: Tab, page: Page) -> None:
    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith(IGNORED_URLS):
            tab.errors.append(f"console: {message.text}")

    def dialog(opened: Dialog) -> None:
        tab.dialogs.append(opened.message)
        opened.dismiss()

    page.on("console", console)
    page.on("pageerror", lambda error: tab.errors.append(f"pageerror: {error}"))
    page.on("dialog", dialog)


@pytest.fixture
def open_tab(browser: Browser, server: Server) -> Iterator[Callable[[], Tab]]:
    """Open a tab in a fresh browser context (a new person) on the server; at the end, fail
    the test if any tab logged an unexpected console error or opened a dialog."""
    tabs: list[Tab] = []

    def open_one() -> Tab:
        context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        tab = Tab(page)
        _watch(tab, page)
        tabs.append(tab)
        return tab

    yield open_one
    problems = [f"{t.page.url}: {e}" for t in tabs for e in t.unexpected_errors()]
    problems += [f"{t.page.url}: dialog {d!r}" for t in tabs for d in t.dialogs]
    for tab in tabs:
        tab.context.close()
    assert not problems, "the console's pages reported errors:\n" + "\n".join(problems)


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as test-output/screenshots/<name>.png; return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, token: str) -> Response | None:
    """Sign in through the form as a person does: open the sign-in page, type the token,
    click "Sign in". Returns the response the browser ended on (the queue, or the form
    again with the reason it was refused)."""
    page.goto("/")
    page.get_by_label("Token").fill(token)
    with page.expect_navigation() as landed:
        page.get_by_role("button", name="Sign in").click()
    return landed.value


CASE_URL = re.compile(r"/cases/(run_[0-9a-f]+)$")


def start_reviewing(page: Page) -> str | None:
    """Click "Start reviewing" on the queue; the run id of the case it leased, or None
    when nothing was free."""
    page.get_by_role("button", name="Start reviewing").click()
    return landed_case(page)


def click_without_waiting(target: Locator) -> None:
    """Click `target` with the mouse and return at once, before any navigation the click
    starts (a locator's click waits for it), so several tabs can click at one moment."""
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    assert box is not None, f"{target} is not visible"
    target.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def landed_case(page: Page) -> str | None:
    """Wait until a claim has landed (a case page, or the queue saying nothing is free);
    the run id of the case, if it is one."""
    page.wait_for_url(re.compile(r"/cases/run_[0-9a-f]+$|/queue\?empty=1$"))
    found = CASE_URL.search(page.url)
    return found.group(1) if found else None
