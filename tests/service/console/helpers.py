"""Console test helpers: escalate cases through the API, make reviewers, sign in and claim."""

from __future__ import annotations

import re

import httpx

from auditgraph.store import make_engine
from auditgraph.store.tokens import TokenStore
from tests.service.api.conftest import Server, fresh_case


def escalate(server: Server, count: int = 1, *, case: str = "unknown_seller", **listing: object) -> list[str]:
    """Submit `count` fresh copies of a bundled case that escalates (with `listing`
    changed); their run ids."""
    made = []
    with server.client("ops") as api:
        for _ in range(count):
            submitted = fresh_case(case)
            submitted["listing"].update(listing)
            body = api.post("/v1/cases", json=submitted, params={"wait": "true"}).json()
            assert body["run"]["status"] == "awaiting_review"
            made.append(body["run"]["run_id"])
    return made


def reviewer(server: Server, name: str) -> str:
    """A new reviewer token named `name`."""
    engine = make_engine(server.database_url)
    try:
        return TokenStore(engine).create(name, "reviewer").token
    finally:
        engine.dispose()


def signed_in(server: Server, token: str) -> tuple[httpx.Client, str]:
    """A client signed in with `token` through the form, and its session's CSRF token."""
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=60)
    page = client.get("/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert client.post("/sign-in", data={"token": token, "csrf": csrf}).status_code == 303
    queue = client.get("/queue")
    return client, re.search(r'name="csrf" value="([^"]+)"', queue.text).group(1)  # type: ignore[union-attr]


def claim(client: httpx.Client, csrf: str) -> str | None:
    """Press "Start reviewing": the run id of the case leased, or None if none was free."""
    answer = client.post("/queue/claim", data={"csrf": csrf})
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    return location.removeprefix("/cases/") if location.startswith("/cases/") else None
