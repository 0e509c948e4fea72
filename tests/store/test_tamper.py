"""Direct database edits an attacker with write access would make (issue 11, finding 1):
every one is reported by `auditgraph trace verify --all`, which exits 1 and never prints a
traceback; a clean database verifies with exit 0."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor, open_store
from auditgraph.store.chain import step_hash
from auditgraph.store.headlog import entry_hash, seal
from auditgraph.store.records import ReviewRecord, RunRecord, TraceStep
from auditgraph.store.roles import Login, create_roles
from auditgraph.store.signing import Signer
from tests.conftest import POSTGRES, PostgresRoles, load_case, migrate_as_owner
from tests.services import postgres_unreachable

Ids = dict[str, str]


def _build(url: str, key: Path) -> Ids:
    """Four runs: rejected, approved, escalated and reviewed, escalated and awaiting review."""
    settings = Settings(database_url=url, signing_key_file=key, screen_embedder="none")
    with open_auditor(settings) as auditor:
        ids = {
            "rejected": auditor.audit(load_case("counterfeit_watch_replica")).run_id,
            "approved": auditor.audit(load_case("kitchen_knife_set")).run_id,
            "reviewed": auditor.audit(load_case("ip_report_needs_specialist")).run_id,
            "awaiting": auditor.audit(load_case("missing_image")).run_id,
        }
        auditor.review(
            ids["reviewed"],
            {
                "reviewer": "ann",
                "decision": "reject",
                "reason": "Fake.",
                "clause_ids": ["CIP-1"],
                "reviewer_role": "reviewer",
                "review_digest": auditor.review_digest(ids["reviewed"]),
            },
        )
    return ids


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Ids]:
    folder = tmp_path_factory.mktemp("tamper")
    key = folder / "signing-key.pem"
    Signer(key, create=True).key_id  # noqa: B018 - creates the key
    ids = _build(f"sqlite:///{folder / 'audit.db'}", key)
    return folder / "audit.db", key, ids


class Db:
    """A database to tamper with, and `trace verify --all` on it."""

    def __init__(self, url: str, key: Path, ids: Ids, *, attacker_url: str | None = None) -> None:
        """`url` is the app's; the attacker's edits and reads go through `attacker_url`
        (on PostgreSQL a superuser: the runtime role cannot make them at all)."""
        self.url, self.key, self.ids = url, key, ids
        self.store = open_store(Settings(database_url=attacker_url or url, signing_key_file=key))

    def sql(self, statement: str, **params: Any) -> None:
        with self.store.engine.begin() as conn:
            if self.store.engine.dialect.name == "postgresql":
                conn.execute(
                    text("SET LOCAL session_replication_role = replica")
                )  # an owner's way past triggers
            conn.execute(text(statement), {**self.ids, **params})

    def cli(self, *args: str) -> Any:
        env = {"AUDITGRAPH_DATABASE_URL": self.url, "AUDITGRAPH_SIGNING_KEY_FILE": str(self.key)}
        return CliRunner().invoke(app, list(args), env=env)

    def verify(self, *extra: str) -> Any:
        result = self.cli("trace", "verify", "--all", *extra)
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result


@pytest.fixture
def db(template: tuple[Path, Path, Ids], tmp_path: Path) -> Db:
    path, key, ids = template
    shutil.copy(path, tmp_path / "audit.db")
    return Db(f"sqlite:///{tmp_path / 'audit.db'}", key, ids)


def _rechain(conn: Connection, run_id: str, edit: Callable[[list[TraceStep]], list[TraceStep]]) -> str:
    """Rewrite a run's trace with `edit` and recompute every hash and the head, as an attacker
    with the project's own hash function would."""
    rows = conn.execute(
        text("SELECT * FROM trace_step WHERE run_id = :r ORDER BY seq"), {"r": run_id}
    ).mappings()
    steps = [
        TraceStep.model_validate(
            {
                k: (json.loads(v) if k in ("input", "output") and isinstance(v, str) else v)
                for k, v in r.items()
            }
        )
        for r in rows
    ]
    conn.execute(text("DELETE FROM trace_step WHERE run_id = :r"), {"r": run_id})
    prev = ""
    for seq, step in enumerate(edit(steps), start=1):
        step = step.model_copy(update={"seq": seq, "prev_hash": prev})
        step = step.model_copy(update={"hash": step_hash(prev, step)})
        prev = step.hash
        row = step.model_dump()
        for field in ("input", "output"):
            row[field] = json.dumps(row[field]) if row[field] is not None else None
        conn.execute(
            text(f"INSERT INTO trace_step ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"), row
        )
    conn.execute(text("UPDATE run SET head_hash = :h WHERE run_id = :r"), {"h": prev, "r": run_id})
    return prev


