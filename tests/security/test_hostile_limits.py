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


# --- images: non-regular files and the per-case pixel budget ------------------------------


def _photo(path: Path, size: tuple[int, int], colour: int) -> None:
    from PIL import Image

    Image.new("RGB", size, (colour, 255 - colour, colour // 2)).save(path)


def _audit_with_images(settings: Settings, root: Path, refs: list[str], **update: Any) -> Any:
    from auditgraph.service.wiring import open_auditor

    case = load_case("kitchen_knife_set")
    case["listing"]["images"] = refs
    changed = settings.model_copy(update={"image_roots": [root], "image_text": "none", **update})
    with open_auditor(changed) as auditor:
        return auditor.audit(case)


def test_a_fifo_in_an_allowed_folder_is_unreadable_and_never_hangs(
    settings: Settings, tmp_path: Path
) -> None:
    import os
    import signal

    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError("reading a FIFO hung the run")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        outcome = _audit_with_images(settings, tmp_path, [str(fifo)])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert outcome.status == "awaiting_review" and outcome.decision is None
    assert f"image_unreadable:{fifo}" in outcome.escalation.reasons


def test_a_device_is_never_read(settings: Settings, tmp_path: Path) -> None:
    from auditgraph.tools.image_check import ImageProblem, LocalImageSource

    source = LocalImageSource(tmp_path, extra_roots=[Path("/dev")])
    with pytest.raises(ImageProblem, match="not a regular file"):
        source.read("/dev/zero")


def test_decoded_pixels_are_bounded_per_case_not_per_image(settings: Settings, tmp_path: Path) -> None:
    refs = []
    for i in range(6):
        path = tmp_path / f"p{i}.png"
        _photo(path, (1000, 1000), i * 40)  # 1,000,000 pixels each
        refs.append(str(path))
    outcome = _audit_with_images(settings, tmp_path, refs, image_budget_pixels=3_500_000)
    assert outcome.decision is None, "an approval rested on images past the budget"
    over = [r for r in outcome.escalation.reasons if r.startswith("image_unreadable:")]
    assert over == [f"image_unreadable:{r}" for r in refs[3:]], outcome.escalation.reasons


def test_the_pixel_budget_error_names_the_setting(tmp_path: Path) -> None:
    from auditgraph.tools.image_check import HashBank, ImageChecker, ImageCheckInput, LocalImageSource

    for i in range(2):
        _photo(tmp_path / f"q{i}.png", (800, 800), i * 90)
    checker = ImageChecker(LocalImageSource(tmp_path), HashBank(entries=[]), case_max_pixels=1_000_000)
    found = checker.check(ImageCheckInput(images=["q0.png", "q1.png"], seller_id="s1")).images
    assert [f.status for f in found] == ["ok", "unreadable"]
    assert "AUDITGRAPH_IMAGE_BUDGET_PIXELS" in (found[1].error or "")
