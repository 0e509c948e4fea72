"""On PostgreSQL the app runs as a runtime role that cannot rewrite or remove the audit
record: no DELETE, TRUNCATE or DDL, no UPDATE of content or keys, no way past the
triggers; trace content changes only through `auditgraph_erase`, which puts the erasure
in the chain. Every refusal here is the database's, not the app's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor, open_store, trusted_keys
from auditgraph.store.integrity import LOG, verify_store
from auditgraph.store.records import TraceStep
from auditgraph.store.schema import _config, current_revision, head_revision
from auditgraph.store.signing import Signer
from auditgraph.store.sql import ERASE_CALL
from auditgraph.store.tokens import TokenStore, digest
from auditgraph.workflows.erasure import erase_seller
from tests.conftest import PostgresRoles, load_case, migrate_as_owner

TABLES = (
    "run",
    "trace_step",
    "decision",
    "review",
    "escalation",
    "run_log",
    "seller",
    "api_token",
    "submission",
    "escalation_lease",
)
APPEND_ONLY = ("trace_step", "decision", "review", "run_log", "submission")
SELLER = "S00010"  # off_platform_whatsapp's seller


class Audited:
    """A migrated schema with two audits in it (one escalated and reviewed, one whose
    seller can be erased), the app's engine (runtime role) and the roles' URLs."""

    def __init__(self, roles: PostgresRoles, settings: Settings, runs: dict[str, str]) -> None:
        self.roles, self.settings, self.runs = roles, settings, runs
        self.engine: Engine = create_engine(roles.runtime)

    def refused(self, statement: str, *, first: str | None = None, **params: Any) -> str:
        """Run `statement` as the runtime role and return the database's refusal."""
        with pytest.raises(DBAPIError) as caught, self.engine.begin() as conn:
            if first:
                conn.execute(text(first))
            conn.execute(text(statement), {**self.runs, **params})
        return str(caught.value.orig)


@pytest.fixture
def audited(postgres_url: str, postgres_roles: PostgresRoles, tmp_path: Any) -> Iterator[Audited]:
    key = tmp_path / "signing-key.pem"
    Signer(key, create=True).key_id  # noqa: B018 - creates the key
    settings = Settings(database_url=postgres_url, signing_key_file=key, screen_embedder="none")
    with open_auditor(settings) as auditor:
        runs = {
            "reviewed": auditor.audit(load_case("ip_report_needs_specialist")).run_id,
            "erasable": auditor.audit(load_case("off_platform_whatsapp")).run_id,
        }
        auditor.review(
            runs["reviewed"],
            {"reviewer": "ann", "decision": "reject", "reason": "Fake.", "clause_ids": ["CIP-1"]},
        )
        runs["step"] = auditor.store.steps(runs["erasable"])[1].id
    built = Audited(postgres_roles, settings, runs)
    yield built
    built.engine.dispose()


@pytest.mark.parametrize("table", TABLES)
def test_the_runtime_role_cannot_truncate(audited: Audited, table: str) -> None:
    assert "permission denied" in audited.refused(f"TRUNCATE {table}")


@pytest.mark.parametrize("table", (*APPEND_ONLY, "run", "escalation", "seller", "api_token"))
def test_the_runtime_role_cannot_delete(audited: Audited, table: str) -> None:
    assert "permission denied" in audited.refused(f"DELETE FROM {table}")


