"""Erasing a seller's personal data from the audit record, keeping its decisions verifiable.

For every finished run whose case names the seller, `erase_seller`:
- masks personal data (e-mail addresses, phone numbers, handles, street addresses, and
  the seller's display name) in every trace step's content and in the run's copy of the
  case; with `full_text`, removes the seller-written text fields altogether;
- deletes the run's checkpoints (a finished run never resumes; they hold the raw case);
- then has the store purge the old copies (on SQLite: deleted content is zeroed as it
  is freed, `secure_delete`, and the write-ahead log is checkpointed and truncated);
- appends an "erasure" step saying who asked, why, and the content digests of every step
  it changed, before and after, so `auditgraph trace verify` still checks the whole chain.

It keeps the run record, the decision records with their statements of reasons, the
escalation and the reviews (and their chained copies): a decision must stay explainable
after its subject's contact details are gone. Those records are masked when they are
written (AUDITGRAPH_MASK_PERSONAL_DATA, on by default). Runs still open (running, or
awaiting review) are left alone and reported: erase again after they close. Runs of a
case under legal hold (`store.holds`) are left alone entirely, checkpoints included, and
reported as held: erase again once the hold is released.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver

from auditgraph.store.base import AuditStore
from auditgraph.store.chain import CONTENT_FIELDS, content_digests, digest, step_hash
from auditgraph.store.holds import held_case_ids
from auditgraph.store.records import RunRecord, TraceStep
from auditgraph.tools.personal_data import mask, mask_text
from auditgraph.workflows.trace_contract import REVIEWER, Kind, Node
from auditgraph.workflows.tracing import redact

__all__ = ["ErasureReport", "RunErasure", "erase_seller"]

Outcome = Literal["erased", "unchanged", "open", "held"]


@dataclass(frozen=True)
class RunErasure:
    """What happened to one run."""

    run_id: str
    case_id: str
    status: str
    outcome: Outcome
    steps_changed: int = 0
    case_changed: bool = False


@dataclass
class ErasureReport:
    """What `erase_seller` did (or, in a dry run, would do)."""

    seller_id: str
    dry_run: bool
    runs: list[RunErasure] = field(default_factory=list)

    @property
    def open_runs(self) -> list[RunErasure]:
        """Runs left alone because they are still open."""
        return [r for r in self.runs if r.outcome == "open"]

    @property
    def held_runs(self) -> list[RunErasure]:
        """Runs left alone because their case is under legal hold."""
        return [r for r in self.runs if r.outcome == "held"]


def erase_seller(
    store: AuditStore,
    checkpointer: BaseCheckpointSaver | None,
    seller_id: str,
    *,
    reason: str,
    requested_by: str,
    names: tuple[str, ...] = (),
    full_text: bool = False,
    dry_run: bool = False,
) -> ErasureReport:
    """Erase `seller_id`'s personal data from every finished run of theirs.

    `names` are further strings to remove wherever they appear, such as the seller's
    display name. Running it twice changes nothing the second time.

    Raises:
        ValueError: the seller id, the reason or who asked is blank or too long.
    """
    for label, value, limit in (
        ("seller id", seller_id, 200),
        ("reason", reason, 500),
        ("requested by", requested_by, 120),
    ):
        if not value.strip() or len(value) > limit or not value.isprintable():
            raise ValueError(f"the {label} must be 1 to {limit} printable characters")
    report = ErasureReport(seller_id, dry_run)
    scrub = _scrubber(names, full_text)
    runs = store.runs_of_seller(seller_id)
    held = held_case_ids(store, {r.case_id for r in runs})
    for run in runs:
        if run.case_id in held:
            report.runs.append(RunErasure(run.run_id, run.case_id, run.status, "held"))
            continue
        if run.status in ("running", "awaiting_review"):
            report.runs.append(RunErasure(run.run_id, run.case_id, run.status, "open"))
            continue
        result = _erase_run(
            store,
            run,
            scrub,
            meta={
                "seller_id": seller_id,
                "reason": mask_text(reason),
                "requested_by": requested_by,
                "full_text": full_text,
            },
            dry_run=dry_run,
        )
        if not dry_run and checkpointer is not None:
            checkpointer.delete_thread(run.run_id)
        report.runs.append(result)
    if not dry_run and any(r.outcome == "erased" for r in report.runs):
        store.purge_erased()
    return report


def _scrubber(names: tuple[str, ...], full_text: bool) -> Callable[[Any], Any]:
    def scrub(value: Any) -> Any:
        return mask(redact(value) if full_text else value, extra=names)

    return scrub


def _kept(step: TraceStep) -> bool:
    # The decision and review copies stay as written: `trace verify` compares them with
    # the decision and review tables, which erasure keeps.
    return (
        step.kind in ("start", "erasure", "hold")
        or (step.kind == Kind.NODE and step.node == Node.FINALIZE)
        or (step.kind == Kind.INTERRUPT and step.agent == REVIEWER)
    )


def _erase_run(
    store: AuditStore,
    run: RunRecord,
    scrub: Callable[[Any], Any],
    *,
    meta: dict[str, Any],
    dry_run: bool,
) -> RunErasure:
    steps = store.steps(run.run_id)
    contents: dict[str, dict[str, Any]] = {}
    entries: dict[str, Any] = {}
    for step in steps:
        if _kept(step):
            continue
        fields = {f: scrub(getattr(step, f)) for f in CONTENT_FIELDS}
        if all(fields[f] == getattr(step, f) for f in CONTENT_FIELDS):
            continue
        contents[step.id] = fields
        entries[step.id] = {
            "seq": step.seq,
            "before": content_digests(step),
            "after": content_digests(step.model_copy(update=fields)),
        }
    case = store.get_case(run.run_id)
    erased_case = scrub(case)
    case_changed = erased_case != case
    outcome: Outcome = "erased" if contents or case_changed else "unchanged"
    result = RunErasure(run.run_id, run.case_id, run.status, outcome, len(contents), case_changed)
    if dry_run or outcome == "unchanged":
        return result
    last = steps[-1] if steps else None
    record = TraceStep(
        run_id=run.run_id,
        case_id=run.case_id,
        seq=(last.seq if last else 0) + 1,
        node="erase",
        kind="erasure",
        input=meta,
        output={
            "steps": entries,
            "case_copy": {"before": digest(case), "after": digest(erased_case)},
            "checkpoints_deleted": True,
        },
        prev_hash=last.hash if last else "",
    )
    record = record.model_copy(update={"hash": step_hash(record.prev_hash, record)})
    store.erase(run.run_id, case=erased_case, contents=contents, record=record)
    return result
