"""The screen's labelled texts: the training corpus, reviewers' decisions, and a case's text.

A corpus line (data/corpus/corpus.jsonl) is labelled with its policy area or benign; a
reviewed run is labelled by its reviewer: an approval is benign, a reject or restrict is
the area of the clause the reviewer cited. Examples from one template, or one review,
share a group so that a validation split never holds a sibling of a training example.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from auditgraph.agents.screen.model import BENIGN, Example, ScreenError
from auditgraph.tools.risk_screen import listing_text

__all__ = ["case_text", "load_corpus", "review_examples"]


def case_text(case: Mapping[str, Any]) -> str:
    """The listing text a screen reads: title, then description (what a buyer sees first)."""
    listing = case.get("listing") or {}
    return listing_text(str(listing.get("title") or ""), str(listing.get("description") or ""))


def load_corpus(path: Path) -> list[Example]:
    """Every line of a corpus JSONL file as an `Example`.

    Raises:
        ScreenError: the file cannot be read, or a line is not a corpus line (one line:
            file:line: what is wrong).
    """
    try:
        raw = path.read_text("utf-8").splitlines()
    except OSError as exc:
        raise ScreenError(f"cannot read the corpus {path}: {exc.strerror or exc}") from None
    examples = []
    for number, line in enumerate(raw, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            label = item["area"] or BENIGN
            source = item["provenance"]
            group = f"{source['source']}#{source['template'] or item['id']}"
            text = listing_text(item["title"], item["description"])
            examples.append(Example(item["id"], text, label, group))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ScreenError(f"{path}:{number}: not a corpus line ({type(exc).__name__}: {exc})") from None
    return examples


def review_examples(lines: Iterable[Mapping[str, Any]]) -> list[Example]:
    """Reviewed runs (as `evals.feedback.import_reviews` lines) as labelled examples.

    An approval is benign; a reject or restrict counts when its clause names an area.
    Cases without listing text (an IP report about someone else's listing) are skipped.
    """
    examples = []
    for line in lines:
        expected = line["expected"]
        text = case_text(line["input"])
        if not text:
            continue
        if expected["decision"] == "approve":
            label = BENIGN
        elif expected["decision"] in ("reject", "restrict") and expected.get("area"):
            label = expected["area"]
        else:
            continue
        examples.append(Example(line["id"], text, label, line["id"]))
    return examples
