"""API tokens on SQLite and PostgreSQL (as the runtime role): created and shown once, stored
only as a digest, found by it, refused once revoked or unknown, their use recorded at most
once a minute, one active token per name even under concurrent creation; and the table of
what each role may do."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text

from auditgraph.store import make_engine
from auditgraph.store.tokens import (
    ACTIONS,
    MAX_NAME,
    PERMISSIONS,
    ROLES,
    TOKEN_PREFIX,
    TokenError,
    TokenNotFound,
    TokenStore,
    allowed,
    digest,
)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_create_authenticate_list_and_revoke(engine: Engine) -> None:
    store = TokenStore(engine)
    made = store.create("ops-ingest", "ops")
    assert made.token.startswith(TOKEN_PREFIX) and len(made.token) == len(TOKEN_PREFIX) + 43
    assert made.info.hint == made.token[:10] and made.info.token_id.startswith("tok_")
    other = store.create("ann@example.com", "reviewer")
    assert other.token != made.token

    who = store.authenticate(made.token)
    assert who is not None and (who.name, who.role, who.token_id) == ("ops-ingest", "ops", made.info.token_id)
    assert who.may("submit") and not who.may("review")
    listed = store.list_tokens()
    assert [(t.name, t.role, t.active) for t in listed] == [
        ("ops-ingest", "ops", True),
        ("ann@example.com", "reviewer", True),
    ]
    assert listed[0].last_used_at is not None and listed[1].last_used_at is None

    revoked = store.revoke("ops-ingest")
    assert not revoked.already and revoked.info.revoked_at is not None
    assert store.authenticate(made.token) is None
    assert store.authenticate(other.token) is not None
    assert [t.name for t in store.list_tokens(include_revoked=False)] == ["ann@example.com"]


def test_revoking_is_idempotent_by_name_or_id_and_frees_the_name(engine: Engine) -> None:
    store = TokenStore(engine)
    first = store.create("svc", "auditor")
    assert not store.revoke(first.info.token_id).already
    again = store.revoke("svc")
    assert again.already and again.info.token_id == first.info.token_id
    assert store.revoke(first.info.token_id).already
    second = store.create("svc", "auditor")  # the name is free once its token is revoked
    assert store.revoke("svc").info.token_id == second.info.token_id
    assert store.authenticate(first.token) is None and store.authenticate(second.token) is None
    with pytest.raises(TokenNotFound, match="no token has the name 'nobody'"):
        store.revoke("nobody")
    with pytest.raises(TokenNotFound, match="no token has the id 'tok_0000000000000000'"):
        store.revoke("tok_0000000000000000")


def test_unknown_malformed_and_altered_tokens_fail(engine: Engine) -> None:
    store = TokenStore(engine)
    made = store.create("ops", "ops")
    flipped = made.token[:-1] + ("A" if made.token[-1] != "A" else "B")
    for presented in (
        "",
        "agt_",
        made.token[4:],  # without its prefix
        flipped,
        made.token + "x",
        " " + made.token,
        f"Bearer {made.token}",
        TOKEN_PREFIX + "x" * 10_000,
        digest(made.token),  # the stored digest is not a token
        "agt_'; DROP TABLE api_token; --",
    ):
        assert store.authenticate(presented) is None, presented
    assert store.authenticate(made.token) is not None


def test_the_clear_token_is_never_stored(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    engine = make_engine(f"sqlite:///{path}")
    store = TokenStore(engine)
    tokens = [store.create(f"t{i}", role).token for i, role in enumerate(ROLES)]
    for token in tokens:
        assert store.authenticate(token) is not None
    store.revoke("t0")
    engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("audit.db"))
    for token in tokens:
        assert token.encode() not in raw
        assert token[len(TOKEN_PREFIX) :].encode() not in raw  # nor its random part alone
        assert digest(token).encode() in raw


def test_the_clear_token_is_never_stored_on_postgres(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    store = TokenStore(engine)
    made = store.create("ops", "ops")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT to_jsonb(t)::text FROM api_token t")).scalars().all()
    engine.dispose()
    assert len(rows) == 1 and made.token not in rows[0] and made.token[4:] not in rows[0]
    assert digest(made.token) in rows[0]


@pytest.mark.parametrize(
    "name",
    [
        "",
        " ",
        "x" * (MAX_NAME + 1),
        "a\x1bb",
        "a b",
        "line\nbreak",
        "\u202eevil",
        "[bold]x",
        "-flag",
        "tok_1234",
        "é",
    ],
)
def test_bad_names_are_refused(engine: Engine, name: str) -> None:
    store = TokenStore(engine)
    with pytest.raises(TokenError):
        store.create(name, "ops")
    assert store.list_tokens() == []


@pytest.mark.parametrize("role", ["", "root", "Admin", "ops ", "manage_tokens"])
def test_unknown_roles_are_refused_at_creation(engine: Engine, role: str) -> None:
    store = TokenStore(engine)
    with pytest.raises(TokenError, match="unknown role"):
        store.create("svc", role)
    assert store.list_tokens() == []


def test_a_name_has_one_active_token(engine: Engine) -> None:
    store = TokenStore(engine)
    store.create("svc", "ops")
    with pytest.raises(TokenError, match="already named 'svc'"):
        store.create("svc", "reviewer")
    assert [(t.name, t.role) for t in store.list_tokens()] == [("svc", "ops")]


def test_concurrent_creation_of_one_name_yields_one_token(database_url: str) -> None:
    # Each thread has its own engine and connection, as separate processes would.
    TokenStore(make_engine(database_url)).engine.dispose()  # migrated before the race
    barrier = threading.Barrier(4)
    made: list[str] = []
    refused: list[str] = []

    def create() -> None:
        engine = make_engine(database_url)
        store = TokenStore(engine)
        barrier.wait()
        try:
            made.append(store.create("racer", "ops").token)
        except TokenError as exc:
            refused.append(str(exc))
        finally:
            engine.dispose()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and len(refused) == 3, (made, refused)
    assert all("already named 'racer'" in said for said in refused)
    engine = make_engine(database_url)
    store = TokenStore(engine)
    assert [t.name for t in store.list_tokens()] == ["racer"]
    assert store.authenticate(made[0]) is not None
    engine.dispose()


def test_last_use_is_recorded_at_most_once_a_minute(engine: Engine) -> None:
    clock = Clock()
    store = TokenStore(engine, clock=clock)
    made = store.create("ops", "ops")
    writes: list[str] = []
    event.listen(
        engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_: (
            writes.append(statement) if statement.lstrip().upper().startswith("UPDATE") else None
        ),
    )
    assert store.authenticate(made.token) is not None
    first = clock.now
    assert store.list_tokens()[0].last_used_at == first and len(writes) == 1

    clock.now += timedelta(seconds=59)
    for _ in range(20):
        assert store.authenticate(made.token) is not None
    assert store.list_tokens()[0].last_used_at == first and len(writes) == 1  # throttled: no write at all

    clock.now += timedelta(seconds=2)
    assert store.authenticate(made.token) is not None
    assert store.list_tokens()[0].last_used_at == clock.now and len(writes) == 2


def test_a_failed_authentication_records_no_use(engine: Engine) -> None:
    store = TokenStore(engine)
    made = store.create("ops", "ops")
    store.revoke("ops")
    assert store.authenticate(made.token) is None
    assert store.list_tokens()[0].last_used_at is None


EXPECTED = {
    ("ops", "submit"), ("ops", "read"),
    ("reviewer", "read"), ("reviewer", "review"),
    ("auditor", "read"), ("auditor", "verify"), ("auditor", "export"),
    ("admin", "manage_tokens"), ("admin", "manage_holds"),
}  # fmt: skip
"""The issue's table: every (role, action) allowed; every other pair is refused."""


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_the_permission_table(role: str, action: str) -> None:
    assert allowed(role, action) is ((role, action) in EXPECTED)


