"""API tokens and roles: who may call the doors, and what each role may do.

A token is `agt_` followed by 43 characters of `secrets.token_urlsafe(32)` (256 random
bits). It is shown once, when created; the database keeps only its SHA-256 digest, with
a name, a role, a short non-secret id (`tok_...`) and hint (the token's first ten
characters, for recognising it), and when it was created, last used and revoked.

Why SHA-256 and not a password hash (bcrypt, scrypt, Argon2): a slow, salted hash makes
guessing a low-entropy secret from a stolen digest expensive. A token has 256 random
bits, so no guessing is possible whatever the hash costs; what a stolen digest must not
give is the token, and SHA-256's preimage resistance already says it cannot. A fast,
unsalted digest also lets `authenticate` find the row by an index on the digest, in one
query, instead of hashing the token once per stored row (salts) at ~100 ms each.

Roles are data (`PERMISSIONS`): a door asks `allowed(role, action)` and refuses
otherwise. An unknown role or action is never allowed, and is refused at creation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Literal, get_args

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from auditgraph.store.base import StoreError
from auditgraph.store.records import as_utc, new_id, utcnow
from auditgraph.store.schema import upgrade
from auditgraph.store.tables import ApiTokenRow

__all__ = [
    "ACTIONS",
    "MAX_NAME",
    "PERMISSIONS",
    "ROLES",
    "TOKEN_PREFIX",
    "TOUCH_EVERY",
    "Action",
    "Identity",
    "NewToken",
    "Revoked",
    "Role",
    "TokenError",
    "TokenInfo",
    "TokenNotFound",
    "TokenStore",
    "allowed",
    "digest",
    "valid_name",
    "valid_role",
]

Role = Literal["ops", "reviewer", "auditor", "admin"]
"""Who a token speaks for."""
Action = Literal["submit", "read", "review", "verify", "export", "manage_tokens", "manage_holds"]
"""What a door may be asked to do."""

ROLES: tuple[Role, ...] = get_args(Role)
ACTIONS: tuple[Action, ...] = get_args(Action)

PERMISSIONS: Mapping[Role, frozenset[Action]] = MappingProxyType(
    {
        "ops": frozenset({"submit", "read"}),
        "reviewer": frozenset({"read", "review"}),
        "auditor": frozenset({"read", "verify", "export"}),
        "admin": frozenset({"manage_tokens", "manage_holds"}),
    }
)
"""Each role and the actions it may take; nothing else is allowed. Ops tooling submits
cases and reads decisions; reviewers read and review; auditors read, verify and export
but never submit or review (they check the record, they do not make it); admins manage
tokens and legal holds and nothing else (an admin who audits holds a second token)."""

TOKEN_PREFIX = "agt_"
"""Every token starts with this, so a leaked one is recognisable (secret scanners)."""
MAX_NAME = 64
"""Longest token name."""
TOUCH_EVERY = timedelta(minutes=1)
"""How stale `last_used_at` may be before a use writes it again (see `TokenStore.authenticate`)."""

_HINT_CHARS = len(TOKEN_PREFIX) + 6
"""The hint shows 6 of the 43 random characters: 36 of 256 bits, leaving 220 unknown."""
_MAX_TOKEN = 200
"""Longer presented tokens are refused before hashing."""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")
_ID = re.compile(r"tok_[0-9a-f]{16}")


class TokenError(StoreError):
    """A token cannot be created or revoked as asked (bad name or role, name taken)."""


class TokenNotFound(TokenError):
    """No token has that name or id."""


@dataclass(frozen=True)
class Identity:
    """Who presented a valid token."""

    token_id: str
    """The token's non-secret id."""
    name: str
    """The token's name: who or what holds it."""
    role: Role
    """Its role."""

    def may(self, action: Action) -> bool:
        """Whether this identity's role allows `action`."""
        return allowed(self.role, action)


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: never the token or its digest."""

    token_id: str
    name: str
    role: Role
    hint: str
    """The token's first characters (`agt_` and six more), to recognise it."""
    created_at: datetime
    last_used_at: datetime | None
    """Last successful use, to within `TOUCH_EVERY`; None if never used."""
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked_at is None


