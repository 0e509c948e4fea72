"""Stored and user-supplied strings are printed as text, never as markup, by every command.

A seller's image reference becomes part of an escalation reason; a reviewer's name and
reason are recorded; all of them reach `run`, `queue`, `trace`, `runs` and `review`. None
may crash the output (rich markup), colour or rewrite the terminal (escape sequences,
bidi controls), or vanish: each is shown literally, control characters as escapes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from auditgraph.service.cli.common import visible
from auditgraph.service.settings import Settings
from auditgraph.tools.personal_data import mask_text
from tests.conftest import load_case

runner = CliRunner()
FIXTURE_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
HOSTILE = [
    "[/]",
    "[bold]",
    "[/bold]",
    "[link=x]",
    "[link=https://evil.example]click[/link]",
    "[red",
    "\\[/]",
    "x\\",
    "[on red]",
    ":smile:",
    "{task.description}",
    "\x1b[31m",
    "\x1b]8;;https://evil.example\x07link\x1b]8;;\x07",
    "\u202eevil",
    "a\u200bb",
    "\u2066x\u2069",
    "tab\there",
    "\x7f\x9b",
]


def _squash(text: str) -> str:
    # Tables fold long cells over lines and draw borders; compare without them.
    return re.sub(r"[\s│┃]", "", text)


def _ok(result: Any, shown: list[str], code: int = 0) -> None:
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit), repr(exc)
    assert "Traceback" not in result.output
    assert "MarkupError" not in result.output
    assert result.exit_code == code, result.output
    assert "\x1b" not in result.output, "an escape sequence reached the terminal"
    for s in shown:
        assert _squash(visible(s)) in _squash(result.output), (s, result.output)


def _escalate(tmp_path: Path, hostile: list[str]) -> tuple[str, list[str]]:
    """Audit a case whose image references carry `hostile`; its run id and the references."""
    case = load_case("kitchen_knife_set")
    refs = [f"https://x.io/{i}{h}.png" for i, h in enumerate(hostile)]
    case["listing"]["images"] = refs
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    result = runner.invoke(app, ["run", str(path)])
    # Shown as recorded: as text, and with anything that reads as personal data masked.
    refs = [mask_text(r) for r in refs]
    _ok(result, refs)
    found = re.search(r"run\s+(\S+)\s+\(awaiting_review\)", result.output)
    assert found, result.output
    return found.group(1), refs


def _every_command(tmp_path: Path, hostile: list[str], *, table_text: bool = True) -> None:
    run_id, refs = _escalate(tmp_path, hostile)
    # A table folds a long cell between its neighbours' lines; the named strings are short
    # enough to be read back from the queue table, generated ones are read from the trace.
    _ok(runner.invoke(app, ["queue"]), refs if table_text else [])
    _ok(runner.invoke(app, ["trace", run_id]), refs)
    _ok(runner.invoke(app, ["runs"]), [run_id])
    # The review command strips the ends of a name and a reason.
    reviewer, reason = (
        f"ann {' '.join(hostile)}"[:100].strip(),
        f"checked {' | '.join(hostile)} by hand".strip(),
    )
    review = runner.invoke(
        app, ["review", run_id, "--decision", "approve", "--reason", reason, "--reviewer", reviewer]
    )
    _ok(review, [reviewer])
    _ok(runner.invoke(app, ["trace", run_id]), [reviewer, mask_text(reason)])
    _ok(runner.invoke(app, ["runs"]), [run_id])
    _ok(runner.invoke(app, ["queue"]), [])
    _ok(runner.invoke(app, ["trace", "verify", run_id]), [run_id])


CHUNKS = [HOSTILE[i : i + 12] for i in range(0, len(HOSTILE), 12)]


@pytest.mark.parametrize("hostile", CHUNKS, ids=[f"chunk{i}" for i in range(len(CHUNKS))])
def test_hostile_strings_are_shown_literally_by_every_command(
    settings: Settings, tmp_path: Path, hostile: list[str]
) -> None:
    _every_command(tmp_path, hostile)


_markup_like = st.text(
    st.sampled_from([*"[]/\\=:{}#@ ab", "\x1b", "\u202e", "\u200b", "\x07", "\x9b", "\r"]),
    min_size=1,
    max_size=24,
).filter(lambda s: s.strip() and not s.strip().startswith("/"))


@hsettings(
    max_examples=3, deadline=None, suppress_health_check=FIXTURE_OK, phases=[Phase.explicit, Phase.generate]
)
@given(hostile=st.lists(_markup_like, min_size=1, max_size=4))
@example(hostile=[" =# \x9b@"])  # an image address the trace masks: the queue row must match it
def test_any_markup_like_strings_are_shown_literally(
    settings: Settings, tmp_path: Path, hostile: list[str]
) -> None:
    _every_command(tmp_path, hostile, table_text=False)


def test_a_hostile_error_message_is_one_literal_line(settings: Settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["trace", "[/]\x1b[31m"])
    _ok(result, ["no run '[/]"], code=2)
    assert len(result.output.strip().splitlines()) == 1


def test_a_hostile_eval_suite_name_is_shown_literally(settings: Settings, tmp_path: Path) -> None:
    suite = tmp_path / "[bold]{task}[red.jsonl"
    suite.write_text("")
    result = runner.invoke(app, ["eval", "run", "--suite", str(suite), "--out", str(tmp_path / "out")])
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit), repr(exc)
    assert "Traceback" not in result.output and "MarkupError" not in result.output
