"""Check a whole SQL audit store: every run's chain, the run and escalation rows against
what the chain and the signed log of run heads say, and the log itself.

Never raises on what it reads: an unreadable row (invalid JSON, a bad time, an unknown
status or decision) is a problem of its run, in words, and checking goes on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from pydantic import ValidationError

from auditgraph.store.base import RunNotFound
from auditgraph.store.chain import committed_case, digest, verify_run
from auditgraph.store.headlog import SEAL_V2, entry_hash, seal
from auditgraph.store.records import RunRecord, TraceStep
from auditgraph.store.signing import TrustedKeys
from auditgraph.store.sql import DELETED, DELETED_SEAL, SqlAuditStore

__all__ = [
    "LOG",
    "RunCheck",
    "check_log",
    "compare_export",
    "compare_exports",
    "unreadable",
    "verify_store",
]

LOG = "(log)"
"""The run id under which problems of the log itself are reported."""

T = TypeVar("T")


class RunCheck(NamedTuple):
    """What checking one run (or the log, as `LOG`) found."""

    run_id: str
    ok: bool
    steps: int
    head: str
    problems: list[str]
    deleted: bool = False
    """True for a run whose record retention deleted (its newest log entry says so)."""


def unreadable(what: str, exc: Exception) -> str:
    """A plain sentence for a row that cannot be read."""
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors(include_url=False)[:3]:
            where = ".".join(map(str, err["loc"])) or "value"
            parts.append(f"{where} {err.get('input')!r}: {err['msg']}")
        return f"{what} cannot be read: {'; '.join(parts)}"
    if isinstance(exc, json.JSONDecodeError):
        return f"{what} cannot be read: a stored JSON value is not valid JSON"
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if any(w in message.lower() for w in ("datetime", "isoformat", "time")):
        return f"{what} cannot be read: a stored time is not a valid timestamp ({message})"
    return f"{what} cannot be read: {message}"


def _read(what: str, problems: list[str], read: Callable[[], T]) -> T | None:
    try:
        return read()
    except RunNotFound:
        raise
    except Exception as exc:  # a malformed row is a finding, never a crash
        problems.append(unreadable(what, exc))
        return None


def _columns(
    run: RunRecord, steps: list[TraceStep], escalation: Any, problems: list[str], *, unapplied: bool = False
) -> None:
    """The run and escalation rows against the chained records (`unapplied`: a review was
    recorded, and signed, and not yet applied, so the escalation is resolved already)."""
    finals = [
        s.output["record"]
        for s in steps
        if s.kind == "node" and s.node == "finalize" and s.output and isinstance(s.output.get("record"), dict)
    ]
    chained_decision = finals[-1].get("decision") if finals else None
    if run.status == "running" and run.decision is None:
        # Killed after its finalize step was written and before it closed: the row is
        # closed on recovery.
        finals = []
        chained_decision = None
    if run.decision != chained_decision:
        problems.append(
            f"the run row says decision {run.decision or 'none'}, the chained trace {chained_decision or 'none'}: the run row was altered"
        )
    if run.status == "completed" and not finals:
        problems.append(
            "the run row says completed, but the chained trace has no final decision: the run row was altered"
        )
    if finals and run.status != "completed":
        problems.append(
            f"the run row says {run.status}, but the chained trace has a final decision: the run row was altered"
        )
    opened = [
        s.output for s in steps if s.kind == "tool" and s.node == "escalation" and isinstance(s.output, dict)
    ]
    reviewed = [s.output for s in steps if s.kind == "interrupt" and s.agent == "reviewer" and s.output]
    if run.status == "awaiting_review" and not opened:
        problems.append(
            "the run row says awaiting_review, but the chained trace never escalated: the run row was altered"
        )
    if reviewed and not opened:
        problems.append("the chained trace has a review but no escalation: a review was forged")
    if opened and escalation is None:
        problems.append(
            "the chained trace opened an escalation that is not in the escalation table: it was deleted"
        )
    elif escalation is not None and not opened:
        if run.status != "running":
            problems.append(
                "the escalation table has an escalation the chained trace never opened: it was inserted"
            )
    elif escalation is not None:
        row = escalation.model_dump(mode="json")
        copy = dict(opened[-1])
        for field, value in row.items():
            if field == "status":
                continue
            if field in copy and copy[field] != value:
                problems.append(
                    f"escalation {field} is {value!r}, the chained trace says {copy[field]!r}: altered"
                )
        want = "resolved" if reviewed or unapplied else "open"
        if escalation.status != want and not (escalation.status == "resolved" and run.status == "running"):
            problems.append(
                f"escalation status is {escalation.status}, the chained trace says {want}: altered"
            )


def _case(store: SqlAuditStore, run: RunRecord, steps: list[TraceStep], problems: list[str]) -> None:
    """The stored case against the digest the run's start record (or its last erasure) committed."""
    committed = committed_case(steps)
    if committed is None:
        if run.status == "running":
            # A finished run's case is sealed by its log entry; an unfinished one only by this.
            problems.append(
                "the run has no start record committing its case: it was cut from the trace, "
                "or the run was started before runs had one; it cannot be recovered safely"
            )
        return
    case = _read("the stored case", problems, lambda: store.get_case(run.run_id))
    if digest(case) != committed:
        problems.append(
            "the stored case is not the one the run's start record committed: the case was edited"
        )
    start = steps[0]
    started = {**(start.output or {}), "case_id": start.case_id, "started": start.started}
    for field in ("case_id", "case_kind", "agent", "agent_version", "policy_version", "started"):
        if getattr(run, field) != started.get(field):
            problems.append(
                f"the run row says {field} {getattr(run, field)!s}, its start record {started.get(field)!s}: "
                "the run row was altered"
            )