def _forge(db: Db, run_id: str, edit: Callable[[list[TraceStep]], list[TraceStep]], *after: str) -> None:
    with db.store.engine.begin() as conn:
        if db.store.engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        _rechain(conn, run_id, edit)
        for statement in after:
            conn.execute(text(statement), db.ids)


def _forged_decision(db: Db) -> None:
    def edit(steps: list[TraceStep]) -> list[TraceStep]:
        out = []
        for s in steps:
            if s.node == "finalize" and s.kind == "node" and s.output:
                record = {**s.output["record"], "decision": "approve"}
                s = s.model_copy(update={"output": {**s.output, "record": record, "decision": "approve"}})
            out.append(s)
        return out

    _forge(
        db,
        db.ids["rejected"],
        edit,
        "UPDATE decision SET decision = 'approve' WHERE run_id = :rejected",
        "UPDATE run SET decision = 'approve' WHERE run_id = :rejected",
    )


def _forged_override(db: Db) -> None:
    run_id = db.ids["rejected"]
    review = {
        "review_id": "rev_forged",
        "run_id": run_id,
        "escalation_id": "esc_forged",
        "reviewer": "mallory",
        "decision": "approve",
        "reason": "Fine.",
        "clause_ids": [],
        "agent_decision": "reject",
        "overrode_agent": True,
        "created_at": "2026-12-01T06:00:00+00:00",
    }

    def edit(steps: list[TraceStep]) -> list[TraceStep]:
        last = steps[-1]
        return [
            *steps,
            TraceStep(
                run_id=run_id,
                case_id=last.case_id,
                node="await_review",
                kind="interrupt",
                agent="reviewer",
                output=review,
            ),
        ]

    _forge(
        db,
        run_id,
        edit,
        "INSERT INTO review (review_id, run_id, escalation_id, reviewer, decision, reason, clause_ids, "
        "agent_decision, overrode_agent, created_at) VALUES ('rev_forged', :rejected, 'esc_forged', 'mallory', "
        "'approve', 'Fine.', '[]', 'reject', true, '2026-12-01 06:00:00')",
    )


def _forged_erasure(db: Db) -> None:
    run_id = db.ids["rejected"]

    def edit(steps: list[TraceStep]) -> list[TraceStep]:
        last = steps[-1]
        return [
            *steps,
            TraceStep(
                run_id=run_id,
                case_id=last.case_id,
                node="erase",
                kind="erasure",
                input={"requested_by": "mallory", "reason": "cover-up"},
                output={"steps": {}},
            ),
        ]

    _forge(db, run_id, edit, "UPDATE run SET case_json = NULL WHERE run_id = :rejected")


def _truncate(db: Db, head: str | None, status: str | None = None) -> None:
    run_id = db.ids["rejected"]
    with db.store.engine.begin() as conn:
        if db.store.engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        n = conn.execute(
            text("SELECT max(seq) FROM trace_step WHERE run_id = :r"), {"r": run_id}
        ).scalar_one()
        conn.execute(text("DELETE FROM trace_step WHERE run_id = :r AND seq > :n"), {"r": run_id, "n": n - 2})
        new_head = conn.execute(
            text("SELECT hash FROM trace_step WHERE run_id = :r AND seq = :n"), {"r": run_id, "n": n - 2}
        ).scalar_one()
        conn.execute(
            text("UPDATE run SET head_hash = :h WHERE run_id = :r"),
            {"h": new_head if head == "fixed" else None, "r": run_id},
        )
        if status:
            conn.execute(text("UPDATE run SET status = :s WHERE run_id = :r"), {"s": status, "r": run_id})


