"""A run keeps the policy pack it was audited under: reviewed, quoted and explained from
that pack after a newer one comes into force."""

from __future__ import annotations

import dataclasses
import json

import pytest
from typer.testing import CliRunner

from auditgraph.service.cli.app import app
from auditgraph.tools.policy_retrieval import PolicyIndex, PolicyPack
from auditgraph.workflows import Auditor, ReviewError
from tests.conftest import load_case

runner = CliRunner()
REJECT = {"reviewer": "ann", "decision": "reject", "reason": "Replica wording in the title."}


def _under(auditor: Auditor, pack: PolicyPack) -> Auditor:
    """The same store and checkpoints, with `pack` in force (as before an upgrade)."""
    return Auditor(
        store=auditor.store,
        toolset=dataclasses.replace(auditor.toolset, policy=PolicyIndex(pack)),
        agent=auditor.agent,
        checkpointer=auditor.graph.checkpointer,
    )


@pytest.fixture
def earlier_run(auditor: Auditor) -> str:
    """A run audited under pack 2026.11.1 and paused for review."""
    before = _under(auditor, auditor.toolset.packs.pack("2026.11.1"))
    first = before.audit(load_case("injection_in_description"))
    assert first.status == "awaiting_review"
    return first.run_id


def test_a_run_from_2026_11_1_is_reviewed_and_quoted_under_its_own_pack(
    auditor: Auditor, earlier_run: str
) -> None:
    assert auditor.policy_version == "2026.12.1"
    assert auditor.store.get_run(earlier_run).policy_version == "2026.11.1"
    # FIR-2 came with 2026.12.1: not a ground this run can rest on.
    with pytest.raises(ReviewError, match=r"unknown clause ids \['FIR-2'\] in policy pack 2026\.11\.1"):
        auditor.review(earlier_run, REJECT | {"clause_ids": ["FIR-2"]})
    final = auditor.review(earlier_run, REJECT | {"clause_ids": ["CIP-1"]})
    assert final.decision is not None
    statement = final.decision.statement_of_reasons or ""
    assert "Grounds (policy pack 2026.11.1)" in statement
    assert "CIP-1 Counterfeit branded goods (policy 2026.11.1)" in statement
    assert {s.policy_version for s in auditor.store.steps(earlier_run)} == {"2026.11.1"}


def test_a_run_under_a_pack_that_is_not_kept_is_not_reviewed(auditor: Auditor) -> None:
    gone = auditor.toolset.packs.pack("2026.11.1").model_copy(update={"version": "2025.1.1"})
    first = _under(auditor, gone).audit(load_case("injection_in_description"))
    with pytest.raises(ReviewError, match=r"audited under policy pack 2025\.1\.1, which cannot be opened"):
        auditor.review(first.run_id, REJECT)


def test_trace_explains_the_clauses_of_an_earlier_run_from_its_pack(
    auditor: Auditor, earlier_run: str
) -> None:
    auditor.review(earlier_run, REJECT | {"clause_ids": ["CIP-1"]})
    shown = runner.invoke(app, ["trace", earlier_run])
    assert shown.exit_code == 0, shown.output
    assert "policy 2026.11.1" in shown.output
    assert "CIP-1 Counterfeit branded goods (counterfeit_ip, high, reject; policy 2026.11.1)" in shown.output
    body = json.loads(runner.invoke(app, ["trace", earlier_run, "--json"]).stdout)
    assert body["clauses"]["policy_version"] == "2026.11.1"
    assert body["clauses"]["found"]["CIP-1"]["title"] == "Counterfeit branded goods"
    assert body["clauses"]["found"]["CIP-1"]["dsa_category"] is None
    assert body["clauses"]["problem"] is None


def test_trace_of_a_current_run_names_its_dsa_category(auditor: Auditor) -> None:
    done = auditor.audit(load_case("switchblade_collector"))
    shown = runner.invoke(app, ["trace", done.run_id])
    assert shown.exit_code == 0, shown.output
    assert "WPN-4" in shown.output
    assert "policy 2026.12.1; DSA STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS" in shown.output
