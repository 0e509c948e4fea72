"""The hash chain that makes a run's trace tamper-evident.

Each step's hash is SHA-256 over the previous step's hash and the step's canonical JSON
(sorted keys, UTC times, no hash fields), so changing, inserting, deleting or reordering
any step breaks every link after it; the run records the last hash as its head when it
pauses or ends, so cutting steps off the end shows too. The decision and review records
are copied into the chained steps (finalize and the review interrupt), so a changed,
added or removed decision or review is caught by comparing them with those copies.

Anyone who can rewrite the whole database can also rewrite the chain and its head:
export heads (`auditgraph trace verify --all` prints them) to somewhere they cannot
write, and compare.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, NamedTuple

from store.records import DecisionRecord, ReviewRecord, RunRecord, TraceStep

__all__ = ["Verification", "canonical", "step_hash", "verify_run"]

_UNHASHED = {"hash", "prev_hash"}


def canonical(step: TraceStep) -> bytes:
    """The bytes a step's hash covers."""
    data = step.model_dump(mode="json", exclude=_UNHASHED)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def step_hash(prev_hash: str, step: TraceStep) -> str:
    """The hash of `step` chained after `prev_hash`."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(step)).hexdigest()


class Verification(NamedTuple):
    """What `verify_run` found."""

    run_id: str
    ok: bool
    steps: int
    head: str
    problems: list[str]
    """The first problem names the first record that was altered, inserted, deleted or moved."""


def _same(record: DecisionRecord | ReviewRecord, copy: Any) -> bool:
    return isinstance(copy, dict) and record.model_dump(mode="json") == copy


def verify_run(
    run: RunRecord, steps: list[TraceStep], decisions: list[DecisionRecord], reviews: list[ReviewRecord]
) -> Verification:
    """Recompute the run's chain and compare its records with their chained copies."""
    problems: list[str] = []
    prev = ""
    for expected_seq, step in enumerate(steps, start=1):
        where = f"step seq {step.seq} ({step.kind} {step.node}, id {step.id})"
        if step.seq != expected_seq:
            problems.append(
                f"{where}: expected seq {expected_seq}: a step was deleted, inserted or moved before it"
            )
            break
        if step.prev_hash != prev:
            problems.append(
                f"{where}: its link does not match the step before it: a step was inserted, deleted or reordered"
            )
            break
        if step_hash(prev, step) != step.hash:
            problems.append(f"{where}: its content was altered after it was written")
            break
        prev = step.hash
    if not problems and run.status != "running" and run.head_hash is not None and run.head_hash != prev:
        problems.append(
            f"run head {run.head_hash[:12]}… does not match the last step ({prev[:12] or 'none'}…): steps were deleted from the end"
        )
    finalized = [
        s.output.get("record") for s in steps if s.kind == "node" and s.node == "finalize" and s.output
    ]
    if len(decisions) != len(finalized):
        problems.append(
            f"{len(decisions)} decision record(s) but {len(finalized)} in the chained trace: one was inserted or deleted"
        )
    for record, copy in zip(decisions, finalized, strict=False):
        if not _same(record, copy):
            problems.append(
                f"decision record of {record.created_at.isoformat()} differs from its chained copy: altered"
            )
    reviewed = [s.output for s in steps if s.kind == "interrupt" and s.agent == "reviewer" and s.output]
    if len(reviews) != len(reviewed):
        problems.append(
            f"{len(reviews)} review(s) but {len(reviewed)} in the chained trace: one was inserted or deleted"
        )
    for record, copy in zip(reviews, reviewed, strict=False):
        if not _same(record, copy):
            problems.append(f"review {record.review_id} differs from its chained copy: altered")
    return Verification(run.run_id, not problems, len(steps), prev, problems)
