"""The case page and the review form over real HTTP: evidence, images, the timeline, a
review that resumes the run, refusals that say why, and image preferences."""

from __future__ import annotations

import re
from contextlib import closing
from datetime import timedelta

import httpx

from auditgraph.store import make_engine
from auditgraph.store.leases import LeaseStore
from auditgraph.store.sql import SqlAuditStore
from auditgraph.store.tokens import TokenStore
from tests.service.api.conftest import Server
from tests.service.console.helpers import escalate, reviewer, signed_in

SCRIPT = "<script>document.title='owned'</script>"


def _field(page: httpx.Response, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    assert found, page.text[:800]
    return found.group(1)


def _claimed(
    server: Server, name: str, case: str = "unknown_seller", **listing: object
) -> tuple[httpx.Client, str, str, httpx.Response]:
    """A reviewer who leases a new escalated case (handed to them, as an admin would: the
    queue's top case is whichever is most urgent): client, csrf, run id, case page."""
    [run_id] = escalate(server, 1, case=case, **listing)
    token = reviewer(server, name)
    engine = make_engine(server.database_url)
    try:
        identity = TokenStore(engine).authenticate(token)
        escalation = SqlAuditStore(engine).escalation(run_id)
        assert identity is not None and escalation is not None
        LeaseStore(engine).reassign(
            escalation.escalation_id, name, identity.token_id, ttl=timedelta(minutes=10)
        )
    finally:
        engine.dispose()
    client, csrf = signed_in(server, token)
    return client, csrf, run_id, client.get(f"/cases/{run_id}")


def test_the_case_page_shows_evidence_clauses_images_and_an_expandable_timeline(server: Server) -> None:
    client, _, run_id, page = _claimed(
        server, "eve", case="injection_in_description", images=["listings/watch_box_closeup.png"]
    )
    with closing(client):
        text = page.text
        assert page.status_code == 200
        # The image is served by the app, blurred by default, with its hash-bank match.
        assert f'src="/cases/{run_id}/images/0"' in text and "view-blurred" in text
        assert "Orvelle Geneve logo mark" in text and "counterfeit_logos" in text and "distance 6" in text
        image = client.get(f"/cases/{run_id}/images/0")
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert image.content.startswith(b"\x89PNG")
        assert client.get(f"/cases/{run_id}/images/1").status_code == 404
        # Retrieved clauses with their full text and a key each.
        assert '<details class="clause" id="clause-CIP-1" data-key=' in text
        assert "unless the goods were made by or under licence from the rights holder" in text
        # The seller's history, and the guard's checks with the one that failed.
        assert (
            "days, verified" in text and "No prior violations" in text and "Other runs of this seller" in text
        )
        assert '<li class="fail">✗ injection_attempt' in text
        # Every step, expandable to its input and output.
        steps = re.findall(r'<li class="step kind-(\w+)', text)
        assert len(steps) >= 15 and "tool" in steps and "model" in steps
        # The seller_history tool's input, pretty-printed (and escaped: it holds seller text).
        assert "&#34;seller_id&#34;: &#34;S10044&#34;" in text


def test_a_review_resumes_the_run_and_the_page_shows_the_outcome(server: Server) -> None:
    client, csrf, run_id, page = _claimed(server, "ray")
    with closing(client):
        clause = re.findall(r'name="clause_ids" value="([^"]+)"', page.text)[0]
        answer = client.post(
            f"/cases/{run_id}/review",
            data={
                "csrf": csrf,
                "decision": "restrict",
                "clause_ids": [clause],
                "reason": "Seller could not be verified; limit until KYC.",
                "digest": _field(page, "digest"),
            },
        )
        assert (
            answer.status_code == 303 and answer.headers["location"] == f"/cases/{run_id}?reviewed={run_id}"
        )
        after = client.get(answer.headers["location"])
        assert "is recorded: the run is completed, decision <strong>restrict</strong>" in after.text
        assert "Reviewed by <strong>ray</strong> (reviewer): <strong>restrict</strong>" in after.text
        assert 'id="review-form"' not in after.text
    with server.client("auditor") as api:
        run = api.get(f"/v1/runs/{run_id}").json()
    assert run["run"]["status"] == "completed" and run["run"]["decision"] == "restrict"
    assert run["reviews"][0]["reviewer"] == "ray" and run["reviews"][0]["clause_ids"] == [clause]


def test_submit_and_next_opens_the_next_case(server: Server) -> None:
    client, csrf, run_id, page = _claimed(server, "nia")
    escalate(server, 1)  # at least one free case waits
    with closing(client):
        answer = client.post(
            f"/cases/{run_id}/review",
            data={
                "csrf": csrf,
                "decision": "approve",
                "reason": "Fine.",
                "digest": _field(page, "digest"),
                "next": "true",
            },
        )
        assert answer.status_code == 303
        nxt = answer.headers["location"]
        assert nxt.startswith("/cases/run_") and nxt.endswith(f"?reviewed={run_id}")
        following = nxt.removeprefix("/cases/").split("?")[0]
        assert following != run_id
        shown = client.get(nxt)
        assert f'Your review of <a href="/cases/{run_id}">' in shown.text


def test_an_incomplete_review_is_refused_with_the_reason_and_the_form_kept(server: Server) -> None:
    client, csrf, run_id, page = _claimed(server, "ida")
    digest = _field(page, "digest")
    with closing(client):
        uncited = client.post(
            f"/cases/{run_id}/review",
            data={"csrf": csrf, "decision": "reject", "reason": "Looks fake to me", "digest": digest},
        )
        assert uncited.status_code == 422
        assert "must rest on at least one of the retrieved clauses" in uncited.text
        assert "Looks fake to me</textarea>" in uncited.text  # what was typed is kept
        no_reason = client.post(
            f"/cases/{run_id}/review",
            data={"csrf": csrf, "decision": "approve", "reason": "  ", "digest": digest},
        )
        assert no_reason.status_code == 422 and "Say why" in no_reason.text
        no_csrf = client.post(
            f"/cases/{run_id}/review", data={"decision": "approve", "reason": "x", "digest": digest}
        )
        assert no_csrf.status_code == 403
        assert client.get(f"/cases/{run_id}").text.count('id="review-form"') == 1  # still open


def test_a_review_made_on_a_stale_page_is_refused_and_nothing_is_recorded(server: Server) -> None:
    client, csrf, run_id, _ = _claimed(server, "sam")
    with closing(client):
        stale = "0" * 64  # a digest of some other state of the run
        answer = client.post(
            f"/cases/{run_id}/review",
            data={"csrf": csrf, "decision": "approve", "reason": "ok", "digest": stale},
        )
        assert answer.status_code == 409
        assert "The case changed after you opened it" in answer.text
    with server.client("auditor") as api:
        assert api.get(f"/v1/runs/{run_id}").json()["run"]["status"] == "awaiting_review"


def test_a_case_another_reviewer_holds_cannot_be_decided(server: Server) -> None:
    holder, _, run_id, page = _claimed(server, "hal")
    other, csrf = signed_in(server, reviewer(server, "oz"))
    with closing(holder), closing(other):
        shown = other.get(f"/cases/{run_id}")
        assert "hal holds this case now" in shown.text and 'id="review-form"' not in shown.text
        answer = other.post(
            f"/cases/{run_id}/review",
            data={
                "csrf": csrf,
                "decision": "approve",
                "reason": "mine now",
                "digest": _field(page, "digest"),
            },
        )
        assert answer.status_code == 409 and "hal holds this case" in answer.text


def test_an_auditor_reads_the_case_page_but_gets_no_review_form(server: Server) -> None:
    [run_id] = escalate(server, 1)
    client, csrf = signed_in(server, server.tokens["auditor"])
    with closing(client):
        page = client.get(f"/cases/{run_id}")
        assert page.status_code == 200 and "reviewing takes a reviewer token" in page.text
        refused = client.post(
            f"/cases/{run_id}/review", data={"csrf": csrf, "decision": "approve", "reason": "x"}
        )
        assert refused.status_code == 403


def test_seller_text_in_every_field_renders_as_text(server: Server) -> None:
    client, _, _, page = _claimed(server, "tex", title=f"Novel {SCRIPT}", description=f"<b>bold</b> {SCRIPT}")
    with closing(client):
        assert SCRIPT not in page.text and "<b>bold</b>" not in page.text
        assert "Novel &lt;script&gt;" in page.text and "&lt;b&gt;bold&lt;/b&gt;" in page.text


def test_image_preferences_are_kept_per_reviewer(server: Server) -> None:
    client, csrf, run_id, _ = _claimed(server, "pia")
    with closing(client):
        saved = client.post(
            "/preferences",
            data={"csrf": csrf, "images": "hover", "grayscale": "true", "back": f"/cases/{run_id}"},
        )
        assert saved.status_code == 303 and saved.headers["location"] == f"/cases/{run_id}"
        page = client.get(f"/cases/{run_id}").text
        assert "listing-image view-hover gray" in page
        assert client.post("/preferences", data={"csrf": csrf, "images": "naked"}).status_code == 422
        offsite = client.post(
            "/preferences", data={"csrf": csrf, "images": "clear", "back": "//evil.example/x"}
        )
        assert offsite.status_code == 303 and offsite.headers["location"] == "/queue"
    other, _ = signed_in(server, reviewer(server, "pat"))
    with closing(other):
        assert "listing-image view-blurred" in other.get(f"/cases/{run_id}").text


def test_errors_on_pages_are_pages_and_the_api_keeps_its_problems(server: Server) -> None:
    client, csrf = signed_in(server, reviewer(server, "err"))
    html = {"Accept": "text/html,application/xhtml+xml"}
    with closing(client):
        expired = client.post("/preferences", data={"csrf": "stale", "images": "clear"}, headers=html)
        assert expired.status_code == 403 and expired.headers["content-type"].startswith("text/html")
        assert "The form expired; reload the page." in expired.text and "Back to the queue" in expired.text
        missing = client.get("/cases/run_0000000000000000", headers=html)
        assert missing.status_code == 404 and "No run" in missing.text and "<h1>Not Found" in missing.text
        invalid = client.post("/preferences", data={"csrf": csrf, "images": "naked"}, headers=html)
        assert invalid.status_code == 422 and "The form is not valid: images:" in invalid.text
        # The page's own scripts ask without text/html and still get JSON.
        assert (
            client.get("/cases/run_0000000000000000")
            .headers["content-type"]
            .startswith("application/problem+json")
        )
    with server.client("auditor", Accept="text/html") as api:
        assert (
            api.get("/v1/runs/run_0000000000000000")
            .headers["content-type"]
            .startswith("application/problem+json")
        )
