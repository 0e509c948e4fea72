"""Hostile input: every bad case, case file or image reference gets one clear line or a fail-safe path.

Properties (hypothesis) and named cases check four promises: no traceback, no partial
write (a refused case leaves no run), no file read outside the allowed image folders,
and no approval resting on an image that could not be checked.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import create_engine
from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor, open_store
from auditgraph.tools import load_bundled_toolset
from auditgraph.tools.case import CaseError, parse_case
from auditgraph.tools.escalation import MemoryEscalationBackend
from auditgraph.tools.image_check import ImageCheck, ImageChecker, ImageCheckInput, LocalImageSource
from auditgraph.workflows import Auditor
from tests.conftest import DATA, load_case

runner = CliRunner()
SQL = "'; DROP TABLE run; --"
FIXTURE_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
VALID = load_case("kitchen_knife_set")


def _assert_clear(exc: CaseError) -> None:
    message = str(exc)
    assert message, "empty CaseError"
    assert "\n" not in message and "\r" not in message, f"multi-line CaseError: {message[:200]!r}"
    assert len(message) < 500, f"CaseError is {len(message)} characters"


def _parse_or_clear_error(value: object) -> None:
    try:
        parse_case(value)
    except CaseError as exc:
        _assert_clear(exc)


def _nested_dict(depth: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    cur = root
    for _ in range(depth):
        cur["a"] = {}
        cur = cur["a"]
    return root


def _nested_list(depth: int) -> list[Any]:
    root: list[Any] = []
    cur = root
    for _ in range(depth):
        nxt: list[Any] = []
        cur.append(nxt)
        cur = nxt
    return root


# --- parse_case --------------------------------------------------------------------------

_short_text = st.text(max_size=40)
_printable_key = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40)
json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _short_text,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_short_text, children, max_size=5),
    max_leaves=30,
)
hostile_scalar = st.one_of(
    json_like,
    st.sampled_from(
        [
            SQL,
            "\x00",
            "\x1b[31mred\x1b[0m",
            "line\nbreak",
            "\u202eevil",
            "x" * 100_000,
            float("nan"),
            float("inf"),
            -1,
            10**400,
            "",
            "   ",
            [],
            {},
        ]
    ),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, (*prefix, i))


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


# ("kind",) is left out: an unbounded kind is a known bug, see test_huge_unknown_key_or_kind_gives_a_short_line.
VALID_PATHS = [p for p in _paths(VALID) if p and p != ("kind",)]


@hsettings(max_examples=150, deadline=None)
@given(json_like)
def test_parse_case_on_any_json_value_returns_a_case_or_one_clear_line(value: object) -> None:
    _parse_or_clear_error(value)


@hsettings(max_examples=150, deadline=None)
@given(st.sampled_from(VALID_PATHS), hostile_scalar)
def test_parse_case_on_a_mutated_valid_case_returns_a_case_or_one_clear_line(
    path: tuple[Any, ...], new: object
) -> None:
    _parse_or_clear_error(_replace(VALID, path, new))


@hsettings(max_examples=60, deadline=None)
@given(st.sampled_from([(), ("listing",), ("signal",)]), _printable_key, hostile_scalar)
def test_parse_case_with_an_extra_printable_field_returns_one_clear_line(
    where: tuple[str, ...], key: str, new: object
) -> None:
    target = VALID
    for part in where:
        target = target[part]
    if key in target:
        return
    _parse_or_clear_error(_replace(VALID, where, {**target, key: new}))


NAMED_CASES: dict[str, Any] = {
    "deep_dict_1000_as_extra_field": {**VALID, "x": _nested_dict(1000)},
    "deep_dict_1000_as_signal": {**VALID, "signal": _nested_dict(1000)},
    "deep_dict_100000_as_listing": {**VALID, "listing": _nested_dict(100_000)},
    "deep_list_100000_as_images": {**VALID, "listing": {**VALID["listing"], "images": _nested_list(100_000)}},
    "deep_list_1000_as_case": _nested_list(1000),
    "sql_case_id": {**VALID, "case_id": SQL},
    "sql_title": {**VALID, "listing": {**VALID["listing"], "title": SQL}},
    "control_chars_title": {**VALID, "listing": {**VALID["listing"], "title": "\x00\x07\x1b[2J\x7f"}},
    "control_chars_seller_id": {**VALID, "listing": {**VALID["listing"], "seller_id": "S\x00\n1"}},
    "huge_title": {**VALID, "listing": {**VALID["listing"], "title": "x" * 10_000_000}},
    "huge_case_id": {**VALID, "case_id": "a" * 1_000_000},
    "huge_image_ref": {**VALID, "listing": {**VALID["listing"], "images": ["a" * 1_000_000]}},
    "too_many_images": {**VALID, "listing": {**VALID["listing"], "images": ["x.png"] * 10_000}},
    "nan_price": {**VALID, "listing": {**VALID["listing"], "price": float("nan")}},
    "huge_int_price": {**VALID, "listing": {**VALID["listing"], "price": 10**4000}},
    "bytes_case_id": {**VALID, "case_id": b"\xff\xfe"},
    "non_string_key": {**VALID, 1: 2},
    "kind_is_a_list": {**VALID, "kind": ["listing_review"]},
    "kind_with_newline": {**VALID, "kind": "a\nb"},
    "impossible_date": {**VALID, "received_at": "9999-99-99T99:99:99Z"},
    "naive_date": {**VALID, "received_at": "2026-01-01T00:00:00"},
    "a_string": "{}",
    "none": None,
}


@pytest.mark.parametrize("name", sorted(NAMED_CASES))
def test_named_hostile_cases_get_a_case_or_one_clear_line(name: str) -> None:
    _parse_or_clear_error(NAMED_CASES[name])


@pytest.mark.parametrize("where", ["top", "listing"])
def test_unknown_key_with_a_newline_still_gives_one_line(where: str) -> None:
    case = {**VALID, "a\nb": 1} if where == "top" else {**VALID, "listing": {**VALID["listing"], "x\ny": 1}}
    with pytest.raises(CaseError) as refused:
        parse_case(case)
    _assert_clear(refused.value)


@pytest.mark.parametrize("what", ["key", "kind"])
def test_huge_unknown_key_or_kind_gives_a_short_line(what: str) -> None:
    case = {**VALID, "k" * 5000: 1} if what == "key" else {**VALID, "kind": "k" * 5000}
    with pytest.raises(CaseError) as refused:
        parse_case(case)
    _assert_clear(refused.value)


# --- the CLI -----------------------------------------------------------------------------

_valid_bytes = json.dumps(VALID).encode()
case_file_bytes = st.one_of(
    st.binary(max_size=2000),
    st.binary(min_size=1, max_size=200).map(lambda b: b"\xff" + b),
    st.integers(0, len(_valid_bytes) - 1).map(lambda n: _valid_bytes[:n]),
    st.integers(1, 200_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 200_000).map(lambda n: b"[" * n),
    st.integers(1, 50_000).map(
        lambda n: b'{"kind": "listing_review", "listing": ' + b"[" * n + b"]" * n + b"}"
    ),
    json_like.map(lambda v: json.dumps(v).encode()),
)


def _run_cli(tmp_path: Path, data: bytes, name: str = "case.json") -> Any:
    path = tmp_path / name
    path.write_bytes(data)
    return runner.invoke(app, ["run", str(path)])


def _assert_refused_or_audited(settings: Settings, result: Any, runs_before: int) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), result.output
    runs = len(open_store(settings).list_runs(limit=1000))
    if result.exit_code == 2:
        assert result.output.startswith("error: "), result.output[:300]
        assert runs == runs_before, "a refused case left a run behind"
    else:
        assert runs == runs_before + 1


@hsettings(max_examples=40, deadline=None, suppress_health_check=FIXTURE_OK)
@given(data=case_file_bytes)
@example(data=b"")
@example(data=b"\xef\xbb\xbf")
@example(data=b"[" * 100_000)
@example(data='{"title": "caf\xe9"}'.encode("latin-1"))
@example(data=b'{"kind": "listing_review", "case_id": ')
def test_cli_on_any_file_refuses_with_exit_2_and_records_nothing(
    settings: Settings, tmp_path: Path, data: bytes
) -> None:
    before = len(open_store(settings).list_runs(limit=1000))
    _assert_refused_or_audited(settings, _run_cli(tmp_path, data), before)


_deep_signal = json.dumps({**VALID, "signal": None}).replace(
    '"signal": null', '"signal": ' + '{"a": ' * 900 + "{}" + "}" * 900
)
CLI_NAMED = {
    **{
        n: json.dumps(NAMED_CASES[n])
        for n in ("sql_case_id", "huge_title", "control_chars_seller_id", "kind_with_newline")
    },
    "deep_dict_900_as_signal": _deep_signal,
    "deep_dict_100000_as_signal": _deep_signal.replace('{"a": ' * 900, '{"a": ' * 100_000).replace(
        "}" * 900, "}" * 100_000
    ),
    "nan_price": json.dumps(NAMED_CASES["nan_price"]),
    "duplicate_kind": json.dumps(VALID)[:-1] + ', "kind": "refund"}',
    "utf16": json.dumps(VALID).encode("utf-16").decode("latin-1"),
}


@pytest.mark.parametrize("name", sorted(CLI_NAMED))
def test_cli_named_hostile_cases_refused_with_one_line(settings: Settings, tmp_path: Path, name: str) -> None:
    text = CLI_NAMED[name]
    result = _run_cli(tmp_path, text.encode("latin-1") if name == "utf16" else text.encode())
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2
    assert open_store(settings).list_runs() == []


@pytest.mark.parametrize("where", ["case_key", "file_path"])
def test_rich_markup_in_input_is_refused_with_one_line(
    settings: Settings, tmp_path: Path, where: str
) -> None:
    if where == "case_key":
        result = _run_cli(tmp_path, json.dumps({**VALID, "[/]": 1}).encode())
    else:
        result = runner.invoke(app, ["run", str(tmp_path / "[/]missing.json")])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2
    assert open_store(settings).list_runs() == []


# --- images ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled_checker() -> ImageChecker:
    toolset = load_bundled_toolset(
        DATA, engine=create_engine("sqlite://"), escalations=MemoryEscalationBackend()
    )
    return toolset.images


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the image source reads, resolved."""
    seen: list[Path] = []
    original = Path.read_bytes

    def spy(self: Path) -> bytes:
        seen.append(self.resolve())
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    return seen


