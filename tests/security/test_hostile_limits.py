"""Hostile input the schema and the case reader refuse with one line and exit 2, before
anything is stored: huge JSON integers, NUL characters, text that shows nothing."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_store
from auditgraph.tools.case import CaseError, parse_case
from tests.conftest import load_case

runner = CliRunner()
KINDS = ["kitchen_knife_set", "appeal_authorized_reseller", "ip_report_counterfeit"]
INVISIBLE = [
    "\u200b\u3000\u200b",  # zero-width and ideographic spaces
    "\ufeff\u2060\u200c\u200d",  # BOM, word joiner, zero-width (non-)joiner
    "\u3000 \t\u00a0\u2003",  # spaces of every width
    "\u202e\u2066\u2069",  # bidi controls
    "\u0301\u0301",  # combining marks with nothing to combine with
]


def _text_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every free-text leaf of a case (ids, codes, enums and dates have their own patterns)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _text_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _text_paths(item, (*prefix, index))
    elif (
        isinstance(value, str)
        and prefix[-1] not in {"kind", "currency", "price", "received_at", "decided_at", "source", "decision"}
        and not str(prefix[-1]).endswith("id")
        and prefix[-2:-1] != ("clause_ids",)
    ):
        yield prefix


def _set(case: dict[str, Any], path: tuple[Any, ...], value: str) -> dict[str, Any]:
    changed = copy.deepcopy(case)
    target: Any = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


CASES = {name: load_case(name) for name in KINDS}
TEXT_FIELDS = [(name, path) for name, case in CASES.items() for path in _text_paths(case)]


def test_the_text_fields_cover_every_kind() -> None:
    fields = {".".join(map(str, p)) for _, p in TEXT_FIELDS}
    for expected in ("listing.title", "listing.description", "appeal_text", "report_text", "signal.reason"):
        assert expected in fields


@pytest.mark.parametrize(
    ("name", "path"), TEXT_FIELDS, ids=lambda v: ".".join(map(str, v)) if isinstance(v, tuple) else v
)
def test_nul_in_any_text_field_is_refused_at_the_schema(name: str, path: tuple[Any, ...]) -> None:
    with pytest.raises(CaseError, match="contains a NUL character"):
        parse_case(_set(CASES[name], path, "fine text\x00with a NUL"))


@pytest.mark.parametrize(
    ("name", "path"), TEXT_FIELDS, ids=lambda v: ".".join(map(str, v)) if isinstance(v, tuple) else v
)
@pytest.mark.parametrize("blank", INVISIBLE, ids=range(len(INVISIBLE)))
def test_text_that_shows_nothing_is_refused_like_empty_text(
    name: str, path: tuple[Any, ...], blank: str
) -> None:
    with pytest.raises(CaseError, match="is empty; it must have text"):
        parse_case(_set(CASES[name], path, blank))


def test_visible_text_with_invisible_characters_is_still_accepted() -> None:
    case = _set(CASES["kitchen_knife_set"], ("listing", "description"), "\u200bKnife\u3000set\u200d")
    assert parse_case(case).listing.description


def _refused(settings: Settings, result: Any, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert message in lines[0]
    assert open_store(settings).list_runs() == [], "a refused case left a run behind"


@pytest.mark.parametrize("digits", [4301, 5000, 100_000])
@pytest.mark.parametrize("source", ["file", "stdin"])
def test_a_huge_json_integer_is_refused_with_one_line(
    settings: Settings, tmp_path: Path, digits: int, source: str
) -> None:
    text = json.dumps(CASES["kitchen_knife_set"])[:-1] + ', "count": ' + "7" * digits + "}"
    if source == "file":
        path = tmp_path / "case.json"
        path.write_text(text)
        result = runner.invoke(app, ["run", str(path)])
    else:
        result = runner.invoke(app, ["run", "-"], input=text)
    _refused(settings, result, "more than 4,300 digits")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", "\u200b\u3000\u200b\u3000", "listing.description is empty"),
        ("description", "a NUL \x00 here", "listing.description contains a NUL character"),
        ("title", "\x00", "listing.title contains a NUL character"),
    ],
)
def test_cli_refuses_nul_and_invisible_text_before_storing(
    settings: Settings, tmp_path: Path, field: str, value: str, message: str
) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(_set(CASES["kitchen_knife_set"], ("listing", field), value)))
    _refused(settings, runner.invoke(app, ["run", str(path)]), message)


def test_nul_is_refused_before_postgresql_sees_it(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AUDITGRAPH_DATABASE_URL", postgres_url)
    path = tmp_path / "case.json"
    path.write_text(json.dumps(_set(CASES["kitchen_knife_set"], ("listing", "description"), "x\x00y")))
    _refused(Settings(), runner.invoke(app, ["run", str(path)]), "contains a NUL character")
