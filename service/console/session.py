"""Console sessions: a signed cookie naming the token, and a CSRF token for every form.

The cookie holds the token's id (never the token), the session's CSRF token and when it
was issued, signed with the console's key (itsdangerous). Every request looks the token
up again, so revoking it ends the session at once; a role that may not use the console
(ops) never gets one. Forms carry the CSRF token and a post without the session's is
refused; the sign-in form, before any session, uses a double-submit cookie instead.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from auditgraph.store.tokens import Identity

__all__ = [
    "CONSOLE_ROLES",
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "Session",
    "Sessions",
    "same_token",
]

SESSION_COOKIE = "auditgraph_session"
CSRF_COOKIE = "auditgraph_signin"
CONSOLE_ROLES = frozenset({"reviewer", "admin", "auditor"})
"""Who may sign in: reviewers review, admins reassign, auditors read everything and act on
nothing. Ops tooling uses the API."""


def same_token(given: str | None, expected: str | None) -> bool:
    """Whether a posted CSRF token is the expected one (in constant time)."""
    return bool(given) and bool(expected) and hmac.compare_digest(str(given), str(expected))


@dataclass(frozen=True)
class Session:
    """A signed-in console user."""

    identity: Identity
    csrf: str

    @property
    def may_review(self) -> bool:
        """Reviewers review; auditors and admins read (admins also reassign)."""
        return self.identity.may("review")


class Sessions:
    """Issues and reads the console's session cookies."""

    def __init__(self, secret: bytes, *, max_age_s: float) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="auditgraph-console-session")
        self.max_age_s = max_age_s

    def issue(self, response: Response, request: Request, identity: Identity) -> None:
        """Sign `identity` in: a new session cookie with a new CSRF token."""
        value = self._serializer.dumps({"token_id": identity.token_id, "csrf": secrets.token_urlsafe(32)})
        response.set_cookie(
            SESSION_COOKIE,
            value,
            max_age=int(self.max_age_s),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )

    def read(self, request: Request) -> tuple[str, str] | None:
        """The token id and CSRF token of the request's session, if its cookie is valid."""
        value = request.cookies.get(SESSION_COOKIE)
        if not value:
            return None
        try:
            data = self._serializer.loads(value, max_age=self.max_age_s)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("token_id"), str) or not data.get("csrf"):
            return None
        return data["token_id"], str(data["csrf"])

    @staticmethod
    def end(response: Response) -> None:
        """Sign out: the cookie is removed."""
        response.delete_cookie(SESSION_COOKIE, path="/")
