"""Hostile command-line arguments: every command refuses bad ids, names and reasons with one
line (exit 2), or does exactly what was asked; no traceback, no partial write."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor, open_store, open_tokens
from auditgraph.store.chain import verify_run
from tests.conftest import load_case

runner = CliRunner()
FIXTURE_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
HOSTILE = [
    "",
    " ",
    "'; DROP TABLE run; --",
    "[/]",
    "[bold red]x",
    "line one\nline two",
    "\x1b[31mred",
    "../../etc/passwd",
    "x" * 100_000,
    "\u202eevil",
    "\x00",
]
text_args = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=200))


@pytest.fixture
def escalated(settings: Settings) -> Iterator[str]:
    """A database with one run awaiting review; yields its id."""
    with open_auditor(settings) as auditor:
        outcome = auditor.audit(load_case("ip_report_needs_specialist"))
    assert outcome.status == "awaiting_review"
    yield outcome.run_id


def _snapshot(settings: Settings) -> list[tuple[str, str, int]]:
    store = open_store(settings)
    return [(r.run_id, r.status, len(store.steps(r.run_id))) for r in store.list_runs(limit=1000)]


def _check(result: object, *, allowed: tuple[int, ...] = (0, 1, 2)) -> None:
    exc = result.exception  # type: ignore[attr-defined]
    assert exc is None or isinstance(exc, SystemExit), repr(exc)
    assert result.exit_code in allowed, result.output  # type: ignore[attr-defined]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]
    output = result.output.strip()  # type: ignore[attr-defined]
    if result.exit_code == 2 and not output.startswith("Usage:"):  # type: ignore[attr-defined]
        # Ours: one line (a usage error is the command-line library's own short box).
        assert len(output.splitlines()) == 1, output


@hsettings(max_examples=30, deadline=None, suppress_health_check=FIXTURE_OK)
@given(run_id=text_args)
@example(run_id="'; DROP TABLE run; --")
def test_run_ids_in_trace_and_verify_are_refused_or_found(
    settings: Settings, escalated: str, run_id: str
) -> None:
    before = _snapshot(settings)
    for command in (["trace", run_id], ["trace", "verify", run_id], ["trace", run_id, "--json"]):
        result = runner.invoke(app, command)
        _check(result)
        if run_id != escalated and run_id != "verify":
            assert result.exit_code in (1, 2), (command, result.output)
    assert _snapshot(settings) == before


@hsettings(max_examples=15, deadline=None, suppress_health_check=FIXTURE_OK)
@given(run_id=text_args)
def test_run_ids_in_recover_are_refused(settings: Settings, escalated: str, run_id: str) -> None:
    before = _snapshot(settings)
    _check(runner.invoke(app, ["recover", run_id]), allowed=(2,))
    assert _snapshot(settings) == before


@hsettings(max_examples=25, deadline=None, suppress_health_check=FIXTURE_OK)
@given(reviewer=text_args, reason=text_args, clause=text_args)
@example(reviewer="ann", reason="Serial unknown; call 555-014-2377 [/]", clause="CIP-1")
@example(reviewer="ann", reason="x" * 100_000, clause="CIP-1")
@example(reviewer="[/]", reason="ok", clause="'; DROP TABLE review; --")
def test_review_arguments_are_refused_or_recorded_whole(
    settings: Settings, escalated: str, reviewer: str, reason: str, clause: str
) -> None:
    store = open_store(settings)
    reviews_before = len(store.reviews(escalated))
    result = runner.invoke(
        app,
        ["review", escalated, "--decision", "reject", "--reviewer", reviewer, "--reason", reason,
         "--clause", clause],
    )  # fmt: skip
    _check(result, allowed=(0, 2))
    run = store.get_run(escalated)
    if result.exit_code == 0:
        assert run.status == "completed" and len(store.reviews(escalated)) == reviews_before + 1
        check = verify_run(run, store.steps(escalated), store.decisions(escalated), store.reviews(escalated))
        assert check.ok, check.problems
    else:
        assert len(store.reviews(escalated)) == reviews_before
        assert run.status in ("awaiting_review", "completed")


@hsettings(max_examples=20, deadline=None, suppress_health_check=FIXTURE_OK)
@given(seller=text_args, reason=text_args, by=text_args)
def test_erase_arguments_are_refused_or_applied(
    settings: Settings, escalated: str, seller: str, reason: str, by: str
) -> None:
    result = runner.invoke(app, ["erase", seller, "--reason", reason, "--by", by, "--dry-run"])
    _check(result, allowed=(0, 1, 2))


@hsettings(max_examples=20, deadline=None, suppress_health_check=FIXTURE_OK)
@given(name=text_args)
def test_queue_and_status_filters_are_refused_or_listed(settings: Settings, name: str) -> None:
    _check(runner.invoke(app, ["queue", "--queue", name]))
    _check(runner.invoke(app, ["runs", "--status", name]))


@hsettings(max_examples=40, deadline=None, suppress_health_check=FIXTURE_OK)
@given(name=text_args, role=st.one_of(st.sampled_from(["ops", "reviewer", "auditor", "admin"]), text_args))
@example(name="[bold red]x", role="ops")
@example(name="ops-ingest", role="[/]")
def test_token_names_and_roles_are_refused_or_created_whole(settings: Settings, name: str, role: str) -> None:
    tokens = open_tokens(settings)
    before = tokens.list_tokens()
    result = runner.invoke(app, ["tokens", "create", "--name", name, "--role", role])
    _check(result, allowed=(0, 2))
    after = tokens.list_tokens()
    if result.exit_code == 0:
        [made] = [t for t in after if t not in before]
        assert (made.name, made.role) == (name, role)
        assert tokens.authenticate(result.stdout.strip()) is not None
        tokens.revoke(made.token_id)  # the name is free for the next example
    else:
        assert after == before
    _check(runner.invoke(app, ["tokens", "revoke", name]), allowed=(0, 2))
