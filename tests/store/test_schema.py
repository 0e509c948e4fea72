"""The schema is Alembic's: new databases reach the newest revision, databases from before
migrations are adopted or refused by name, and the migrations match the table models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, event, inspect, text
from sqlmodel import SQLModel

from auditgraph.store import SqlAuditStore, StoreError, make_engine, tables
from auditgraph.store.records import EscalationRecord
from auditgraph.store.schema import _config, current_revision, head_revision, upgrade
from tests.conftest import PostgresRoles

_OURS = {t.__tablename__ for t in tables.ALL}  # type: ignore[attr-defined]


def _diffs(engine: object) -> list[object]:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        context = MigrationContext.configure(
            conn,
            opts={"include_object": lambda _o, name, type_, *_: type_ != "table" or name in _OURS},
        )
        return compare_metadata(context, SQLModel.metadata)


def test_a_new_database_reaches_the_newest_revision(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    assert current_revision(engine) is None
    SqlAuditStore(engine)
    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) >= _OURS


def test_the_migrations_create_exactly_the_table_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    upgrade(engine)
    assert _diffs(engine) == []


def test_the_migrations_match_the_models_on_postgres(postgres_roles: PostgresRoles) -> None:
    engine = make_engine(postgres_roles.migration)
    upgrade(engine)
    assert _diffs(engine) == []
    with engine.connect() as conn:
        triggers = conn.execute(
            text("SELECT DISTINCT event_object_table FROM information_schema.triggers "
                 "WHERE trigger_name LIKE '%append_only'")
        ).scalars()  # fmt: skip
        assert set(triggers) == {"trace_step", "decision", "review", "run_log", "submission"}
        guarded = conn.execute(
            text("SELECT DISTINCT event_object_table FROM information_schema.triggers "
                 "WHERE trigger_name LIKE '%guard'")
        ).scalars()  # fmt: skip
        assert set(guarded) == {"run", "escalation", "api_token"}
    engine.dispose()


def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    upgrade(engine)
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
        config.attributes.pop("connection")
    assert not _OURS & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def _migrate(engine: Engine, revision: str) -> None:
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        config.attributes.pop("connection")


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database: a SQLite file, or a private schema of the local PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'a.db'}"
    return request.getfixturevalue("postgres_roles").migration


def test_a_new_database_has_the_seller_table_at_the_newest_revision(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    SqlAuditStore(engine)
    assert current_revision(engine) == head_revision() == "0013"
    assert "seller" in inspect(engine).get_table_names()


def test_a_database_from_before_the_seller_revision_gets_the_table_on_open(url: str) -> None:
    engine = make_engine(url)
    _migrate(engine, "0001")
    assert "seller" not in inspect(engine).get_table_names()
    SqlAuditStore(engine)
    assert current_revision(engine) == head_revision()
    assert "seller" in inspect(engine).get_table_names()
    assert _diffs(engine) == []
    engine.dispose()


def test_a_seller_table_an_earlier_backend_created_is_kept_with_its_rows(url: str) -> None:
    engine = make_engine(url)
    _migrate(engine, "0001")
    with engine.begin() as conn:  # what the backend's create_all did before revision 0002
        tables.SellerRow.__table__.create(conn)  # type: ignore[attr-defined]
        conn.execute(text("INSERT INTO seller (seller_id, record) VALUES ('S1', '{\"strikes\": 2}')"))
    SqlAuditStore(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT seller_id FROM seller")).scalars().all() == ["S1"]
    engine.dispose()


def test_a_database_from_before_migrations_is_adopted(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    SQLModel.metadata.create_all(engine, tables=[t.__table__ for t in tables.ALL])  # type: ignore[attr-defined]
    store = SqlAuditStore(engine)
    assert current_revision(engine) == head_revision()
    assert store.list_runs() == []


def test_a_database_older_than_the_first_revision_is_refused_by_name(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE run (run_id TEXT PRIMARY KEY, case_json JSON)"))
        conn.execute(text("CREATE TABLE trace_step (id TEXT PRIMARY KEY, seq INTEGER)"))
    with pytest.raises(StoreError, match=r"lacks trace_step\.hash, trace_step\.prev_hash, run\.head_hash"):
        SqlAuditStore(engine)


def test_opening_an_up_to_date_database_only_reads_its_revision(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    upgrade(engine)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    upgrade(engine)
    assert len(statements) <= 2 and all("alembic_version" in s for s in statements)
    assert not [s for s in statements if s.lstrip().upper().startswith(("CREATE", "ALTER", "INSERT"))]


def test_a_database_migrated_by_a_newer_build_is_refused_by_name(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9f9f9f9f9f9f'"))
    with pytest.raises(StoreError, match=r"revision '9f9f9f9f9f9f', which this auditgraph does not know"):
        SqlAuditStore(engine)


def test_the_command_refuses_an_unknown_revision_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from auditgraph.service.cli.app import app

    url = f"sqlite:///{tmp_path / 'a.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9f9f9f9f9f9f'"))
    monkeypatch.setenv("AUDITGRAPH_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["runs"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "does not know" in result.output, result.output


def test_a_database_from_before_the_risk_revision_keeps_its_escalations_and_ranks_new_ones(url: str) -> None:
    engine = make_engine(url)
    _migrate(engine, "0002")
    assert "risk" not in {c["name"] for c in inspect(engine).get_columns("escalation")}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO escalation (escalation_id, run_id, case_id, queue, priority, reasons, areas,"
                " agent_decision, status, opened_at) VALUES ('esc_old', 'run_old', 'c-old', 'general', 3,"
                " '[\"unknown_seller\"]', '[]', 'approve', 'open', '2026-11-30 10:00:00')"
            )
        )
    store = SqlAuditStore(engine)
    assert current_revision(engine) == head_revision()
    assert _diffs(engine) == []
    for run_id, risk in (("run_low", 0.2), ("run_high", 0.9)):
        store.open_escalation(
            EscalationRecord(
                run_id=run_id, case_id=run_id, queue="general", priority=3, reasons=["screen_risk"],
                agent_decision="escalate", risk=risk,
            )
        )  # fmt: skip
    ranked = [e.run_id for e in store.open_escalations(queue="general")]
    # Same priority: the riskiest first, an escalation from before risk was recorded last.
    assert ranked == ["run_high", "run_low", "run_old"]


@pytest.mark.parametrize("created_before", [False, True])
def test_a_database_at_0006_gets_the_token_table_and_its_guard(url: str, created_before: bool) -> None:
    engine = make_engine(url)
    _migrate(engine, "0006")
    if created_before:  # adopted: the table already made from the models
        with engine.begin() as conn:
            tables.ApiTokenRow.__table__.create(conn)  # type: ignore[attr-defined]
    SqlAuditStore(engine)
    assert current_revision(engine) == head_revision()
    assert "api_token" in inspect(engine).get_table_names()
    assert _diffs(engine) == []
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            guards = conn.execute(
                text(
                    "SELECT trigger_name FROM information_schema.triggers WHERE event_object_table = 'api_token'"
                )
            ).scalars()
            assert set(guards) == {"api_token_guard"}
    engine.dispose()


def test_a_database_at_0007_gets_the_submission_table_and_keeps_its_reviews(url: str) -> None:
    engine = make_engine(url)
    _migrate(engine, "0007")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO review (review_id, run_id, escalation_id, reviewer, decision, reason, clause_ids, "
                "agent_decision, overrode_agent, created_at) VALUES ('rev_1', 'run_1', 'esc_1', 'ann', 'reject', "
                "'Fake.', '[]', 'escalate', false, '2026-12-01 06:00:00+00')"
            )
        )
    store = SqlAuditStore(engine)
    assert current_revision(engine) == head_revision()
    assert "submission" in inspect(engine).get_table_names()
    assert _diffs(engine) == []
    (review,) = store.reviews("run_1")
    assert (review.reviewer, review.reviewer_role, review.review_digest) == ("ann", None, None)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            guards = conn.execute(
                text(
                    "SELECT trigger_name FROM information_schema.triggers WHERE event_object_table = 'submission'"
                )
            ).scalars()
            assert set(guards) == {"submission_append_only"}
    engine.dispose()
