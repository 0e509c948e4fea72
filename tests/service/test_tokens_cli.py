"""`auditgraph tokens`: the token printed once and never again, lists without secrets, and
every bad input refused with one line, exit 2, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_tokens
from auditgraph.store.tokens import MAX_NAME, digest

runner = CliRunner()


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def _one_line_error(result: object, code: int = 2) -> str:
    assert result.exit_code == code, result.output  # type: ignore[attr-defined]
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)  # type: ignore[attr-defined]
    said = result.stderr.strip()  # type: ignore[attr-defined]
    assert "Traceback" not in result.output and len(said.splitlines()) == 1, said  # type: ignore[attr-defined]
    assert said.startswith("error: ") and result.stdout == "", result.output  # type: ignore[attr-defined]
    return said


def test_create_prints_the_token_once_and_it_works(settings: Settings) -> None:
    made = _invoke("tokens", "create", "--name", "ops-ingest", "--role", "ops")
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert made.stdout == token + "\n" and token.startswith("agt_")  # the token alone on stdout
    assert "not shown again" in made.stderr and token not in made.stderr
    who = open_tokens(settings).authenticate(token)
    assert who is not None and (who.name, who.role) == ("ops-ingest", "ops")

    for listed in (_invoke("tokens", "list"), _invoke("tokens", "list", "--json")):
        assert listed.exit_code == 0, listed.output
        assert token not in listed.output and token[4:] not in listed.output
        assert digest(token) not in listed.output
    body = json.loads(_invoke("tokens", "list", "--json").stdout)
    assert [(t["name"], t["role"], t["active"], t["hint"]) for t in body] == [
        ("ops-ingest", "ops", True, token[:10])
    ]
    assert body[0]["last_used_at"] is not None and body[0]["revoked_at"] is None
    assert set(body[0]) == {
        "token_id",
        "name",
        "role",
        "hint",
        "created_at",
        "last_used_at",
        "revoked_at",
        "active",
    }


def test_revoke_by_name_or_id_is_idempotent(settings: Settings) -> None:
    token = _invoke("tokens", "create", "--name", "svc", "--role", "auditor").stdout.strip()
    [listed] = json.loads(_invoke("tokens", "list", "--json").stdout)
    done = _invoke("tokens", "revoke", "svc")
    assert done.exit_code == 0 and " revoked at " in done.stdout, done.output
    again = _invoke("tokens", "revoke", listed["token_id"])
    assert again.exit_code == 0 and "was already revoked" in again.stdout, again.output
    assert open_tokens(settings).authenticate(token) is None
    assert json.loads(_invoke("tokens", "list", "--json", "--active").stdout) == []
    assert "svc" in _invoke("tokens", "list").stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--name", "", "--role", "ops"], "cannot be empty"),
        (["--name", "x" * (MAX_NAME + 1), "--role", "ops"], f"at most {MAX_NAME} characters"),
        (["--name", "x" * 100_000, "--role", "ops"], f"at most {MAX_NAME} characters"),
        (["--name", "a\x1b[31mred", "--role", "ops"], "may hold only"),
        (["--name", "[bold red]x", "--role", "ops"], "'[bold red]x' may hold only"),
        (["--name", "two\nlines", "--role", "ops"], "may hold only"),
        (["--name", "\u202eevil", "--role", "ops"], "may hold only"),
        (["--name", "\x00", "--role", "ops"], "may hold only"),
        (["--name", "tok_0123456789abcdef", "--role", "ops"], "looks like a token id"),
        (
            ["--name", "svc", "--role", "root"],
            "unknown role 'root': use one of ops, reviewer, auditor, admin",
        ),
        (["--name", "svc", "--role", "[red]admin"], "unknown role"),
        (["--name", "svc", "--role", ""], "unknown role"),
    ],
)
def test_bad_input_is_refused_in_one_line(settings: Settings, args: list[str], words: str) -> None:
    said = _one_line_error(_invoke("tokens", "create", *args))
    assert words in said, said
    assert "\x1b" not in said and "\u202e" not in said  # made visible, never sent to the terminal
    assert open_tokens(settings).list_tokens() == []


def test_a_duplicate_active_name_is_refused_in_one_line(settings: Settings) -> None:
    assert _invoke("tokens", "create", "--name", "svc", "--role", "ops").exit_code == 0
    said = _one_line_error(_invoke("tokens", "create", "--name", "svc", "--role", "admin"))
    assert "already named 'svc'" in said
    assert [t.role for t in open_tokens(settings).list_tokens()] == ["ops"]


@pytest.mark.parametrize("target", ["nobody", "tok_0000000000000000", "", "\x1b[31m", "x" * 10_000])
def test_revoking_an_unknown_token_is_refused_in_one_line(settings: Settings, target: str) -> None:
    said = _one_line_error(_invoke("tokens", "revoke", target))
    assert "no token has the" in said and "\x1b" not in said


def test_list_with_no_tokens_says_how_to_make_one(settings: Settings) -> None:
    listed = _invoke("tokens", "list")
    assert listed.exit_code == 0 and "tokens create" in listed.stdout
    assert json.loads(_invoke("tokens", "list", "--json").stdout) == []


def test_two_processes_creating_one_name_make_one_token(settings: Settings, tmp_path: Path) -> None:
    open_tokens(settings).engine.dispose()  # migrated first: the race is over the name only
    command = [
        sys.executable,
        "-m",
        "auditgraph.service.cli",
        "tokens",
        "create",
        "--name",
        "racer",
        "--role",
        "ops",
    ]
    procs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    [(_, _, refusal)] = [r for r in results if r[0] == 2]
    assert refusal.count("\n") == 1 and "already named 'racer'" in refusal, refusal
    [(_, token, _)] = [r for r in results if r[0] == 0]
    assert open_tokens(settings).authenticate(token.strip()) is not None
    assert len(open_tokens(settings).list_tokens()) == 1


def test_tokens_on_postgres_as_the_runtime_role(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITGRAPH_DATABASE_URL", postgres_url)
    made = _invoke("tokens", "create", "--name", "ann", "--role", "reviewer")
    assert made.exit_code == 0, made.output
    _one_line_error(_invoke("tokens", "create", "--name", "ann", "--role", "reviewer"))
    assert _invoke("tokens", "revoke", "ann").exit_code == 0
    [listed] = json.loads(_invoke("tokens", "list", "--json").stdout)
    assert listed["name"] == "ann" and not listed["active"]