def check_log(
    entries: list[dict[str, Any]], trusted: TrustedKeys | None, problems: list[str]
) -> dict[str, dict[str, Any]]:
    """Check a log's links, hashes and signatures (the database's, or an export), adding
    what is wrong to `problems`; return the newest entry of each run."""
    latest: dict[str, dict[str, Any]] = {}
    prev = ""
    for expected, entry in enumerate(entries, start=1):
        where = f"log entry {entry.get('seq')} (run {entry.get('run_id')})"
        if entry.get("seq") != expected:
            problems.append(f"{where}: expected entry {expected}: log entries were deleted")
        if entry.get("prev_entry_hash") != prev:
            problems.append(f"{where}: its link does not match the entry before it: the log was altered")
        try:
            recomputed = entry_hash(entry)
        except (TypeError, ValueError) as exc:
            problems.append(unreadable(where, exc))
            recomputed = ""
        if recomputed != entry.get("entry_hash"):
            problems.append(f"{where}: its content does not match its hash: altered")
        elif trusted is not None:
            wrong = trusted.verify(
                entry.get("key_id"), str(entry.get("entry_hash")).encode(), entry.get("signature")
            )
            if wrong:
                problems.append(f"{where}: {wrong}")
        prev = str(entry.get("entry_hash"))
        latest[str(entry.get("run_id"))] = entry
    return latest


def verify_store(
    store: SqlAuditStore, *, run_id: str | None = None, trusted: TrustedKeys | None = None
) -> list[RunCheck]:
    """Check one run, or every run the database mentions (`run_id` None), and the log.

    `trusted`: the public keys log entries must be signed by; None skips signatures.
    """
    log_problems: list[str] = []
    try:
        entries = store.log_entries()
    except Exception as exc:
        entries = []
        log_problems.append(unreadable("the log of run heads", exc))
    latest = check_log(entries, trusted, log_problems)
    chosen = [run_id] if run_id is not None else store.run_ids()
    results = [_run(store, rid, latest.get(rid)) for rid in chosen]
    if run_id is None or log_problems:
        results.append(
            RunCheck(
                LOG,
                not log_problems,
                len(entries),
                entries[-1]["entry_hash"] if entries else "",
                log_problems,
            )
        )
    return results


def _run(store: SqlAuditStore, run_id: str, logged: dict[str, Any] | None) -> RunCheck:
    if logged is not None and logged.get("status") == DELETED:
        return _deleted(store, run_id, logged)
    problems: list[str] = []
    run: RunRecord | None = None
    try:
        run = _read("the run row", problems, lambda: store.get_run(run_id))
    except RunNotFound:
        missing = True
    else:
        missing = False
    steps = _read("a trace step", problems, lambda: store.steps(run_id))
    if missing and (steps or logged is None):
        problems.append("the run row is missing: it was deleted (other records of the run remain)")
    decisions = _read("a decision record", problems, lambda: store.decisions(run_id))
    reviews = _read("a review record", problems, lambda: store.reviews(run_id))
    escalation = _read("the escalation row", problems, lambda: store.escalation(run_id))
    head = ""
    if steps is not None:
        if run is None:
            run_for_chain = RunRecord(
                run_id=run_id,
                case_id="?",
                case_kind="?",
                agent="?",
                agent_version="?",
                policy_version="?",
                status="running",
            )
        else:
            run_for_chain = run
        unapplied = int(
            run is not None
            and run.status in ("awaiting_review", "running")
            and escalation is not None
            and escalation.status == "resolved"
            and logged is not None
            and logged.get("status") == "awaiting_review"
            and str(logged.get("seal")).startswith(SEAL_V2)
        )
        found = verify_run(run_for_chain, steps, decisions or [], reviews or [], unapplied=unapplied)
        head = found.head
        problems.extend(found.problems)
        if run is not None:
            _columns(run, steps, escalation, problems, unapplied=bool(unapplied and reviews))
            _case(store, run, steps, problems)
    if logged is not None:
        _against_log(store, run_id, run, steps, logged, problems)
    elif run is not None and run.status != "running":
        problems.append(
            f"the run is {run.status} but not in the log of run heads: it was inserted, "
            "or recorded before the log existed (migration 0004)"
        )
    return RunCheck(run_id, not problems, len(steps or []), head, problems)


