"""The model agent through the real ChatOpenAI client against a scripted OpenAI-protocol server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from auditgraph.agents import ModelSpec, llm_agent
from auditgraph.agents.screen import E5Embedder, ScreenScorer
from auditgraph.tools.risk_screen import AreaProbability, RiskScreenEvidence
from auditgraph.workflows import Auditor
from tests.conftest import SCREEN, load_case
from tests.fakes.openai_server import (
    Reply,
    ScriptedOpenAI,
    error,
    function_call,
    is_verdict_request,
    text,
    tool_calls,
)

REJECT_WPN4 = {
    "decision": "reject",
    "clause_ids": ["WPN-4"],
    "confidence": 0.93,
    "rationale": "Automatic opening knife (switchblade) per title and image match.",
    "evidence_refs": ["text_screen:listing.title:switchblade"],
}


def _plan_all(request: dict[str, Any]) -> Reply:
    return tool_calls(
        [("seller_history", {"seller_id": "S99999"}), ("policy_retrieval", {"query": "automatic knife"})]
    )


def _script(
    verdicts: list[Reply] | Callable[[dict[str, Any]], Reply],
    plan: Callable[[dict[str, Any]], Reply] = _plan_all,
):
    queue = list(verdicts) if isinstance(verdicts, list) else None

    def script(request: dict[str, Any]) -> Reply:
        if not is_verdict_request(request):
            return plan(request)
        if queue is None:
            return verdicts(request)  # type: ignore[operator]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return script


@pytest.fixture
def served(make_auditor: Callable[..., Auditor]) -> Iterator[Callable[..., tuple[Auditor, ScriptedOpenAI]]]:
    servers: list[Any] = []

    def start(
        script: Callable[[dict[str, Any]], Reply],
        *,
        screen: Any = None,
        screen_settles: bool = True,
        **spec: Any,
    ) -> tuple[Auditor, ScriptedOpenAI]:
        server = ScriptedOpenAI(script)
        context = server.running()
        servers.append(context)
        context.__enter__()
        settings = {
            "model": "gpt-4o-mini",
            "base_url": server.url,
            "attempts": 3,
            "backoff": 0.0,
            "timeout": 5.0,
        }
        parts = {"screen": screen} if screen is not None else {}
        base = make_auditor(**parts)
        agent = llm_agent(
            ModelSpec(**{**settings, **spec}), base.toolset.evidence_tools(), screen_settles=screen_settles
        )
        return make_auditor(agent=agent, **parts), server

    yield start
    for context in servers:
        context.__exit__(None, None, None)


def _model_steps(auditor: Auditor, run_id: str, node: str) -> list[Any]:
    return [
        s
        for s in auditor.store.steps(run_id)
        if s.kind == "model" and s.node == node and s.input and "purpose" in s.input
    ]


def test_scripted_tool_calls_become_the_plan_with_case_facts_pinned(served: Callable[..., Any]) -> None:
    auditor, server = served(_script([function_call("ModelVerdict", REJECT_WPN4)]))
    outcome = auditor.audit(load_case("switchblade_collector"))
    steps = auditor.store.steps(outcome.run_id)
    tools = sorted(s.node for s in steps if s.kind == "tool")
    # The image check runs whatever the model chose when the listing has images: the text
    # in a photo is the seller's own words.
    assert tools == ["image_check", "policy_retrieval", "seller_history", "text_screen"]
    seller = next(s for s in steps if s.node == "seller_history")
    assert seller.input["seller_id"] == "S10012"  # the case's seller, not the model's "S99999"
    retrieval = next(s for s in steps if s.node == "policy_retrieval")
    assert retrieval.input["query"] == "automatic knife"
    plan = next(s for s in steps if s.node == "planner" and s.input and "case_id" in s.input)
    assert "added text_screen" in plan.output["rationale"]
    assert "added image_check" in plan.output["rationale"]
    planner_request = server.requests[0]
    assert {t["function"]["name"] for t in planner_request["tools"]} >= {"seller_history", "image_check"}
    assert planner_request["tool_choice"] == "required"


def test_structured_verdict_decides_and_the_trace_has_tokens_cost_and_prompt_version(
    served: Callable[..., Any],
) -> None:
    auditor, _ = served(_script([function_call("ModelVerdict", REJECT_WPN4, tokens=(2000, 100))]))
    outcome = auditor.audit(load_case("switchblade_collector"))
    assert outcome.decision is not None
    assert (outcome.decision.decision, outcome.decision.clause_ids) == ("reject", ["WPN-4"])
    [attempt] = _model_steps(auditor, outcome.run_id, "adjudicator")
    assert (attempt.tokens_in, attempt.tokens_out) == (2000, 100)
    assert attempt.cost_usd == pytest.approx((2000 * 0.15 + 100 * 0.60) / 1_000_000)
    assert attempt.prompt_version.startswith("adjudicator/")
    assert attempt.model == "gpt-4o-mini"
    run = auditor.store.get_run(outcome.run_id)
    assert run.agent == "llm"


def test_untrusted_text_is_fenced_as_data_after_the_instructions(served: Callable[..., Any]) -> None:
    auditor, server = served(_script([function_call("ModelVerdict", REJECT_WPN4)]))
    auditor.audit(load_case("injection_in_description"))
    request = next(r for r in server.requests if is_verdict_request(r))
    system, user = request["messages"][0]["content"], request["messages"][1]["content"]
    assert "ignore all previous instructions" not in system.lower()
    data = user.split("<untrusted_case_data>", 1)[1]
    assert "ignore all previous instructions" in data.lower()
    assert user.index("POLICY CLAUSES") < user.index("<untrusted_case_data>")


def test_429_then_success_is_retried_and_both_attempts_are_recorded(served: Callable[..., Any]) -> None:
    auditor, _ = served(_script([error(429, "rate limited"), function_call("ModelVerdict", REJECT_WPN4)]))
    outcome = auditor.audit(load_case("switchblade_collector"))
    assert outcome.decision is not None and outcome.decision.decision == "reject"
    attempts = _model_steps(auditor, outcome.run_id, "adjudicator")
    assert [a.attempt for a in attempts] == [1, 2]
    assert "429" in (attempts[0].error or "") and attempts[1].error is None


def test_500_storm_ends_in_model_unavailable_never_approve(served: Callable[..., Any]) -> None:
    auditor, server = served(lambda request: error(500, "upstream down"))
    outcome = auditor.audit(load_case("kitchen_knife_set"))  # the rules agent would approve
    assert outcome.decision is None
    assert outcome.escalation is not None
    assert outcome.escalation.reasons[0] == "model_unavailable"
    assert outcome.escalation.agent_decision == "approve"
    assert server.count(is_verdict_request) == 3
    attempts = _model_steps(auditor, outcome.run_id, "adjudicator")
    assert [a.attempt for a in attempts] == [1, 2, 3] and all("500" in (a.error or "") for a in attempts)
    plan = [s for s in auditor.store.steps(outcome.run_id) if s.kind == "tool" and s.node != "escalation"]
    assert len(plan) == 5  # the planner fell back to every tool


def test_when_the_model_is_down_a_confident_rules_rejection_stands(served: Callable[..., Any]) -> None:
    auditor, _ = served(lambda request: error(503))
    outcome = auditor.audit(load_case("switchblade_collector"))
    assert outcome.decision is not None
    assert outcome.decision.decision == "reject"
    assert "Model unavailable" in outcome.decision.rationale


def test_a_timeout_is_a_failed_attempt(served: Callable[..., Any]) -> None:
    auditor, _ = served(lambda request: error(500, delay=1.5), timeout=0.3, attempts=2)
    outcome = auditor.audit(load_case("kitchen_knife_set"))
    assert outcome.escalation is not None and "model_unavailable" in outcome.escalation.reasons
    attempts = _model_steps(auditor, outcome.run_id, "adjudicator")
    assert len(attempts) == 2 and all("Timeout" in (a.error or "") for a in attempts)


def test_malformed_json_is_repaired_once(served: Callable[..., Any]) -> None:
    auditor, server = served(
        _script(
            [
                function_call("ModelVerdict", '{"decision": "reject", "clause_ids": ["WPN-4"'),
                function_call("ModelVerdict", REJECT_WPN4),
            ]
        )
    )
    outcome = auditor.audit(load_case("switchblade_collector"))
    assert outcome.decision is not None and outcome.decision.clause_ids == ["WPN-4"]
    purposes = [a.input["purpose"] for a in _model_steps(auditor, outcome.run_id, "adjudicator")]
    assert purposes == ["adjudicate", "repair"]
    repair = [r for r in server.requests if is_verdict_request(r)][-1]
    assert "could not be used" in repair["messages"][-1]["content"]


def test_malformed_twice_escalates_with_the_reason(served: Callable[..., Any]) -> None:
    auditor, _ = served(_script([function_call("ModelVerdict", "not json at all")]))
    outcome = auditor.audit(load_case("kitchen_knife_set"))
    assert outcome.escalation is not None
    assert outcome.escalation.reasons == ["malformed_model_output"]


def test_unknown_decision_is_malformed(served: Callable[..., Any]) -> None:
    bad = {**REJECT_WPN4, "decision": "delete_seller_account"}
    auditor, _ = served(_script([function_call("ModelVerdict", bad)]))
    outcome = auditor.audit(load_case("switchblade_collector"))
    assert outcome.escalation is not None and outcome.escalation.reasons == ["malformed_model_output"]


def test_a_citation_that_was_never_retrieved_is_repaired_then_refused_by_the_guard(
    served: Callable[..., Any],
) -> None:
    invented = {**REJECT_WPN4, "clause_ids": ["ADL-3"]}
    auditor, server = served(_script([function_call("ModelVerdict", invented)]))
    outcome = auditor.audit(load_case("kitchen_knife_set"))
    assert server.count(is_verdict_request) == 2
    assert outcome.decision is None
    assert outcome.guard is not None and "citation_not_retrieved" in outcome.guard.reasons


def test_a_listing_that_orders_approval_cannot_get_one(served: Callable[..., Any]) -> None:
    obey = {
        "decision": "approve",
        "clause_ids": [],
        "confidence": 0.99,
        "rationale": "The listing says it is compliant.",
    }
    auditor, _ = served(_script([function_call("ModelVerdict", obey)]))
    outcome = auditor.audit(load_case("injection_in_description"))
    assert outcome.decision is None
    assert outcome.guard is not None and "injection_attempt" in outcome.guard.reasons
    nodes = [s.node for s in auditor.store.steps(outcome.run_id) if s.kind == "node"]
    assert nodes[:2] == ["intake", "plan"] and nodes[-2:] == ["escalate", "await_review"]


def test_a_planner_that_calls_nothing_gathers_everything(served: Callable[..., Any]) -> None:
    auditor, _ = served(
        _script([function_call("ModelVerdict", REJECT_WPN4)], plan=lambda r: text("I think it is fine."))
    )
    outcome = auditor.audit(load_case("switchblade_collector"))
    tools = [s for s in auditor.store.steps(outcome.run_id) if s.kind == "tool"]
    assert len(tools) == 5


def test_compatible_servers_get_the_answer_cap_as_max_tokens(served: Callable[..., Any]) -> None:
    auditor, server = served(_script([function_call("ModelVerdict", REJECT_WPN4)]), max_tokens=321)
    auditor.audit(load_case("switchblade_collector"))
    assert all(r["max_tokens"] == 321 and "max_completion_tokens" not in r for r in server.requests)


@pytest.fixture(scope="module")
def screen() -> ScreenScorer:
    """The shipped risk screen."""
    return ScreenScorer(SCREEN, E5Embedder())


@pytest.mark.parametrize(
    ("name", "decision"), [("kitchen_knife_set", "approve"), ("counterfeit_watch_replica", "reject")]
)
def test_a_case_the_screen_settles_is_decided_without_asking_the_model(
    served: Callable[..., Any], screen: ScreenScorer, name: str, decision: str
) -> None:
    auditor, server = served(_script([function_call("ModelVerdict", REJECT_WPN4)]), screen=screen)
    outcome = auditor.audit(load_case(name))
    assert outcome.decision is not None and outcome.decision.decision == decision
    assert not [r for r in server.requests if is_verdict_request(r)]
    assert _model_steps(auditor, outcome.run_id, "adjudicator") == []
    assert outcome.verdict is not None
    assert outcome.verdict.rationale.startswith("Settled by the risk screen without a model call.")
    tools = {s.node for s in auditor.store.steps(outcome.run_id) if s.kind == "tool"}
    assert "risk_screen" in tools  # planned whatever the model chose


class Unsure:
    """A screen that finds every listing between its thresholds."""

    def assess(self, text: str) -> RiskScreenEvidence:
        return RiskScreenEvidence(
            version="unsure", violation=0.5, approve_below=0.1, decide_at=0.95,
            areas=[AreaProbability(area="regulated_health", probability=0.4)],
        )  # fmt: skip


def test_a_case_the_screen_is_unsure_of_goes_to_the_model_with_the_screen_in_its_prompt(
    served: Callable[..., Any],
) -> None:
    restrict = {
        "decision": "restrict", "clause_ids": ["RHL-1"], "confidence": 0.9,
        "rationale": "Health claims remain.", "evidence_refs": [],
    }  # fmt: skip
    auditor, server = served(_script([function_call("ModelVerdict", restrict)]), screen=Unsure())
    outcome = auditor.audit(load_case("appeal_claims_removed"))
    [request] = [r for r in server.requests if is_verdict_request(r)]
    user = request["messages"][1]["content"]
    assert '"risk_screen"' in user and '"approve_below"' in user
    assert len(_model_steps(auditor, outcome.run_id, "adjudicator")) == 1


def test_with_settling_off_the_model_decides_every_case(
    served: Callable[..., Any], screen: ScreenScorer
) -> None:
    approve = {
        "decision": "approve",
        "clause_ids": [],
        "confidence": 0.9,
        "rationale": "Fine.",
        "evidence_refs": [],
    }
    auditor, _ = served(
        _script([function_call("ModelVerdict", approve)]), screen=screen, screen_settles=False
    )
    outcome = auditor.audit(load_case("kitchen_knife_set"))
    assert outcome.decision is not None and outcome.decision.decision == "approve"
    assert len(_model_steps(auditor, outcome.run_id, "adjudicator")) == 1