@dataclass(frozen=True)
class NewToken:
    """A token just created: `token` is the secret, shown once and never stored."""

    token: str
    info: TokenInfo


@dataclass(frozen=True)
class Revoked:
    """The outcome of a revocation."""

    info: TokenInfo
    already: bool
    """It had been revoked before (revoking is idempotent)."""


def allowed(role: str, action: str) -> bool:
    """Whether `role` may take `action`; an unknown role or action never may."""
    return action in PERMISSIONS.get(role, frozenset())  # type: ignore[call-overload]


def digest(token: str) -> str:
    """The stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def valid_name(name: str) -> str:
    """`name` if it is a usable token name.

    Raises:
        TokenError: empty, too long, or not letters, digits and `. _ @ -` (which keeps out
            control characters, spaces and look-alikes), or shaped like a token id.
    """
    if not name:
        raise TokenError("a token name cannot be empty; give one such as 'ops-ingest'")
    if len(name) > MAX_NAME:
        raise TokenError(f"a token name has at most {MAX_NAME} characters (got {len(name)})")
    if not _NAME.fullmatch(name):
        raise TokenError(
            f"token name {name!r} may hold only letters, digits and . _ @ - and must start with a letter or digit"
        )
    if name.startswith("tok_"):
        raise TokenError(f"token name {name!r} looks like a token id; choose a name not starting with 'tok_'")
    return name


def valid_role(role: str) -> Role:
    """`role` if it is one of `ROLES`.

    Raises:
        TokenError: naming the roles there are.
    """
    if role not in ROLES:
        raise TokenError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role  # type: ignore[return-value]


_TABLE = ApiTokenRow.__table__  # type: ignore[attr-defined]


def _info(row: object) -> TokenInfo:
    m = row._mapping  # type: ignore[attr-defined]
    return TokenInfo(
        token_id=m["token_id"],
        name=m["name"],
        role=m["role"],
        hint=m["hint"],
        created_at=as_utc(m["created_at"]),  # type: ignore[arg-type]
        last_used_at=as_utc(m["last_used_at"]),
        revoked_at=as_utc(m["revoked_at"]),
    )


_LISTED = (
    _TABLE.c.token_id,
    _TABLE.c.name,
    _TABLE.c.role,
    _TABLE.c.hint,
    _TABLE.c.created_at,
    _TABLE.c.last_used_at,
    _TABLE.c.revoked_at,
)


class TokenStore:
    """API tokens in the audit database (SQLite or PostgreSQL); brings the schema to the
    newest revision on start, as `SqlAuditStore` does.

    `clock` gives the time (tests pass a fake one); `touch_every` throttles the write of
    `last_used_at`.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = utcnow,
        touch_every: timedelta = TOUCH_EVERY,
    ) -> None:
        self.engine = engine
        self._clock = clock
        self._touch_every = touch_every
        upgrade(engine)

    def create(self, name: str, role: str) -> NewToken:
        """A new token named `name` with `role`; the returned `token` is its only copy.

        Raises:
            TokenError: a bad name or unknown role, or an active token already has the
                name (also when another process created it a moment earlier: the
                database's unique index decides).
        """
        name, role = valid_name(name), valid_role(role)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        info = TokenInfo(
            token_id=new_id("tok"),
            name=name,
            role=role,
            hint=token[:_HINT_CHARS],
            created_at=self._clock(),
            last_used_at=None,
            revoked_at=None,
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(_TABLE).values(
                        token_id=info.token_id,
                        token_digest=digest(token),
                        hint=info.hint,
                        name=name,
                        role=role,
                        created_at=info.created_at,
                    )
                )
        except IntegrityError:
            raise TokenError(
                f"an active token is already named {name!r}: revoke it first, or choose another name"
            ) from None
        return NewToken(token, info)

    def authenticate(self, token: str) -> Identity | None:
        """Who `token` speaks for, or None when it is malformed, unknown or revoked.

        The row is found by the token's digest, so the comparison an attacker can time is
        between digests of their guess, which tell nothing about any stored token; the
        digest found is compared again with `hmac.compare_digest`.

        A use is recorded in `last_used_at`, but at most once per `touch_every` per token:
        every API request authenticates, and writing on each one would turn reads into
        writes (on SQLite, each would take the database's single write lock; on
        PostgreSQL, each leaves a dead row version and WAL), all to sharpen a time that
        answers "is this token still in use?" to the second. The update is conditional,
        so concurrent requests in the same minute write once between them.
        """
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > _MAX_TOKEN:
            return None
        wanted = digest(token)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(_TABLE.c.token_digest, *_LISTED).where(_TABLE.c.token_digest == wanted)
            ).first()
        if row is None or not hmac.compare_digest(row.token_digest, wanted) or row.revoked_at is not None:
            return None
        now = self._clock()
        last = as_utc(row.last_used_at)
        if last is None or now - last >= self._touch_every:
            self._touch(row.token_id, now)
        return Identity(row.token_id, row.name, row.role)

    def _touch(self, token_id: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(_TABLE)
                .where(
                    _TABLE.c.token_id == token_id,
                    _TABLE.c.revoked_at.is_(None),
                    or_(_TABLE.c.last_used_at.is_(None), _TABLE.c.last_used_at <= now - self._touch_every),
                )
                .values(last_used_at=now)
            )

    def identity_of(self, token_id: str) -> Identity | None:
        """Who the token with this id speaks for while it is not revoked; None otherwise.

        For a signed-in session, which holds the token's id, never the token: revoking the
        token ends its sessions at their next request.
        """
        if not isinstance(token_id, str) or not _ID.fullmatch(token_id):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(*_LISTED).where(_TABLE.c.token_id == token_id)).first()
        if row is None or row.revoked_at is not None:
            return None
        return Identity(row.token_id, row.name, row.role)

    def list_tokens(self, *, include_revoked: bool = True) -> list[TokenInfo]:
        """Every token, oldest first: never the token or its digest."""
        query = select(*_LISTED).order_by(_TABLE.c.created_at, _TABLE.c.token_id)
        if not include_revoked:
            query = query.where(_TABLE.c.revoked_at.is_(None))
        with self.engine.connect() as conn:
            return [_info(r) for r in conn.execute(query)]

    def revoke(self, name_or_id: str) -> Revoked:
        """Revoke the token with this id (`tok_...`), or the active token with this name
        (else the latest revoked one of that name). Idempotent: revoking a revoked token
        changes nothing and says so.

        Raises:
            TokenNotFound: no token has that id or name.
        """
        by_id = bool(_ID.fullmatch(name_or_id))
        column = _TABLE.c.token_id if by_id else _TABLE.c.name
        with self.engine.begin() as conn:
            rows = [
                _info(r)
                for r in conn.execute(
                    select(*_LISTED).where(column == name_or_id).order_by(_TABLE.c.created_at.desc())
                )
            ]
            if not rows:
                what = "id" if by_id else "name"
                raise TokenNotFound(
                    f"no token has the {what} {name_or_id!r}; `auditgraph tokens list` shows them"
                )
            target = next((r for r in rows if r.active), rows[0])
            if not target.active:
                return Revoked(target, already=True)
            now = self._clock()
            done = conn.execute(
                update(_TABLE)
                .where(_TABLE.c.token_id == target.token_id, _TABLE.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        if done.rowcount == 0:  # revoked by another process in the meantime
            return Revoked(target, already=True)
        return Revoked(replace(target, revoked_at=now), already=False)