def _forged_log_entry(db: Db, signer: Signer | None) -> None:
    """Re-chain a forged decision, then append a log entry for it (unsigned, or signed by the attacker's key)."""
    _forged_decision(db)
    run_id = db.ids["rejected"]
    row, escalation, records = db.store.sealed_rows(run_id)
    last = db.store.log_entries()[-1]
    n = len(db.store.steps(run_id))
    entry = {
        "seq": last["seq"] + 1,
        "run_id": run_id,
        "status": row["status"],
        "steps": n,
        "head_hash": row["head_hash"],
        "seal": seal(row, escalation, records),
        "prev_entry_hash": last["entry_hash"],
        "key_id": signer.key_id if signer else None,
        "created_at": "2026-12-01 06:10:00",
    }
    from datetime import datetime

    entry["created_at"] = datetime.fromisoformat("2026-12-01T06:10:00+00:00")
    entry["entry_hash"] = entry_hash(entry)
    entry["signature"] = signer.sign(entry["entry_hash"].encode()) if signer else None
    with db.store.engine.begin() as conn:
        conn.execute(
            text(f"INSERT INTO run_log ({', '.join(entry)}) VALUES ({', '.join(':' + k for k in entry)})"),
            entry,
        )


def _pending_review_edited(db: Db) -> None:
    """A review recorded whose process died before applying it; then its decision is changed,
    so that `recover` would apply the forged one."""
    run_id = db.ids["awaiting"]
    escalation = db.store.escalation(run_id)
    assert escalation is not None
    db.store.record_review(
        ReviewRecord(
            run_id=run_id,
            escalation_id=escalation.escalation_id,
            reviewer="ann",
            decision="reject",
            reason="Not as described.",
            agent_decision="escalate",
            overrode_agent=False,
        )
    )
    db.sql("UPDATE review SET decision = 'approve' WHERE run_id = :awaiting")


def _crashed(db: Db) -> str:
    """A run whose process died right after it started (its start record and log entry)."""
    case = load_case("kitchen_knife_set")
    run = RunRecord(
        run_id="run_crashed",
        case_id=case["case_id"],
        case_kind=case["kind"],
        agent="rules",
        agent_version="x",
        policy_version="2026.12.1",
    )
    db.store.start_run(run, case)
    db.ids["crashed"] = run.run_id
    return run.run_id


