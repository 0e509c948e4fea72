"""Escalation and review: the run pauses durably and a reviewer resumes it, in or across processes.

Every test on the wired auditor runs on a new SQLite file and on a new PostgreSQL schema
(as the app's runtime role), where the checkpoints are PostgresSaver's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor
from auditgraph.store import RunRecord
from auditgraph.workflows import Auditor, GuardPolicy, ReviewError
from tests.conftest import CASES, load_case


@pytest.fixture
def settings(settings_on_each_database: Settings) -> Settings:
    """The `auditor` and the CLI on SQLite, and on PostgreSQL."""
    return settings_on_each_database


def test_interrupt_round_trip(auditor: Auditor) -> None:
    first = auditor.audit(load_case("ip_report_needs_specialist"))
    assert first.status == "awaiting_review"
    state = auditor.graph.get_state({"configurable": {"thread_id": first.run_id}})
    assert state.next == ("await_review",)
    assert state.interrupts and state.interrupts[0].value["queue"] == "ip-specialists"
    assert [e.run_id for e in auditor.store.open_escalations()] == [first.run_id]

    final = auditor.review(
        first.run_id, {"reviewer": "alice", "decision": "approve", "reason": "Receipt checked; genuine."}
    )
    assert final.status == "completed"
    assert final.decision is not None
    assert final.decision.decision == "approve"
    assert final.decision.decided_by == "reviewer"
    assert auditor.store.open_escalations() == []
    [review] = auditor.store.reviews(first.run_id)
    assert review.reviewer == "alice"
    assert review.agent_decision == "escalate"
    assert review.overrode_agent is False


def test_reviewer_reject_reuses_the_agents_citations(auditor: Auditor) -> None:
    first = auditor.audit(load_case("injection_in_description"))
    assert first.escalation is not None
    final = auditor.review(
        first.run_id, {"reviewer": "bob", "decision": "reject", "reason": "Replica wording; injection."}
    )
    assert final.decision is not None
    assert final.decision.clause_ids == ["CIP-1"]
    steps = auditor.store.steps(first.run_id)
    assert [s.seq for s in steps] == list(range(1, len(steps) + 1))
    interrupts = [s for s in steps if s.kind == "interrupt"]
    assert [i.output.get("status") or i.output.get("decision") for i in interrupts] == [
        "awaiting_review",
        "reject",
    ]


def test_override_of_a_decided_verdict_is_marked(make_auditor: Callable[..., Auditor]) -> None:
    # A confidence bar above 0.99 makes the guard escalate the agent's reject.
    auditor = make_auditor(guard=GuardPolicy(confidence_bar=0.999))
    first = auditor.audit(load_case("switchblade_collector"))
    assert first.escalation is not None
    assert first.escalation.agent_decision == "reject"
    assert first.escalation.reasons == ["low_confidence_high_severity"]
    auditor.review(
        first.run_id, {"reviewer": "erin", "decision": "approve", "reason": "Display replica, blunt."}
    )
    [review] = auditor.store.reviews(first.run_id)
    assert review.overrode_agent is True
    assert review.clause_ids == []


# Validation refuses these before anything is written, the same on either database.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("review", "message"),
    [
        ({"reviewer": "", "decision": "approve", "reason": "ok"}, "reviewer"),
        ({"reviewer": "a", "decision": "escalate", "reason": "ok"}, "decision"),
        ({"reviewer": "a", "decision": "approve", "reason": ""}, "reason"),
        ({"reviewer": "a", "decision": "reject", "reason": "no clause"}, "needs the clause"),
        ({"reviewer": "a", "decision": "reject", "reason": "x", "clause_ids": ["XXX-9"]}, "unknown clause"),
        ({"reviewer": "   ", "decision": "approve", "reason": "ok"}, "reviewer"),
        ({"reviewer": "a", "decision": "approve", "reason": "  "}, "reason"),
        (
            {"reviewer": "a", "decision": "approve", "reason": "ok", "clause_ids": ["CIP-1"]},
            "leave out --clause",
        ),
        (
            {"reviewer": "a", "decision": "restrict", "reason": "x", "clause_ids": ["WPN-4"]},
            "WPN-4 removes the listing",
        ),
        ({"reviewer": "a", "decision": "reject", "reason": "x", "clause_ids": ["OFP-1"]}, "only restrict"),
    ],
)
def test_invalid_reviews_are_refused_and_the_run_still_waits(
    auditor: Auditor, review: dict, message: str
) -> None:
    first = auditor.audit(load_case("ip_report_needs_specialist"))
    with pytest.raises(ReviewError, match=message):
        auditor.review(first.run_id, review)
    assert auditor.store.get_run(first.run_id).status == "awaiting_review"
    assert auditor.store.reviews(first.run_id) == []


def test_reviewing_a_finished_run_is_refused(auditor: Auditor) -> None:
    done = auditor.audit(load_case("kitchen_knife_set"))
    with pytest.raises(ReviewError, match="not awaiting review"):
        auditor.review(
            done.run_id, {"reviewer": "a", "decision": "reject", "reason": "x", "clause_ids": ["WPN-4"]}
        )


def test_reviewing_a_run_left_running_points_at_recover(auditor: Auditor) -> None:
    # What a process that died mid-run leaves: a run `running`, its escalation maybe queued.
    run = RunRecord(
        run_id="run_left000running", case_id="c1", case_kind="ip_report", agent="rules",
        agent_version="v", policy_version="p",
    )  # fmt: skip
    auditor.store.start_run(run, load_case("ip_report_needs_specialist"))
    with pytest.raises(ReviewError, match="auditgraph recover run_left000running"):
        auditor.review(run.run_id, {"reviewer": "a", "decision": "approve", "reason": "x"})
    assert auditor.store.reviews(run.run_id) == []


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditgraph.service", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        check=False,
    )


@pytest.mark.slow
def test_resume_in_a_second_process(settings: Settings) -> None:
    first = _cli("run", str(CASES / "ip_report_needs_specialist.json"), "--json")
    assert first.returncode == 0, first.stderr
    run_id = json.loads(first.stdout)["run_id"]
    assert json.loads(first.stdout)["status"] == "awaiting_review"

    second = _cli(
        "review", run_id, "--decision", "reject", "--clause", "CIP-1",
        "--reason", "Serial number not in the brand's records.", "--reviewer", "dana", "--json",
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["decision"] == "reject"

    with open_auditor(settings) as auditor:
        steps = auditor.store.steps(run_id)
        verdicts = [s for s in steps if s.kind == "model" and s.node == "adjudicator"]
        reviews = [s for s in steps if s.kind == "interrupt" and s.agent == "reviewer"]
        assert verdicts[0].output["decision"] == "escalate"
        assert reviews[0].output["reviewer"] == "dana"
        assert reviews[0].output["decision"] == "reject"
        [decision] = auditor.store.decisions(run_id)
        assert decision.decided_by == "reviewer"
        assert auditor.store.get_run(run_id).status == "completed"


def test_a_reviewer_may_cite_a_clause_retrieval_missed_and_the_seller_sees_its_text(auditor: Auditor) -> None:
    first = auditor.audit(load_case("unknown_seller"))
    final = auditor.review(
        first.run_id,
        {"reviewer": "a", "decision": "reject", "reason": "Pirated copy.", "clause_ids": ["CIP-4"]},
    )
    assert final.decision is not None
    statement = final.decision.statement_of_reasons or ""
    assert "CIP-4 Copyright infringement" in statement
    assert "human reviewer" in statement
