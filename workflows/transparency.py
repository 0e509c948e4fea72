"""Statements of reasons in the format of the EU DSA Transparency Database (API schema v2,
2025), one per restricting decision, built from the audit record alone.

Where each field comes from:

- `puid`: the case id, the run id, who decided and when, reduced to `[A-Za-z0-9_-]`, so
  each decision record has its own.
- `decision_visibility`: a reject removes the listing (CONTENT_REMOVED); a restrict keeps
  it up with reduced visibility until it is fixed (CONTENT_DEMOTED). No decision of this
  project suspends a seller's account or the service to them, so `decision_account`,
  `decision_provision` and `decision_monetary` are never set.
- `decision_ground`: a rights holder's notice (an IP report, or a listing review whose
  signal is a rights holder's) asserts illegal content, so its ground is ILLEGAL_CONTENT;
  everything else rests on the marketplace's terms (INCOMPATIBLE_CONTENT). The ground and
  the explanation quote the cited clauses of the policy pack the run used.
- `category` and `category_specification`: the DSA category and keywords the policy pack
  files each cited clause under (`dsa_category`, `dsa_keywords`; values from
  `dsa_taxonomy.yaml`); the first cited clause's category is the statement's.
- `content_type`: CONTENT_TYPE_PRODUCT, with CONTENT_TYPE_IMAGE when the trace holds an
  image that was checked and CONTENT_TYPE_TEXT when the text screen found something.
- `content_date`: the day the case was received (the earliest date the record knows for
  the listing); `application_date`: the day of the decision record.
- `decision_facts`: the rationale and a summary of the evidence in the trace.
- `source_type` and `automated_detection`: from why the case was opened (a listing
  review's signal source, or the case's kind).

The decision and source mappings are data: the `statements` section of
`data/policy/dsa_taxonomy.yaml`.
- `automated_decision`: from the trace: PARTIALLY when a reviewer's interrupt step is
  recorded, FULLY otherwise.

Every text field goes through `mask_text`, so no personal data reaches the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from auditgraph.store.base import AuditStore
from auditgraph.store.records import DecisionRecord, RunRecord, TraceStep
from auditgraph.tools.case import AnyCase, ListingReview, parse_case
from auditgraph.tools.dsa_sor import MAX_BATCH
from auditgraph.tools.personal_data import mask_text
from auditgraph.tools.policy_pack import Clause, PolicyLibrary, PolicyPack, PolicyPackError, StatementRules
from auditgraph.workflows.trace_contract import recorded_tool_outputs

__all__ = ["batched", "restricting_statements", "run_statement", "statement_for"]

_T = TypeVar("_T")
_NOT_PUID = re.compile(r"[^A-Za-z0-9_-]")
_MAX_FACTS = 5000
_MAX_GROUND = 500
_MAX_EXPLANATION = 2000


def statement_for(
    run: RunRecord,
    case: AnyCase,
    decision: DecisionRecord,
    steps: list[TraceStep],
    pack: PolicyPack,
    *,
    rules: StatementRules,
) -> dict[str, Any]:
    """The statement of reasons for one reject or restrict of `run`; `rules` (data, the
    `statements` section of `dsa_taxonomy.yaml`) map the decision and the case's source.

    Raises:
        ValueError: `decision` is an approval, which needs no statement.
    """
    if decision.decision not in ("reject", "restrict"):
        raise ValueError(
            f"decision {decision.decision!r} restricts nothing: only reject and restrict get a statement"
        )
    clauses = [c for c in (pack.clause(i) for i in decision.clause_ids) if c is not None]
    source = _source(case)
    statement: dict[str, Any] = {
        "puid": _puid(run, decision),
        "decision_visibility": [rules.visibility[decision.decision]],
        **_ground(source in rules.illegal_content, clauses, pack),
        "category": next((c.dsa_category for c in clauses if c.dsa_category), None),
        "category_specification": sorted({k for c in clauses for k in c.dsa_keywords}),
        "content_type": _content_types(steps),
        "content_date": _day(min(case.received_at, decision.created_at)),
        "application_date": _day(decision.created_at),
        "decision_facts": _clip(mask_text(f"{decision.rationale}{_evidence(steps)}"), _MAX_FACTS),
        "source_type": rules.source_types.get(source),
        "automated_detection": "Yes" if source in rules.automated_detection else "No",
        "automated_decision": _automation(steps),
    }
    if not statement["category_specification"]:
        del statement["category_specification"]
    return statement


def restricting_statements(
    store: AuditStore, library: PolicyLibrary, *, since: datetime | None = None, limit: int = 1_000_000
) -> Iterator[dict[str, Any]]:
    """A statement for each finished run whose final decision is a reject or restrict,
    decided at or after `since`, oldest first.

    Raises:
        PolicyPackError: the policy folder has no statement rules, or a run's pack is missing.
    """
    rules = library.taxonomy.statements if library.taxonomy is not None else None
    if rules is None:
        raise PolicyPackError("the policy folder's dsa_taxonomy.yaml has no statements section")
    runs = sorted(store.list_runs(limit=limit, status="completed"), key=lambda r: r.started)
    for run in runs:
        statement = _statement(store, library, run, rules, since)
        if statement is not None:
            yield statement


def run_statement(store: AuditStore, library: PolicyLibrary, run_id: str) -> dict[str, Any] | None:
    """The statement of reasons for one run's final decision; None when the run has no
    final decision that restricts anything (it is running, approved, or awaiting review).

    Raises:
        RunNotFound: no run has that id.
        PolicyPackError: the policy folder has no statement rules, or the run's pack is missing.
    """
    rules = library.taxonomy.statements if library.taxonomy is not None else None
    if rules is None:
        raise PolicyPackError("the policy folder's dsa_taxonomy.yaml has no statements section")
    run = store.get_run(run_id)
    return _statement(store, library, run, rules, None) if run.status == "completed" else None


def _statement(
    store: AuditStore, library: PolicyLibrary, run: RunRecord, rules: StatementRules, since: datetime | None
) -> dict[str, Any] | None:
    records = store.decisions(run.run_id)
    raw = store.get_case(run.run_id)
    if not records or raw is None:
        return None
    final = records[-1]
    if final.decision not in ("reject", "restrict") or (since is not None and final.created_at < since):
        return None
    pack = library.pack(run.policy_version)
    return statement_for(run, parse_case(raw), final, store.steps(run.run_id), pack, rules=rules)


def batched(items: Iterable[_T], size: int = MAX_BATCH) -> Iterator[list[_T]]:
    """`items` in lists of at most `size` (the database takes at most 100 per call)."""
    if size < 1:
        raise ValueError(f"batch size {size!r} must be at least 1")
    batch: list[_T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _puid(run: RunRecord, decision: DecisionRecord) -> str:
    raw = f"{run.case_id}_{run.run_id}_{decision.decided_by}_{decision.created_at:%Y%m%dT%H%M%S%f}"
    return _NOT_PUID.sub("-", raw)[:500]


def _source(case: AnyCase) -> str:
    """Why the case was opened: a listing review's signal source, else the case's kind."""
    return case.signal.source if isinstance(case, ListingReview) else case.kind


def _ground(illegal: bool, clauses: list[Clause], pack: PolicyPack) -> dict[str, str]:
    cited = "; ".join(f"{c.id} {c.title}" for c in clauses) or "no clause recorded"
    terms = f"{pack.name} {pack.version}: {cited}"
    explanation = mask_text(" ".join(f"{c.id}: {c.text}" for c in clauses) or terms)
    if illegal:
        return {
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            "illegal_content_legal_ground": _clip(
                mask_text(f"Infringement of intellectual property rights asserted in a notice; {terms}"),
                _MAX_GROUND,
            ),
            "illegal_content_explanation": _clip(explanation, _MAX_EXPLANATION),
        }
    return {
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": _clip(mask_text(terms), _MAX_GROUND),
        "incompatible_content_explanation": _clip(explanation, _MAX_EXPLANATION),
    }


def _content_types(steps: list[TraceStep]) -> list[str]:
    types = ["CONTENT_TYPE_PRODUCT"]
    images = [i for o in recorded_tool_outputs(steps, "image_check") for i in o.get("images") or []]
    if any(isinstance(i, dict) and i.get("status") == "ok" for i in images):
        types.append("CONTENT_TYPE_IMAGE")
    if any(o.get("findings") for o in recorded_tool_outputs(steps, "text_screen")):
        types.append("CONTENT_TYPE_TEXT")
    return types


def _evidence(steps: list[TraceStep]) -> str:
    lines = []
    for output in recorded_tool_outputs(steps, "text_screen"):
        kinds = sorted({str(f.get("kind")) for f in output.get("findings") or [] if isinstance(f, dict)})
        if kinds:
            lines.append(f"text screen found {len(output['findings'])} item(s): {', '.join(kinds)}")
    for output in recorded_tool_outputs(steps, "image_check"):
        images = [i for i in output.get("images") or [] if isinstance(i, dict)]
        if images:
            lines.append(
                f"image check: {len(images)} image(s), status {', '.join(str(i.get('status')) for i in images)}"
            )
    return "\nEvidence: " + "; ".join(lines) + "." if lines else ""


def _automation(steps: list[TraceStep]) -> str:
    reviewed = any(s.kind == "interrupt" and s.agent == "reviewer" for s in steps)
    return "AUTOMATED_DECISION_PARTIALLY" if reviewed else "AUTOMATED_DECISION_FULLY"


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