# (name, what to do, words verify must print). Every one of finding 1, and more.
SCENARIOS: list[tuple[str, Callable[[Db], None], str]] = [
    (
        "run decision approve on a rejected run",
        lambda d: d.sql("UPDATE run SET decision = 'approve' WHERE run_id = :rejected"),
        "decision",
    ),
    (
        "run status changed",
        lambda d: d.sql("UPDATE run SET status = 'failed' WHERE run_id = :approved"),
        "altered",
    ),
    (
        "agent version changed",
        lambda d: d.sql("UPDATE run SET agent_version = 'x' WHERE run_id = :approved"),
        "changed after log entry",
    ),
    (
        "policy version changed",
        lambda d: d.sql("UPDATE run SET policy_version = 'x' WHERE run_id = :approved"),
        "changed after log entry",
    ),
    (
        "start time changed",
        lambda d: d.sql("UPDATE run SET started = '2020-01-01 00:00:00' WHERE run_id = :approved"),
        "changed after log entry",
    ),
    (
        "end time changed",
        lambda d: d.sql("UPDATE run SET ended = '2020-01-01 00:00:00' WHERE run_id = :approved"),
        "changed after log entry",
    ),
    (
        "stored case edited",
        lambda d: d.sql("UPDATE run SET case_json = '{}' WHERE run_id = :approved"),
        "changed after log entry",
    ),
    (
        "run error changed",
        lambda d: d.sql("UPDATE run SET error = 'x' WHERE run_id = :approved"),
        "changed after log entry",
    ),
    (
        "whole run deleted",
        lambda d: [
            d.sql(f"DELETE FROM {t} WHERE run_id = :rejected")
            for t in ("run", "trace_step", "decision", "escalation", "review")
        ],
        "the run was deleted",
    ),
    (
        "whole run and its log entries deleted",
        lambda d: [
            d.sql(f"DELETE FROM {t} WHERE run_id = :rejected")
            for t in ("run", "trace_step", "decision", "escalation", "review", "run_log")
        ],
        "log entries were deleted",
    ),
    (
        "only the run row deleted",
        lambda d: d.sql("DELETE FROM run WHERE run_id = :rejected"),
        "run row is missing",
    ),
    (
        "escalation deleted",
        lambda d: d.sql("DELETE FROM escalation WHERE run_id = :awaiting"),
        "not in the escalation table",
    ),
    (
        "escalation of a reviewed run deleted",
        lambda d: d.sql("DELETE FROM escalation WHERE run_id = :reviewed"),
        "not in the escalation table",
    ),
    (
        "escalation queue changed",
        lambda d: d.sql("UPDATE escalation SET queue = 'fraud' WHERE run_id = :awaiting"),
        "escalation queue",
    ),
    (
        "escalation priority changed",
        lambda d: d.sql("UPDATE escalation SET priority = 5 - priority WHERE run_id = :awaiting"),
        "escalation priority",
    ),
    (
        "escalation risk changed",
        lambda d: d.sql("UPDATE escalation SET risk = 0.01 WHERE run_id = :awaiting"),
        "escalation",
    ),
    (
        "escalation reasons changed",
        lambda d: d.sql("UPDATE escalation SET reasons = '[\"x\"]' WHERE run_id = :awaiting"),
        "escalation reasons",
    ),
    (
        "escalation resolved without review",
        lambda d: d.sql("UPDATE escalation SET status = 'resolved' WHERE run_id = :awaiting"),
        "escalation status",
    ),
    (
        "escalation inserted",
        lambda d: d.sql(
            "INSERT INTO escalation (escalation_id, run_id, case_id, queue, priority, reasons, areas, agent_decision, status, opened_at) VALUES ('esc_x', :rejected, 'c', 'general', 1, '[]', '[]', 'approve', 'open', '2026-12-01 06:00:00')"
        ),
        "never opened",
    ),
    ("chain truncated, head fixed", lambda d: _truncate(d, "fixed"), "steps were deleted"),
    ("chain truncated, head NULL", lambda d: _truncate(d, None), "steps were deleted"),
    ("chain truncated, status running", lambda d: _truncate(d, "fixed", "running"), "steps were deleted"),
    (
        "status set back to running",
        lambda d: d.sql("UPDATE run SET status = 'running', head_hash = NULL WHERE run_id = :rejected"),
        "running",
    ),
    ("re-chained forged decision", _forged_decision, "changed after log entry"),
    ("forged override on a run that never escalated", _forged_override, "no escalation"),
    ("forged erasure record", _forged_erasure, "changed after log entry"),
    ("forged decision with an unsigned log entry", lambda d: _forged_log_entry(d, None), "not signed"),
    (
        "forged decision signed by another key",
        lambda d: _forged_log_entry(d, Signer(d.key.parent / "mallory.pem", create=True)),
        "not trusted",
    ),
    (
        "log entry edited",
        lambda d: d.sql("UPDATE run_log SET head_hash = 'x' WHERE seq = 1"),
        "does not match its hash",
    ),
    ("log entry deleted", lambda d: d.sql("DELETE FROM run_log WHERE seq = 2"), "log entries were deleted"),
    (
        "review decision changed",
        lambda d: d.sql("UPDATE review SET decision = 'approve' WHERE run_id = :reviewed"),
        "review",
    ),
    (
        "reviewer role changed",
        lambda d: d.sql("UPDATE review SET reviewer_role = 'admin' WHERE run_id = :reviewed"),
        "review",
    ),
    (
        "reviewer role removed",
        lambda d: d.sql("UPDATE review SET reviewer_role = NULL WHERE run_id = :reviewed"),
        "review",
    ),
    (
        "review digest changed",
        lambda d: d.sql(f"UPDATE review SET review_digest = '{'0' * 64}' WHERE run_id = :reviewed"),
        "review",
    ),
    (
        "review digest removed",
        lambda d: d.sql("UPDATE review SET review_digest = NULL WHERE run_id = :reviewed"),
        "review",
    ),
    (
        "review inserted on a run that never escalated",
        lambda d: d.sql(
            "INSERT INTO review (review_id, run_id, escalation_id, reviewer, decision, reason, clause_ids, agent_decision, overrode_agent, created_at) VALUES ('rev_x', :approved, 'esc_x', 'm', 'reject', 'r', '[]', 'approve', true, '2026-12-01 06:00:00')"
        ),
        "inserted or deleted",
    ),
    (
        "decision record deleted",
        lambda d: d.sql("DELETE FROM decision WHERE run_id = :rejected"),
        "decision record",
    ),
    (
        "step content edited",
        lambda d: d.sql("UPDATE trace_step SET node = 'edited' WHERE run_id = :rejected AND seq = 2"),
        "step seq 2",
    ),
    ("review edited before it was applied", _pending_review_edited, "decisions or reviews"),
    (
        "crashed run's stored case edited",
        lambda d: [_crashed(d), d.sql("UPDATE run SET case_json = '{}' WHERE run_id = :crashed")],
        "the case was edited",
    ),
    (
        "crashed run's policy version edited",
        lambda d: [_crashed(d), d.sql("UPDATE run SET policy_version = 'x' WHERE run_id = :crashed")],
        "the run row was altered",
    ),
]
MALFORMED: list[tuple[str, str, str]] = [
    (
        "invalid JSON in a step",
        "UPDATE trace_step SET output = '{not json' WHERE run_id = :rejected AND seq = 3",
        "not valid JSON",
    ),
    (
        "bad timestamp in a step",
        "UPDATE trace_step SET started = 'yesterday' WHERE run_id = :rejected AND seq = 3",
        "timestamp",
    ),
    (
        "bad timestamp in the run",
        "UPDATE run SET started = 'yesterday' WHERE run_id = :rejected",
        "timestamp",
    ),
    ("unknown status", "UPDATE run SET status = 'bogus' WHERE run_id = :rejected", "bogus"),
    ("unknown decision", "UPDATE run SET decision = 'bogus' WHERE run_id = :rejected", "bogus"),
    (
        "unknown decision in a decision record",
        "UPDATE decision SET decision = 'bogus' WHERE run_id = :rejected",
        "bogus",
    ),
]