def _deleted(store: SqlAuditStore, run_id: str, logged: dict[str, Any]) -> RunCheck:
    """A run whose newest log entry records its deletion by retention: nothing of it may be
    left, and the entry must be a deletion's (its signature was checked with the log)."""
    problems: list[str] = []
    where = f"the log lists this run as deleted by retention (entry {logged.get('seq')})"
    if not str(logged.get("seal")).startswith(DELETED_SEAL):
        problems.append(f"{where}, but the entry is not a deletion's: the log was altered")
    try:
        store.get_run(run_id)
        problems.append(f"{where}, but its run row is in the database: it was inserted again")
    except RunNotFound:
        pass
    except Exception as exc:
        problems.append(unreadable("the run row", exc))
    for what, read in (
        ("trace step", store.steps),
        ("decision record", store.decisions),
        ("review", store.reviews),
    ):
        found = _read(f"a {what}", problems, lambda read=read: read(run_id))  # type: ignore[misc]
        if found:
            problems.append(f"{where}, but {len(found)} {what}(s) of it are in the database: inserted again")
    if _read("the escalation row", problems, lambda: store.escalation(run_id)) is not None:
        problems.append(f"{where}, but its escalation is in the database: inserted again")
    return RunCheck(run_id, not problems, 0, str(logged.get("head_hash") or ""), problems, deleted=True)


def _against_log(
    store: SqlAuditStore,
    run_id: str,
    run: RunRecord | None,
    steps: list[TraceStep] | None,
    logged: dict[str, Any],
    problems: list[str],
) -> None:
    n, logged_head = logged["steps"], logged["head_hash"]
    if run is None and steps == []:
        problems.append(
            f"the log lists this run (entry {logged['seq']}) but the database has none of it: the run was deleted"
        )
        return
    if steps is not None:
        at = next((s for s in steps if s.seq == n), None)
        if n and at is None:
            problems.append(
                f"the log lists {n} step(s) ending in {logged_head[:12]}…, but the trace has {len(steps)}: steps were deleted"
            )
        elif n and at is not None and at.hash != logged_head:
            problems.append(
                f"step {n} no longer has the head hash the log lists ({logged_head[:12]}…): the chain was rewritten"
            )
    if run is None:
        return
    applying = False
    if run.status == "running":
        # Logged running: its start; logged awaiting review: a review is being applied.
        if logged["status"] not in ("running", "awaiting_review"):
            problems.append(
                f"the run row says running, but the log lists it {logged['status']}: the run row was altered"
            )
        if logged["status"] != "awaiting_review":
            return
        applying = True
    try:
        row, escalation, records = store.sealed_rows(run_id)
        if applying:
            # Applying a review moves the run to running and changes nothing else sealed.
            row = {**(row or {}), "status": "awaiting_review"}
        versioned = str(logged["seal"]).startswith(SEAL_V2)
        now = seal(row or {}, escalation, records if versioned else None)
    except Exception as exc:
        problems.append(unreadable("the run row", exc))
        return
    if now != logged["seal"]:
        problems.append(
            f"the run row or its escalation changed after log entry {logged['seq']} sealed them "
            f"(status, decision, versions, times, head, case, escalation, decisions or reviews): altered"
        )


def compare_export(exported: list[dict[str, Any]], stored: list[dict[str, Any]]) -> list[str]:
    """What differs between an exported log and the database's: entries missing or changed."""
    problems: list[str] = []
    by_seq = {e.get("seq"): e for e in stored}
    for entry in exported:
        mine = by_seq.get(entry.get("seq"))
        where = f"exported entry {entry.get('seq')} (run {entry.get('run_id')})"
        if mine is None:
            problems.append(f"{where} is missing from the database")
        elif mine.get("entry_hash") != entry.get("entry_hash"):
            problems.append(f"{where} differs from the database's: changed")
    return problems


def compare_exports(older: list[dict[str, Any]], newer: list[dict[str, Any]]) -> list[str]:
    """What differs between two exports of one log taken at different times: the older must
    be a prefix of the newer, entry for entry (an append-only log only grows)."""
    problems: list[str] = []
    if len(newer) < len(older):
        problems.append(
            f"the newer export has {len(newer)} entries, the older {len(older)}: entries were removed"
        )
    for old, new in zip(older, newer, strict=False):
        if old.get("seq") != new.get("seq") or old.get("entry_hash") != new.get("entry_hash"):
            problems.append(
                f"entry {old.get('seq')} (run {old.get('run_id')}) differs between the exports: "
                "the log was rewritten"
            )
    return problems
