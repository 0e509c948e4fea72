"""Eval exports carry no real contact details: reviews become cases with fictional ones,
and reports mask what an error message quotes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from auditgraph.evals.dataset import EvalCase, load_dataset
from auditgraph.evals.feedback import import_reviews
from auditgraph.evals.report import build_report, write_reports
from auditgraph.evals.results import CaseResult
from auditgraph.tools.personal_data import find_personal_data
from auditgraph.workflows import Auditor
from tests.conftest import load_case

PHONE = "+1 555 014 2377"


def test_imported_reviews_replace_contact_details_with_fictional_ones(
    make_auditor: Callable[..., Auditor], tmp_path: Path
) -> None:
    auditor = make_auditor()
    case = load_case("injection_in_description")  # escalates, so a reviewer decides it
    case["listing"]["description"] += f" WhatsApp me at {PHONE} or mail jo.seller@gmail.com."
    outcome = auditor.audit(case)
    assert outcome.status == "awaiting_review"
    auditor.review(
        outcome.run_id,
        {"reviewer": "ann", "decision": "approve", "reason": "Seller confirmed by phone 555-014-2377."},
    )
    [line] = import_reviews(auditor.store, auditor.toolset.policy.pack).lines
    dumped = json.dumps(line)
    assert PHONE not in dumped and "jo.seller@gmail.com" not in dumped and "555-014-2377" not in dumped
    assert line["metadata"]["reason"] == "Seller confirmed by phone [phone]."
    # Fictional values of the same kind: the text screen still sees a phone and an e-mail.
    description = line["input"]["listing"]["description"]
    assert [d.kind for d in find_personal_data(description)] == ["phone", "email"]
    screen = auditor.toolset.screener.screen({"listing.description": description})
    assert {f.term for f in screen.findings if f.kind == "contact_detail"} >= {"phone", "email"}
    path = tmp_path / "reviews.jsonl"
    path.write_text(dumped + "\n")
    [loaded] = load_dataset(path)
    assert loaded.input["listing"]["listing_id"] == case["listing"]["listing_id"]


def test_reports_mask_personal_data_quoted_in_errors(tmp_path: Path) -> None:
    case = EvalCase(
        id="c1",
        input=load_case("kitchen_knife_set"),
        expected={"decision": "approve", "clause_ids": [], "human_required": False, "tools": []},
        metadata={"note": "seller phoned from 555-014-2377"},
    )
    result = CaseResult(
        case_id="c1", trial=1, run_id=None, status="failed", decision=None,
        error="invalid case: listing.description 'call 555-014-2377' is too long",
    )  # fmt: skip
    spec = {"suite": "s", "agent": "rules", "agent_version": "v", "model": None, "prompt_version": None,
            "policy_version": "p", "trials": 1, "elapsed_s": 1.0, "finished": "now", "git_sha": None}  # fmt: skip
    report = build_report(spec, [case], [result], clause_area={})
    paths = write_reports(report, tmp_path)
    for path in paths.values():
        text = path.read_text()
        assert "555-014-2377" not in text, path.name
    assert "call [phone]" in paths["json"].read_text()