def test_a_clean_database_verifies(db: Db) -> None:
    result = db.verify()
    assert result.exit_code == 0, result.output
    assert "4 of 4 run(s) verify" in result.output


@pytest.mark.parametrize(("name", "tamper", "words"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_tampering_is_reported(db: Db, name: str, tamper: Callable[[Db], None], words: str) -> None:
    tamper(db)
    result = db.verify()
    assert result.exit_code == 1, result.output
    assert "TAMPERED" in result.output and words in result.output, result.output


@pytest.mark.parametrize(("name", "statement", "words"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_rows_are_problems_not_crashes(db: Db, name: str, statement: str, words: str) -> None:
    db.sql(statement)
    result = db.verify()
    assert result.exit_code == 1, result.output
    assert words in result.output, result.output
    # every other run is still checked
    assert sum(line.startswith("ok ") for line in result.output.splitlines()) >= 3, result.output


def test_verify_needs_only_the_public_key(db: Db, tmp_path: Path) -> None:
    public = tmp_path / "public.pem"
    from auditgraph.store.signing import public_pem

    public.write_bytes(public_pem(Signer(db.key).public))
    env = {"AUDITGRAPH_DATABASE_URL": db.url, "AUDITGRAPH_SIGNING_KEY_FILE": str(tmp_path / "absent.pem")}
    ok = CliRunner().invoke(app, ["trace", "verify", "--all", "--public-key", str(public)], env=env)
    assert ok.exit_code == 0, ok.output
    other = tmp_path / "other.pem"
    other.write_bytes(public_pem(Signer(tmp_path / "k2.pem", create=True).public))
    rotated = CliRunner().invoke(app, ["trace", "verify", "--all", "--public-key", str(other)], env=env)
    assert rotated.exit_code == 1 and "not trusted" in rotated.output


def test_an_export_shows_what_was_removed_later(db: Db, tmp_path: Path) -> None:
    exported = tmp_path / "log.jsonl"
    assert db.cli("log", "export", "--out", str(exported)).exit_code == 0
    assert db.cli("log", "verify", str(exported)).exit_code == 0
    # the attacker drops the newest entry and every record of its run: the log's chain still links
    last = db.store.log_entries()[-1]
    for table in ("run", "trace_step", "decision", "escalation", "review", "run_log"):
        db.sql(f"DELETE FROM {table} WHERE run_id = :r", r=last["run_id"])
    checked = db.cli("log", "verify", str(exported))
    assert checked.exit_code == 1 and "missing from the database" in checked.output
    against = db.verify("--against", str(exported))
    assert against.exit_code == 1 and "missing from the database" in against.output


def _pg_url(role: str, database: str) -> str:
    return f"postgresql+psycopg://{role}@127.0.0.1:5432/{database}?options=-csearch_path%3D{PG_SCHEMA}"


PG_SCHEMA = "audit"


class PgTemplate(NamedTuple):
    """A PostgreSQL database set up as a deployment is (a migration role owns the schema,
    the app runs as a runtime role) holding the four runs; copied for each scenario."""

    database: str
    migration: str
    runtime: str
    key: Path
    ids: Ids


@pytest.fixture(scope="module")
def pg_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgTemplate]:
    suffix = uuid.uuid4().hex[:8]
    database, migration, runtime = f"ag_tamper_{suffix}", f"ag_tmig_{suffix}", f"ag_trt_{suffix}"
    server = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {database}"))
    except OperationalError as exc:
        server.dispose()
        postgres_unreachable(exc)
    try:
        admin = create_engine(_pg_url("postgres", database))
        create_roles(admin, migration=Login(migration), runtime=Login(runtime), schema=PG_SCHEMA)
        admin.dispose()
        migrate_as_owner(
            PostgresRoles(
                _pg_url("postgres", database),
                _pg_url(migration, database),
                _pg_url(runtime, database),
                PG_SCHEMA,
            )
        )
        key = tmp_path_factory.mktemp("pg-tamper") / "signing-key.pem"
        Signer(key, create=True).key_id  # noqa: B018 - creates the key
        ids = _build(_pg_url(runtime, database), key)
        yield PgTemplate(database, migration, runtime, key, ids)
    finally:
        with server.connect() as conn:
            copies = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{database}%"}
            ).scalars()
            for name in list(copies):
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"DROP ROLE IF EXISTS {runtime}, {migration}"))
        server.dispose()