@pytest.mark.parametrize("first", [None, "SET LOCAL auditgraph.erasure = 'on'"])
def test_the_runtime_role_cannot_rewrite_step_content(audited: Audited, first: str | None) -> None:
    for column in ("input", "output"):
        said = audited.refused(f"UPDATE trace_step SET {column} = '{{}}' WHERE id = :step", first=first)
        assert "permission denied" in said
    assert "permission denied" in audited.refused("UPDATE trace_step SET error = 'x'", first=first)


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE trace_step DISABLE TRIGGER trace_step_append_only",
        "ALTER TABLE run DISABLE TRIGGER ALL",
        "DROP TRIGGER trace_step_append_only ON trace_step",
        "DROP TRIGGER run_guard ON run",
        "DROP TABLE trace_step",
        "DROP TABLE run_log",
        "CREATE OR REPLACE FUNCTION auditgraph_append_only() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ "
        "LANGUAGE plpgsql",
        "DROP FUNCTION auditgraph_erase(text, jsonb, jsonb, jsonb)",
        "CREATE TABLE shadow (id int)",
        "SET session_replication_role = replica",
    ],
)
def test_the_runtime_role_cannot_change_the_schema_or_skip_triggers(audited: Audited, statement: str) -> None:
    said = audited.refused(statement)
    assert "permission denied" in said or "must be owner" in said, said


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE run SET case_json = '{}' WHERE run_id = :erasable",
        "UPDATE run SET run_id = 'run_other' WHERE run_id = :erasable",
        "UPDATE run SET started = now() WHERE run_id = :erasable",
        "UPDATE escalation SET queue = 'general'",
        "UPDATE escalation SET run_id = 'run_other'",
        "UPDATE run_log SET signature = NULL",
        "UPDATE seller SET record = '{}'",
        "UPDATE submission SET run_id = 'run_other'",
    ],
)
def test_the_runtime_role_may_update_only_the_columns_it_needs(audited: Audited, statement: str) -> None:
    assert "permission denied" in audited.refused(statement)


def test_a_resolved_escalation_cannot_be_reopened(audited: Audited) -> None:
    # The runtime role may set the status (to claim an escalation); the trigger allows
    # only open -> resolved.
    said = audited.refused("UPDATE escalation SET status = 'open' WHERE run_id = :reviewed")
    assert "only goes from open to resolved" in said


def test_the_runtime_role_can_still_append_to_the_log(audited: Audited) -> None:
    # Forged entries are caught by their signatures (`trace verify`), not by privileges.
    with audited.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO run_log (seq, run_id, status, steps, head_hash, seal, prev_entry_hash, entry_hash,"
                " created_at) VALUES (10000, 'run_x', 'completed', 0, '', '', '', 'forged', now())"
            )
        )
    store = open_store(audited.settings)
    [log] = [c for c in verify_store(store, trusted=trusted_keys(audited.settings)) if c.run_id == LOG]
    assert not log.ok


def test_erasure_through_the_function_works_and_stays_in_the_chain(audited: Audited) -> None:
    run_id = audited.runs["erasable"]
    with open_auditor(audited.settings) as auditor:
        report = erase_seller(
            auditor.store, auditor.graph.checkpointer, SELLER, reason="DSR-9", requested_by="privacy-office"
        )
        assert [r.outcome for r in report.runs] == ["erased"]
        steps = auditor.store.steps(run_id)
    assert steps[-1].kind == "erasure" and steps[-1].input["requested_by"] == "privacy-office"
    checks = verify_store(open_store(audited.settings), trusted=trusted_keys(audited.settings))
    assert all(c.ok for c in checks), [c.problems for c in checks if not c.ok]
    env = {
        "AUDITGRAPH_DATABASE_URL": audited.roles.runtime,
        "AUDITGRAPH_SIGNING_KEY_FILE": str(audited.settings.signing_key_file),
    }
    verified = CliRunner().invoke(app, ["trace", "verify", "--all"], env=env)
    assert verified.exit_code == 0, verified.output


def _call(audited: Audited, record: dict | None, contents: dict | None = None) -> str:
    with pytest.raises(DBAPIError) as caught, audited.engine.begin() as conn:
        conn.execute(
            text(ERASE_CALL.replace(":contents", "CAST(:contents AS jsonb)").replace(":case", "NULL").replace(
                ":record", "CAST(:record AS jsonb)"
            )),
            {
                "run_id": audited.runs["erasable"],
                "contents": json.dumps(contents or {}),
                "record": None if record is None else json.dumps(record),
            },
        )  # fmt: skip
    return str(caught.value.orig)


def test_the_function_refuses_an_erasure_without_its_record(audited: Audited) -> None:
    run_id = audited.runs["erasable"]
    step = audited.runs["step"]
    assert "needs its erasure record" in _call(audited, None, {step: {"input": None}})
    head = open_store(audited.settings).get_run(run_id).head_hash
    record = TraceStep(
        run_id=run_id, case_id="c", seq=999, node="erase", kind="erasure", prev_hash=head or "", hash="h",
        output={"steps": {}},
    ).model_dump(mode="json")  # fmt: skip
    # The record must name every step it changes, and follow the run's head.
    assert "not named by the erasure record" in _call(audited, record, {step: {"input": None}})
    assert "must follow its head" in _call(audited, {**record, "prev_hash": "elsewhere"})
    assert "hashed erasure step" in _call(audited, {**record, "kind": "node"})
    with audited.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM trace_step WHERE kind = 'erasure'")).scalar() == 0


