"""`auditgraph screen`: train the learned risk screen and report its figures.

`train` fits a new version from the labelled corpus and every reviewer decision in the
store, chooses its thresholds on a validation split held out by template, and writes it
beside the others; `eval` prints a version's figures on that split or on an eval suite.
A new version is used only when `AUDITGRAPH_SCREEN_VERSION` names it.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from auditgraph.agents.screen import (
    BENIGN,
    Example,
    RiskScreen,
    ScreenError,
    case_text,
    load_corpus,
    review_examples,
)
from auditgraph.evals.dataset import DatasetError, load_dataset, suite_path
from auditgraph.evals.feedback import import_reviews
from auditgraph.evals.screen import ScreenReport, evaluate, split
from auditgraph.service.cli import common
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import screen_embedder, screen_folder
from auditgraph.tools import BundledPaths
from auditgraph.tools.policy_retrieval import PolicyPackError, load_policy_pack

__all__ = ["screen_app"]

_VERSION = re.compile(r"[\w.-]{1,40}")

screen_app = typer.Typer(help="The learned risk screen: train it, measure it.", no_args_is_help=True)


def _corpus(settings: Settings) -> Path:
    return settings.data_dir / "corpus" / "corpus.jsonl"


def _folder(settings: Settings, version: str | None) -> Path:
    """A version's folder, or one line refusing a name that is not a plain version."""
    if version is not None and not _VERSION.fullmatch(version):
        common.fail(f"--version {version!r}: use 1 to 40 letters, digits, dots, dashes or underscores")
    return screen_folder(settings, version)


def _load_corpus(path: Path) -> list[Example]:
    try:
        return load_corpus(path)
    except ScreenError as exc:
        common.fail(str(exc))


def _reviews(settings: Settings) -> list[Example]:
    try:
        pack = load_policy_pack(BundledPaths(settings.data_dir).policy_pack)
    except PolicyPackError as exc:
        common.fail(str(exc))
    store = common.opened_store(settings)
    try:
        return review_examples(import_reviews(store, pack).lines)
    finally:
        store.engine.dispose()


def _print_report(report: ScreenReport, title: str) -> None:
    rows = common.table("figure", title)
    for name, value in (
        ("examples (violating)", f"{report.examples} ({report.violating})"),
        ("ROC AUC", f"{report.roc_auc:.4f}"),
        ("average precision", f"{report.average_precision:.4f}"),
        ("expected calibration error", f"{report.ece:.4f}"),
        ("approve below", f"{report.approve_below:.4f}"),
        ("decide at", f"{report.decide_at:.4f}"),
        ("false-approve rate", f"{report.false_approve_rate:.4f}"),
        ("false-reject rate", f"{report.false_reject_rate:.4f}"),
        ("benign approved by the screen", f"{report.benign_auto_approved:.4f}"),
        ("violating decided by the screen", f"{report.violating_auto_decided:.4f}"),
        ("top area right", f"{report.top_area_accuracy:.4f}"),
    ):
        rows.add_row(name, value)
    common.out.print(rows)
    if report.area_recall:
        recall = common.table("area", "recall at the approval threshold")
        for area, value in sorted(report.area_recall.items(), key=lambda item: item[1]):
            recall.add_row(area, f"{value:.3f}")
        common.out.print(recall)


@screen_app.command("train")
def train(
    version: Annotated[str, typer.Option(help="The new version's name (a folder under data/screen).")],
    corpus: Annotated[
        Path | None, typer.Option(help="The labelled corpus (default: the bundled one).")
    ] = None,
    reviews: Annotated[bool, typer.Option(help="Add every reviewer decision in the audit store.")] = True,
    overwrite: Annotated[bool, typer.Option(help="Replace a version of that name.")] = False,
    as_json: common.JsonFlag = False,
) -> None:
    """Fit a new screen version; thresholds are chosen on a held-out validation split."""
    settings = common.load_settings()
    folder = _folder(settings, version)
    if folder.exists() and not overwrite:
        common.fail(f"screen {version} already exists at {folder}; choose a new version or --overwrite")
    examples = _load_corpus(corpus or _corpus(settings))
    reviewed = _reviews(settings) if reviews else []
    training, validation = split(examples)
    started = time.perf_counter()
    try:
        screen = RiskScreen.fit([*training, *reviewed], embedder=screen_embedder(settings), version=version)
    except ScreenError as exc:
        common.fail(str(exc))
    seconds = time.perf_counter() - started
    report = evaluate(
        screen,
        validation,
        false_approve_budget=settings.screen_false_approve_budget,
        false_reject_budget=settings.screen_false_reject_budget,
    )
    metadata: dict[str, Any] = {
        "approve_below": report.approve_below,
        "decide_at": report.decide_at,
        "budgets": {
            "false_approve": settings.screen_false_approve_budget,
            "false_reject": settings.screen_false_reject_budget,
        },
        "trained_on": {"corpus": len(training), "reviews": len(reviewed), "seconds": round(seconds, 1)},
        "validation": report.as_dict(),
    }
    digest = screen.save(folder, metadata=metadata)
    if as_json:
        common.print_json({"version": version, "folder": str(folder), "sha256": digest, **metadata})
        return
    common.out.print(
        f"screen {version}: {len(training)} corpus examples and {len(reviewed)} reviews, "
        f"trained in {seconds:.1f} s; sha256 {digest[:16]}…"
    )
    _print_report(report, f"validation ({len(validation)} held out)")
    common.out.print(f"written to {folder}; use it with AUDITGRAPH_SCREEN_VERSION={version}")


def _suite_examples(name: str) -> list[Example]:
    try:
        cases = load_dataset(suite_path(name))
    except DatasetError as exc:
        common.fail(str(exc))
    examples = []
    for case in cases:
        text = case_text(case.input)
        if text:
            label = BENIGN if case.expected.decision == "approve" else (case.expected.area or "unknown")
            if case.expected.decision in ("approve", "reject", "restrict"):
                examples.append(Example(case.id, text, label))
    return examples


@screen_app.command("eval")
def eval_command(
    version: Annotated[
        str | None, typer.Option(help="The version to measure (default: the one in use).")
    ] = None,
    suite: Annotated[
        str | None,
        typer.Option(
            help="An eval suite (core, hard, general, or a .jsonl) instead of the validation split."
        ),
    ] = None,
    as_json: common.JsonFlag = False,
) -> None:
    """Print a screen version's figures, at the thresholds it was trained with."""
    settings = common.load_settings()
    folder = _folder(settings, version)
    try:
        screen = RiskScreen.load(folder, embedder=screen_embedder(settings))
    except ScreenError as exc:
        common.fail(str(exc))
    chosen = (screen.metadata.get("approve_below"), screen.metadata.get("decide_at"))
    if not all(isinstance(t, int | float) for t in chosen):
        common.fail(
            f"screen {screen.version} keeps no thresholds in its manifest: train it with `screen train`"
        )
    if suite is None:
        _, examples = split(_load_corpus(_corpus(settings)))
        title = f"validation ({len(examples)} held out)"
    else:
        examples = _suite_examples(suite)
        title = f"suite {suite} ({len(examples)} decided cases with listing text)"
    report = evaluate(screen, examples, thresholds_from=chosen)
    if as_json:
        common.print_json({"version": screen.version, "sha256": screen.digest, "report": report.as_dict()})
        return
    common.out.print(f"screen {screen.version} (sha256 {screen.digest[:16]}…)")
    _print_report(report, title)
