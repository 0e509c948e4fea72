"""The console in a real browser: signing in, what is refused, and seller text shown as text.

Every test goes through the pages as a person does (typing, clicking); the `open_tab`
fixture also fails a test whose pages logged a console error (a CSP violation is one) or
opened a dialog.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Response, expect

from auditgraph.store import make_engine
from auditgraph.store.leases import LeaseStore
from tests.browser.conftest import Tab, screenshot, sign_in
from tests.service.api.conftest import Server
from tests.service.console.helpers import escalate, reviewer

SESSION_COOKIE = "auditgraph_session"
SIGN_IN_COOKIE = "auditgraph_signin"


def _cookies(tab: Tab) -> dict[str, dict[str, object]]:
    return {c["name"]: dict(c) for c in tab.context.cookies()}


def test_a_reviewer_signs_in_and_lands_on_the_queue(server: Server, open_tab: Callable[[], Tab]) -> None:
    [run_id] = escalate(server)
    tab = open_tab()
    landed = sign_in(tab.page, server.tokens["reviewer"])
    assert landed is not None and landed.status == 200
    expect(tab.page).to_have_url(f"{server.url}/queue")
    expect(tab.page.get_by_role("heading", name="Open escalations")).to_be_visible()
    expect(tab.page.get_by_text("reviewer-1 (reviewer)")).to_be_visible()
    expect(tab.page.get_by_role("button", name="Start reviewing")).to_be_visible()
    expect(tab.page.get_by_role("row").filter(has_text=run_id)).to_be_visible()
    cookies = _cookies(tab)
    # The session cookie is out of scripts' reach and never sent cross-site; the sign-in
    # form's one-time cookie is gone.
    assert cookies[SESSION_COOKIE]["httpOnly"] and cookies[SESSION_COOKIE]["sameSite"] == "Strict"
    assert SIGN_IN_COOKIE not in cookies
    screenshot(tab.page, "queue")


def test_an_ops_token_cannot_sign_in_and_the_page_says_why(
    server: Server, open_tab: Callable[[], Tab]
) -> None:
    tab = open_tab()
    tab.expect_error("status of 403")
    tab.expect_error("status of 401")
    refused = sign_in(tab.page, server.tokens["ops"])
    assert refused is not None and refused.status == 403
    expect(tab.page.get_by_role("alert")).to_have_text(
        "Ops tokens cannot sign in to the console; it is for reviewers, auditors and admins"
    )
    expect(tab.page.get_by_label("Token")).to_be_visible()
    screenshot(tab.page, "sign-in-refused")
    assert SESSION_COOKIE not in _cookies(tab)
    tab.page.goto("/queue")
    expect(tab.page).to_have_url(f"{server.url}/")
    # A mistyped token is refused too, with its own reason.
    mistyped = sign_in(tab.page, server.tokens["reviewer"][:-2])
    assert mistyped is not None and mistyped.status == 401
    expect(tab.page.get_by_role("alert")).to_contain_text("That token is not valid")


def test_a_sign_in_without_the_forms_cookie_is_refused(server: Server, open_tab: Callable[[], Tab]) -> None:
    tab = open_tab()
    tab.expect_error("status of 403")
    tab.page.goto("/")
    csrf = tab.page.locator("input[name=csrf]").input_value()
    # Another browser (a forging site's post) has the form's token but not its cookie.
    other = open_tab()
    forged = other.context.request.post(
        "/sign-in", form={"token": server.tokens["reviewer"], "csrf": csrf}, max_redirects=0
    )
    assert forged.status == 403 and "The form expired" in forged.text()
    assert SESSION_COOKIE not in _cookies(other)
    # The same browser with the form's cookie gets in with the same post ...
    assert (
        tab.context.request.post(
            "/sign-in", form={"token": server.tokens["reviewer"], "csrf": csrf}, max_redirects=0
        ).status
        == 303
    )
    # ... and a form filled in after its cookie is gone is refused, on the page.
    refused = _sign_in_without_the_cookie(tab, server.tokens["reviewer"])
    assert refused is not None and refused.status == 403
    expect(tab.page.get_by_role("alert")).to_have_text("The form expired; sign in again.")
    assert SESSION_COOKIE not in _cookies(tab)


def _sign_in_without_the_cookie(tab: Tab, token: str) -> Response | None:
    """As a signed-out person, load the sign-in form, lose the browser's cookies, then type
    the token and submit."""
    tab.context.clear_cookies()
    tab.page.goto("/")
    tab.context.clear_cookies()
    tab.page.get_by_label("Token").fill(token)
    with tab.page.expect_navigation() as landed:
        tab.page.get_by_role("button", name="Sign in").click()
    return landed.value


def test_queue_forms_posted_with_a_wrong_csrf_token_are_refused(
    server: Server, open_tab: Callable[[], Tab]
) -> None:
    escalate(server)
    tab = open_tab()
    tab.expect_error("status of 403")
    name = "csrf-reviewer"
    sign_in(tab.page, reviewer(server, name))
    # The page's own form, its hidden token changed: as a forged post from elsewhere would be.
    tab.page.locator("form.claim input[name=csrf]").evaluate("field => { field.value = 'forged'; }")
    with tab.page.expect_navigation() as refused:
        tab.page.get_by_role("button", name="Start reviewing").click()
    assert refused.value is not None and refused.value.status == 403
    # Said on a page of the console's, not as a JSON body.
    expect(tab.page.get_by_role("alert")).to_have_text("The form expired; reload the page.")
    expect(tab.page.get_by_role("link", name="Back to the queue")).to_be_visible()
    engine = make_engine(server.database_url)
    try:
        assert [lease for lease in LeaseStore(engine).active_leases() if lease.holder == name] == []
    finally:
        engine.dispose()
    # Signing out with a forged token leaves the session as it was.
    tab.page.goto("/queue")
    tab.page.locator("form.who input[name=csrf]").evaluate("field => { field.value = 'forged'; }")
    with tab.page.expect_navigation() as kept:
        tab.page.get_by_role("button", name="Sign out").click()
    assert kept.value is not None and kept.value.status == 403
    tab.page.goto("/queue")
    expect(tab.page.get_by_text(f"{name} (reviewer)")).to_be_visible()
    # The real form signs out.
    tab.page.get_by_role("button", name="Sign out").click()
    expect(tab.page.get_by_label("Token")).to_be_visible()
    assert SESSION_COOKIE not in _cookies(tab)


SCRIPT_MARK = "<script>window.__owned = 'script'</script>"
IMAGE_MARK = "<img src=x onerror=\"window.__owned = 'img'; alert('owned')\">"


def test_listing_markup_renders_as_text(server: Server, open_tab: Callable[[], Tab]) -> None:
    title = f"Bargain {SCRIPT_MARK} watch {IMAGE_MARK}"
    description = f"Mint condition {IMAGE_MARK} boxed {SCRIPT_MARK}"
    [run_id] = escalate(server, title=title, description=description)
    tab = open_tab()
    sign_in(tab.page, server.tokens["reviewer"])
    # The queue shows the title, markup and all, as the link's text; the link opens the case.
    link = tab.page.get_by_role("link", name=title, exact=True)
    expect(link).to_be_visible()
    link.click()
    expect(tab.page).to_have_url(f"{server.url}/cases/{run_id}")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(title)
    expect(tab.page.get_by_text(description, exact=True)).to_be_visible()
    # Nothing of it ran: no flag set, no image element made, no dialog (the fixture checks
    # dialogs and console errors, where a CSP-blocked script would show).
    assert tab.page.evaluate("() => window.__owned") is None
    # The one image is the listing's own photo, served by the app; the payload made none.
    expect(tab.page.locator("img:not(.listing-image)")).to_have_count(0)
    expect(tab.page.locator("img.listing-image")).to_have_count(1)
    expect(tab.page.locator("main script")).to_have_count(0)
    screenshot(tab.page, "case-untrusted-text")
