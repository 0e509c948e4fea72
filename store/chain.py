"""The hash chain that makes a run's trace tamper-evident.

Each step's hash is SHA-256 over the previous step's hash and the step's canonical JSON
(sorted keys, UTC times, no hash fields), so changing, inserting, deleting or reordering
any step breaks every link after it; the run records the last hash as its head when it
pauses or ends, so cutting steps off the end shows too. The decision and review records
are copied into the chained steps (finalize and the review interrupt), so a changed,
added or removed decision or review is caught by comparing them with those copies.

Personal data can be erased without breaking the chain: a step's hash covers its content
fields (input, output, error) through their digests, and an erasure appends an "erasure"
step listing, for each step it changed, the digests before and after. Verification then
takes the "before" digests for the chain and checks the content against the "after"
ones, so an erased step edited later is still caught.

A run's first step is its start record: it commits the digest of the case as stored, so
a case edited while the run was unfinished shows (`committed_case`), and `recover` refuses
to audit it again. An erasure's record carries the case digest before and after.

Anyone who can rewrite the whole database can also rewrite the chain and its head: the
signed log of run heads (`store.headlog`) and its exports (`auditgraph log export`) are
what catch that.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, NamedTuple

from auditgraph.store.records import DecisionRecord, EscalationRecord, ReviewRecord, RunRecord, TraceStep

START_NODE = "start"
"""The `node` of a run's start record (kind "start")."""

__all__ = [
    "CONTENT_FIELDS",
    "LATER_FIELDS",
    "REVIEW_DIGEST_VERSION",
    "START_NODE",
    "Verification",
    "canonical",
    "committed_case",
    "content_digests",
    "digest",
    "review_digest",
    "start_step",
    "step_hash",
    "verify_run",
]

_UNHASHED = {"hash", "prev_hash"}
CONTENT_FIELDS = ("input", "output", "error")
"""The fields a step's hash covers through their digests, so they can be erased."""

Digests = dict[str, str]


def _json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(value: Any) -> str:
    """SHA-256 of a JSON-ready value's canonical JSON."""
    return hashlib.sha256(_json(value)).hexdigest()


def _digests(data: dict[str, Any]) -> Digests:
    return {f: digest(data[f]) for f in CONTENT_FIELDS}


def content_digests(step: TraceStep) -> Digests:
    """SHA-256 of each content field of `step` (its canonical JSON)."""
    return _digests(step.model_dump(mode="json", include=set(CONTENT_FIELDS)))


def canonical(step: TraceStep, digests: Digests | None = None) -> bytes:
    """The bytes a step's hash covers: its metadata, and its content by digest.

    `digests` stands in for the content when it was erased (see `auditgraph erase`).
    """
    data = step.model_dump(mode="json", exclude=_UNHASHED)
    content = digests or _digests(data)
    for field in CONTENT_FIELDS:
        del data[field]
    data["content"] = content
    return _json(data)


def step_hash(prev_hash: str, step: TraceStep, digests: Digests | None = None) -> str:
    """The hash of `step` chained after `prev_hash`."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(step, digests)).hexdigest()


def start_step(run: RunRecord, case: dict[str, Any] | None) -> TraceStep:
    """A run's first chained step: the digest of its case as stored, and what audits it."""
    step = TraceStep(
        run_id=run.run_id,
        case_id=run.case_id,
        seq=1,
        node=START_NODE,
        kind="start",
        output={
            "case_digest": digest(case),
            "case_kind": run.case_kind,
            "agent": run.agent,
            "agent_version": run.agent_version,
            "policy_version": run.policy_version,
        },
        agent=run.agent,
        policy_version=run.policy_version,
        started=run.started,
        ended=run.started,
    )
    return step.model_copy(update={"hash": step_hash("", step)})


def committed_case(steps: list[TraceStep]) -> str | None:
    """The digest the stored case must have: the start record's, or the latest erasure's
    "after". None when the run has no start record (recorded before runs had one)."""
    first = steps[0] if steps else None
    if first is None or first.kind != "start" or not isinstance(first.output, dict):
        return None
    committed = first.output.get("case_digest")
    for step in steps[1:]:
        if step.kind == "erasure" and isinstance(step.output, dict):
            copy = step.output.get("case_copy")
            if isinstance(copy, dict) and isinstance(copy.get("after"), str):
                committed = copy["after"]
    return committed if isinstance(committed, str) else None