def test_only_the_runtime_role_may_call_the_function(audited: Audited) -> None:
    with audited.engine.connect() as conn:
        acl = conn.execute(
            text("SELECT proacl::text[] FROM pg_proc WHERE oid = 'auditgraph_erase(text,jsonb,jsonb,jsonb)'::regprocedure")
        ).scalar_one()  # fmt: skip
    assert not any(entry.startswith("=") for entry in acl), acl  # no grant to PUBLIC
    runtime = audited.roles.runtime.split("//")[1].split("@")[0]
    assert any(entry.startswith(f"{runtime}=X/") for entry in acl), acl


def test_the_runtime_role_may_change_and_remove_leases(audited: Audited) -> None:
    # Leases are operational data, not the audit record (revision 0009).
    with audited.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO escalation_lease (escalation_id, run_id, holder, holder_token_id, state,"
                " leased_until, note, updated_at) VALUES ('esc_x', 'run_x', 'ann', 'tok_1', 'leased', now(),"
                " NULL, now())"
            )
        )
        conn.execute(
            text("UPDATE escalation_lease SET state = 'held', note = 'n' WHERE escalation_id = 'esc_x'")
        )
        assert conn.execute(text("DELETE FROM escalation_lease")).rowcount == 1


def test_the_check_passes_for_the_runtime_role_and_flags_the_owner(audited: Audited) -> None:
    env = {"AUDITGRAPH_DATABASE_URL": audited.roles.runtime}
    fine = CliRunner().invoke(app, ["db", "check"], env=env)
    assert fine.exit_code == 0, fine.output
    assert "current" in fine.output and "only the runtime rights" in fine.output
    owner = CliRunner().invoke(app, ["db", "check"], env={"AUDITGRAPH_DATABASE_URL": audited.roles.migration})
    assert owner.exit_code == 1 and "owns" in owner.output and "may create objects" in owner.output, (
        owner.output
    )


def test_a_runtime_role_on_a_new_schema_is_told_to_migrate(postgres_roles: PostgresRoles) -> None:
    result = CliRunner().invoke(app, ["runs"], env={"AUDITGRAPH_DATABASE_URL": postgres_roles.runtime})
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.count("\n") == 1 and "run `auditgraph db migrate`" in result.output, result.output
    assert current_revision(create_engine(postgres_roles.admin)) is None


def test_a_runtime_role_on_a_schema_behind_is_told_to_migrate(postgres_roles: PostgresRoles) -> None:
    from alembic import command

    engine = create_engine(postgres_roles.migration)
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
        config.attributes.pop("connection")
    result = CliRunner().invoke(app, ["runs"], env={"AUDITGRAPH_DATABASE_URL": postgres_roles.runtime})
    assert result.exit_code == 1 and "run `auditgraph db migrate`" in result.output, result.output
    assert result.output.count("\n") == 1
    assert current_revision(engine) == "0005"
    engine.dispose()