@pytest.fixture
def pg_db(pg_template: PgTemplate) -> Iterator[Db]:
    """A copy of the template database (CREATE DATABASE ... TEMPLATE: a file copy)."""
    copy = f"{pg_template.database}_{uuid.uuid4().hex[:6]}"
    server = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {copy} TEMPLATE {pg_template.database}"))
    db = Db(
        _pg_url(pg_template.runtime, copy),
        pg_template.key,
        dict(pg_template.ids),
        attacker_url=_pg_url("postgres", copy),
    )
    try:
        yield db
    finally:
        db.store.engine.dispose()
        with server.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)"))
        server.dispose()


@pytest.mark.parametrize(("name", "tamper", "words"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_tampering_is_reported_on_postgres(
    pg_db: Db, name: str, tamper: Callable[[Db], None], words: str
) -> None:
    """Every scenario on PostgreSQL, the app on its runtime role, the attacker a superuser."""
    assert pg_db.verify().exit_code == 0
    tamper(pg_db)
    result = pg_db.verify()
    assert result.exit_code == 1, result.output
    assert "TAMPERED" in result.output and words in result.output, result.output


# PostgreSQL's column types refuse invalid JSON and bad timestamps outright.
PG_MALFORMED = [m for m in MALFORMED if m[0].startswith("unknown")]


@pytest.mark.parametrize(("name", "statement", "words"), PG_MALFORMED, ids=[m[0] for m in PG_MALFORMED])
def test_malformed_rows_are_problems_not_crashes_on_postgres(
    pg_db: Db, name: str, statement: str, words: str
) -> None:
    pg_db.sql(statement)
    result = pg_db.verify()
    assert result.exit_code == 1, result.output
    assert words in result.output, result.output


def test_an_edited_export_is_caught_by_its_own_signatures(db: Db, tmp_path: Path) -> None:
    exported = tmp_path / "log.jsonl"
    assert db.cli("log", "export", "--out", str(exported)).exit_code == 0
    lines = exported.read_text().splitlines()
    entry = json.loads(lines[1])
    entry["status"] = "completed" if entry["status"] != "completed" else "failed"
    lines[1] = json.dumps(entry)
    exported.write_text("\n".join(lines) + "\n")
    checked = db.cli("log", "verify", str(exported))
    assert checked.exit_code == 1, checked.output
    assert "does not match its hash" in checked.output and "Traceback" not in checked.output


def test_two_exports_are_compared_without_the_database(db: Db, tmp_path: Path) -> None:
    older, newer = tmp_path / "older.jsonl", tmp_path / "newer.jsonl"
    assert db.cli("log", "export", "--out", str(older)).exit_code == 0
    _crashed(db)  # one more run: one more entry
    assert db.cli("log", "export", "--out", str(newer)).exit_code == 0
    same = db.cli("log", "verify", str(older), "--against", str(newer))
    assert same.exit_code == 0, same.output
    # the newer export was taken from a log rewritten since: its second entry differs
    lines = newer.read_text().splitlines()
    lines[1] = older.read_text().splitlines()[2]
    newer.write_text("\n".join(lines) + "\n")
    rewritten = db.cli("log", "verify", str(older), "--against", str(newer))
    assert rewritten.exit_code == 1 and "differs between the exports" in rewritten.output, rewritten.output
    shorter = tmp_path / "shorter.jsonl"
    shorter.write_text("\n".join(older.read_text().splitlines()[:3]) + "\n")
    cut = db.cli("log", "verify", str(older), "--against", str(shorter))
    assert cut.exit_code == 1 and "entries were removed" in cut.output, cut.output
