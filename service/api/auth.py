"""Who is calling: a bearer token checked against the stored digests, and the role's rights.

Every endpoint but the health checks and the metrics names the action it takes
(`store.tokens.Action`); `caller(action)` answers 401 without a token or with one that
does not authenticate (unknown, revoked, malformed: the same answer, so a probe learns
nothing), and 403 when the token's role may not take the action.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from auditgraph.service.api.problems import ProblemError
from auditgraph.service.api.state import ApiState, api_state
from auditgraph.store.tokens import PERMISSIONS, Action, Identity

__all__ = ["caller"]

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer agt_...`.")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="auditgraph"'}


def caller(action: Action) -> Callable[..., Awaitable[Identity]]:
    """A dependency giving the identity behind the request's token, if its role may `action`."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        state: Annotated[ApiState, Depends(api_state)],
    ) -> Identity:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise ProblemError(
                401,
                "unauthenticated",
                "send an API token as `Authorization: Bearer agt_...` (`auditgraph tokens create`)",
                headers=_CHALLENGE,
            )
        identity = await state.read(state.tokens.authenticate, credentials.credentials)
        if identity is None:
            raise ProblemError(
                401,
                "unauthenticated",
                "the API token is not valid: unknown, revoked or mistyped",
                headers={"WWW-Authenticate": 'Bearer realm="auditgraph", error="invalid_token"'},
            )
        if not identity.may(action):
            roles = sorted(r for r, actions in PERMISSIONS.items() if action in actions)
            raise ProblemError(
                403,
                "forbidden",
                f"token {identity.name!r} has role {identity.role}, which may not {action.replace('_', ' ')}; "
                f"that takes a token of role {' or '.join(roles)}",
            )
        request.state.identity = identity
        return identity

    return dependency