REVIEW_DIGEST_VERSION = 1
"""The version of what `review_digest` covers, inside what it digests."""


def review_digest(run: RunRecord, escalation: EscalationRecord) -> str:
    """The digest of a run as a reviewer reads it: SHA-256 (hex) of the canonical JSON of
    the run id, its escalation id and its head hash.

    The head of a run awaiting review is the hash of the last step chained when it paused,
    which commits to every step before it: the case, the evidence, the verdict and the
    guard's reasons. A reviewer's door sends the digest of what it showed with the review,
    and a review of a run that changed since (another head, another escalation) is refused.
    """
    return digest(
        {
            "v": REVIEW_DIGEST_VERSION,
            "run_id": run.run_id,
            "escalation_id": escalation.escalation_id,
            "head_hash": run.head_hash,
        }
    )


class Verification(NamedTuple):
    """What `verify_run` found."""

    run_id: str
    ok: bool
    steps: int
    head: str
    problems: list[str]
    """The first problem names the first record that was altered, inserted, deleted or moved."""


def _erasures(steps: list[TraceStep], problems: list[str]) -> dict[str, tuple[Digests, Digests]]:
    """Step id -> (digests as written, digests now), over every erasure record of the run."""
    erased: dict[str, tuple[Digests, Digests]] = {}
    for step in steps:
        if step.kind != "erasure":
            continue
        try:
            for step_id, entry in (step.output or {})["steps"].items():
                before = erased[step_id][0] if step_id in erased else dict(entry["before"])
                erased[step_id] = (before, dict(entry["after"]))
        except (KeyError, TypeError, AttributeError):
            problems.append(f"erasure record seq {step.seq} (id {step.id}) is malformed")
    return erased


LATER_FIELDS = frozenset({"reviewer_role", "review_digest"})
"""Optional record fields (and columns, revision 0008) added after records were chained
and sealed: one that is None counts as absent, so a copy written before the field existed
still matches its record, and any value set in it (or taken out of it) is a difference."""


def _present(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not (k in LATER_FIELDS and v is None)}


def _same(record: DecisionRecord | ReviewRecord, copy: Any) -> bool:
    return isinstance(copy, dict) and _present(record.model_dump(mode="json")) == _present(copy)


def verify_run(
    run: RunRecord,
    steps: list[TraceStep],
    decisions: list[DecisionRecord],
    reviews: list[ReviewRecord],
    *,
    unapplied: int = 0,
) -> Verification:
    """Recompute the run's chain and compare its records with their chained copies.

    `unapplied`: how many of the newest reviews may be missing from the chain because
    they were recorded and not yet applied (the caller has checked them against the
    signed log entry written when they were recorded).
    """
    problems: list[str] = []
    erased = _erasures(steps, problems)
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
        digests = None
        if step.id in erased:
            before, after = erased.pop(step.id)
            if content_digests(step) != after:
                problems.append(f"{where}: its content was altered after personal data was erased from it")
                break
            digests = before
        if step_hash(prev, step, digests) != step.hash:
            problems.append(f"{where}: its content was altered after it was written")
            break
        prev = step.hash
    if not problems and erased:
        problems.append(f"an erasure record lists step(s) {sorted(erased)} that the run does not have")
    if not problems and run.status != "running" and run.head_hash is not None and run.head_hash != prev:
        problems.append(
            f"run head {run.head_hash[:12]}… does not match the last step ({prev[:12] or 'none'}…): steps were deleted from the end"
        )
    finalized = [
        s.output.get("record") for s in steps if s.kind == "node" and s.node == "finalize" and s.output
    ]
    if run.status == "running" and len(decisions) < len(finalized):
        # A run killed between writing its finalize step and closing: its decision record
        # is written when it is recovered.
        finalized = finalized[: len(decisions)]
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
    if unapplied and len(reviews) - len(reviewed) == unapplied:
        reviews = reviews[: len(reviewed)]
    if len(reviews) != len(reviewed):
        problems.append(
            f"{len(reviews)} review(s) but {len(reviewed)} in the chained trace: one was inserted or deleted"
        )
    for record, copy in zip(reviews, reviewed, strict=False):
        if not _same(record, copy):
            problems.append(f"review {record.review_id} differs from its chained copy: altered")
    return Verification(run.run_id, not problems, len(steps), prev, problems)