def test_a_database_at_0005_owned_by_the_old_app_role_is_taken_over(postgres_roles: PostgresRoles) -> None:
    """The upgrade path: tables created by the app's own role (here the superuser) before
    the roles existed; create-roles hands them to the migration role, migrate reaches the
    newest revision, and the runtime role then has exactly its rights."""
    from alembic import command

    admin = create_engine(postgres_roles.admin)
    config = _config()
    with admin.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")
        config.attributes.pop("connection")
    env = {
        "AUDITGRAPH_DATABASE_URL": postgres_roles.runtime,
        "AUDITGRAPH_MIGRATION_DATABASE_URL": postgres_roles.migration,
    }
    again = CliRunner().invoke(
        app,
        ["db", "create-roles", "--admin-url", postgres_roles.admin, "--schema", postgres_roles.schema],
        env=env,
    )
    assert again.exit_code == 0, again.output
    migrate_as_owner(postgres_roles)
    assert current_revision(admin) == head_revision()
    with admin.connect() as conn:
        owners = set(
            conn.execute(
                text("SELECT tableowner FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
        )
    assert owners == {postgres_roles.migration.split("//")[1].split("@")[0]}
    checked = CliRunner().invoke(app, ["db", "check"], env=env)
    assert checked.exit_code == 0, checked.output
    admin.dispose()


@pytest.mark.parametrize(
    ("args", "env", "words", "code"),
    [
        (["db", "migrate"], {}, "set AUDITGRAPH_MIGRATION_DATABASE_URL", 2),
        (["db", "check"], {"AUDITGRAPH_DATABASE_URL": "sqlite:///audit.db"}, "roles exist only there", 2),
        (
            ["db", "migrate"],
            {"AUDITGRAPH_MIGRATION_DATABASE_URL": "postgresql+psycopg://owner@127.0.0.1:1/test"},
            "cannot use the database",
            1,
        ),
        (
            ["db", "create-roles", "--admin-url", "postgresql+psycopg://postgres@127.0.0.1/test"],
            {"AUDITGRAPH_MIGRATION_DATABASE_URL": "postgresql+psycopg://same@127.0.0.1/test"},
            "both use role 'same'",
            2,
        ),
    ],
)
def test_the_db_commands_fail_in_one_line(
    args: list[str], env: dict[str, str], words: str, code: int, tmp_path: Any
) -> None:
    env = {"AUDITGRAPH_DATABASE_URL": "postgresql+psycopg://same@127.0.0.1:1/test", **env}
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and result.output.count("\n") == 1, result.output
    assert words in result.output, result.output


class Tokened(NamedTuple):
    """A migrated schema with two tokens (one revoked), and the roles' URLs."""

    roles: PostgresRoles
    active: str
    """The active token's id."""
    revoked: str
    """The revoked token's id."""


@pytest.fixture
def tokened(postgres_url: str, postgres_roles: PostgresRoles) -> Iterator[Tokened]:
    engine = create_engine(postgres_url)
    store = TokenStore(engine)
    active = store.create("ops", "ops").info.token_id
    revoked = store.create("old", "auditor").info.token_id
    store.revoke(revoked)
    engine.dispose()
    yield Tokened(postgres_roles, active, revoked)


def _refused_as(url: str, statement: str, **params: Any) -> str:
    engine = create_engine(url)
    try:
        with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
            conn.execute(text(statement), params)
    finally:
        engine.dispose()
    return str(caught.value.orig)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE api_token SET token_digest = :digest WHERE token_id = :active",
        "UPDATE api_token SET role = 'admin' WHERE token_id = :active",
        "UPDATE api_token SET name = 'someone' WHERE token_id = :active",
        "UPDATE api_token SET hint = 'agt_x' WHERE token_id = :active",
        "UPDATE api_token SET created_at = now() WHERE token_id = :active",
        "UPDATE api_token SET token_id = 'tok_other' WHERE token_id = :active",
        "DELETE FROM api_token WHERE token_id = :revoked",
    ],
)
def test_the_runtime_role_cannot_delete_or_rewrite_a_token(tokened: Tokened, statement: str) -> None:
    said = _refused_as(
        tokened.roles.runtime,
        statement,
        digest=digest("agt_mine"),
        active=tokened.active,
        revoked=tokened.revoked,
    )
    assert "permission denied" in said, said


@pytest.mark.parametrize("role", ["runtime", "migration"])
def test_no_role_can_unrevoke_or_delete_a_token(tokened: Tokened, role: str) -> None:
    url = getattr(tokened.roles, role)
    said = _refused_as(
        url, "UPDATE api_token SET revoked_at = NULL WHERE token_id = :revoked", revoked=tokened.revoked
    )
    assert "revoked once, for good" in said, said
    if role == "migration":  # the owner has the privileges; the guard still refuses
        said = _refused_as(url, "DELETE FROM api_token WHERE token_id = :active", active=tokened.active)
        assert "on api_token is refused" in said, said
        said = _refused_as(
            url, "UPDATE api_token SET role = 'admin' WHERE token_id = :active", active=tokened.active
        )
        assert "on api_token is refused" in said, said


def test_the_runtime_role_may_record_use_and_revoke(tokened: Tokened) -> None:
    engine = create_engine(tokened.roles.runtime)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE api_token SET last_used_at = now() WHERE token_id = :t"), {"t": tokened.active}
        )
        conn.execute(
            text("UPDATE api_token SET revoked_at = now() WHERE token_id = :t"), {"t": tokened.active}
        )
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM api_token WHERE revoked_at IS NULL")).scalar() == 0
    engine.dispose()