@pytest.fixture(scope="module")
def image_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tmp image root full of hostile files, and a secret next to it."""
    tmp_path = tmp_path_factory.mktemp("hostile")
    root = tmp_path / "images"
    (root / "listings").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("secret")
    Image.new("RGB", (64, 64), (200, 30, 30)).save(root / "real.png")
    (root / "real.png").rename(root / "real.jpg")
    Image.new("RGB", (64, 64), (30, 30, 200)).save(root / "ok.png")
    Image.new("1", (12_000, 12_000)).save(root / "bomb.png")
    (root / "truncated.png").write_bytes((root / "ok.png").read_bytes()[:60])
    (root / "text.png").write_text("this is not a PNG\n")
    (root / "empty.png").write_bytes(b"")
    (root / "x.png").mkdir()
    (root / "escape.png").symlink_to(tmp_path / "secret.txt")
    (root / "listings" / "up").symlink_to(tmp_path)
    return root


def _check(checker: ImageChecker, ref: str) -> str:
    result = checker.check(ImageCheckInput(images=[ref], seller_id="S00001"))
    assert isinstance(result, ImageCheck) and result.status == "ok"
    [finding] = result.images
    assert finding.ref == ref
    if finding.status != "ok":
        assert finding.error and "\n" not in finding.error
    return finding.status


IMAGE_REFS = {
    "../../etc/passwd": "blocked",
    "/etc/passwd": "blocked",
    "listings/../../pyproject.toml": "blocked",
    "../secret.txt": "blocked",
    "%2e%2e/x": "missing",
    "%2e%2e%2fsecret.txt": "missing",
    "listings/\x00.png": "blocked",
    "escape.png": "blocked",
    "listings/up/secret.txt": "blocked",
    "http://127.0.0.1/x.png": "blocked",
    "https://example.com/a.png": "blocked",
    "HTTPS://EXAMPLE.COM/A.PNG": "blocked",
    "file:///etc/passwd": "missing",
    "bomb.png": "unreadable",
    "truncated.png": "unreadable",
    "text.png": "unreadable",
    "empty.png": "unreadable",
    "x.png": "missing",
    "nope.png": "missing",
    "ok.png/child.png": "missing",
    "real.jpg": "ok",
    "ok.png": "ok",
    "": "missing",
}


@pytest.mark.parametrize("ref", sorted(IMAGE_REFS))
def test_hostile_image_refs_get_a_status_and_no_read_outside_the_root(
    bundled_checker: ImageChecker, image_root: Path, reads: list[Path], ref: str
) -> None:
    checker = ImageChecker(LocalImageSource(image_root), bundled_checker.bank)
    assert _check(checker, ref) == IMAGE_REFS[ref]
    assert all(p.is_relative_to(image_root) for p in reads), reads
    if IMAGE_REFS[ref] == "blocked":
        assert reads == []


@pytest.mark.parametrize("ref", ["../../etc/passwd", "/etc/passwd", "listings/../../pyproject.toml"])
def test_bundled_checker_blocks_traversal(bundled_checker: ImageChecker, reads: list[Path], ref: str) -> None:
    assert _check(bundled_checker, ref) == "blocked"
    assert reads == []


_ref_parts = st.sampled_from(
    [
        "..",
        ".",
        "/",
        "listings",
        "ok.png",
        "escape.png",
        "up",
        "%2e%2e",
        "\x00",
        "~",
        "//",
        "\\",
        "x.png",
        "etc",
    ]
)
hostile_refs = st.one_of(
    st.lists(_ref_parts, max_size=8).map("".join),
    st.lists(_ref_parts, max_size=8).map("/".join),
    st.text(max_size=60),
)


@hsettings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(ref=hostile_refs)
def test_any_image_ref_gets_a_status_and_no_read_outside_the_root(
    bundled_checker: ImageChecker, image_root: Path, reads: list[Path], ref: str
) -> None:
    reads.clear()
    checker = ImageChecker(LocalImageSource(image_root), bundled_checker.bank)
    assert _check(checker, ref) in {"ok", "missing", "unreadable", "blocked"}
    assert all(p.is_relative_to(image_root) for p in reads), (ref, reads)


# --- a full audit ------------------------------------------------------------------------

AUDIT_REFS = {
    "../../etc/passwd": "image_blocked",
    "/etc/passwd": "image_blocked",
    "listings/../../pyproject.toml": "image_blocked",
    "%2e%2e/x": "image_missing",
    "https://example.com/a.png": "image_blocked",
    "broken/truncated.png": "image_unreadable",
    "broken/not_an_image.png": "image_unreadable",
    "listings": "image_missing",
}


def _assert_fail_safe(auditor: Auditor, case: dict[str, Any], reasons: set[str]) -> None:
    outcome = auditor.audit(case)
    assert outcome.status == "awaiting_review"
    assert outcome.decision is None
    assert outcome.escalation is not None
    assert reasons <= set(outcome.escalation.reasons), outcome.escalation.reasons
    run = auditor.store.get_run(outcome.run_id)
    assert run.status == "awaiting_review" and run.decision is None


@pytest.mark.parametrize("ref", sorted(AUDIT_REFS))
def test_audit_with_a_hostile_image_escalates_never_approves(auditor: Auditor, ref: str) -> None:
    case = load_case("kitchen_knife_set")
    case["listing"]["images"] = [ref]
    _assert_fail_safe(auditor, case, {f"{AUDIT_REFS[ref]}:{ref}"})


def test_audit_with_symlink_bomb_empty_and_folder_images_escalates(
    settings: Settings, image_root: Path
) -> None:
    refs = {
        str(image_root / "escape.png"): "image_blocked",
        str(image_root / "listings" / "up" / "secret.txt"): "image_blocked",
        str(image_root / "bomb.png"): "image_unreadable",
        str(image_root / "empty.png"): "image_unreadable",
        str(image_root / "text.png"): "image_unreadable",
        str(image_root / "x.png"): "image_missing",
    }
    extra = settings.model_copy(update={"image_roots": [image_root]})
    case = load_case("kitchen_knife_set")
    case["listing"]["images"] = [*case["listing"]["images"], *refs]
    with open_auditor(extra) as auditor:
        _assert_fail_safe(auditor, case, {f"{status}:{ref}" for ref, status in refs.items()})


def test_audit_refuses_an_image_ref_with_a_nul_before_anything_runs(auditor: Auditor) -> None:
    case = load_case("kitchen_knife_set")
    case["listing"]["images"] = ["listings/\x00.png"]
    with pytest.raises(CaseError, match=r"listing\.images\.0 contains a NUL character"):
        auditor.audit(case)
    assert auditor.store.list_runs() == []


def test_symlink_fixture_really_points_outside(image_root: Path) -> None:
    assert not (image_root / "escape.png").resolve().is_relative_to(image_root)
    assert os.path.islink(image_root / "listings" / "up")