def test_the_issue_rules_hold() -> None:
    assert not allowed("ops", "review")
    assert not allowed("reviewer", "submit")
    assert not any(allowed("auditor", a) for a in ("submit", "review", "manage_tokens"))
    assert [r for r in ROLES if allowed(r, "manage_tokens")] == ["admin"]
    assert set(PERMISSIONS) == set(ROLES)
    assert all(actions <= set(ACTIONS) for actions in PERMISSIONS.values())


@pytest.mark.parametrize(
    ("role", "action"), [("root", "read"), ("", "read"), ("ops", "delete"), ("ops", ""), ("OPS", "read")]
)
def test_unknown_roles_and_actions_are_never_allowed(role: str, action: str) -> None:
    assert allowed(role, action) is False


def test_identity_of_a_token_id_ends_when_the_token_is_revoked(engine: Engine) -> None:
    store = TokenStore(engine)
    made = store.create("console-user", "reviewer")
    who = store.identity_of(made.info.token_id)
    assert who is not None and (who.name, who.role) == ("console-user", "reviewer")
    for bogus in ("", "tok_", "tok_zzzzzzzzzzzzzzzz", made.token, "tok_0000000000000000"):
        assert store.identity_of(bogus) is None
    store.revoke(made.info.token_id)
    assert store.identity_of(made.info.token_id) is None
