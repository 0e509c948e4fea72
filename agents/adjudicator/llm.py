"""The model adjudicator: a verdict by structured output (function calling).

The model answers through one forced function call whose arguments are validated
against `ModelVerdict`. An answer that does not parse, or that cites a clause policy
retrieval did not return, gets one repair attempt with the error; after that a
malformed answer escalates with the reason, and a bad citation is left for the guard to
refuse and record. When the model stays unavailable, the rules agent's verdict stands
only for a confident reject or restrict; anything else escalates as `model_unavailable`.

With `screen_settles` (on by default), a case the learned risk screen settles is decided
without a model call: the rules approve it (no rule signal, the screen below its approval
threshold) or reject or restrict it (the screen at its decision threshold, or a rule
violation the screen confirms at that threshold, citing a retrieved clause). The model
is asked about everything between, with the screen's reading in its prompt.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, Field

from auditgraph.agents.adjudicator import prompts
from auditgraph.agents.adjudicator.assurance import read_screen
from auditgraph.agents.adjudicator.rules import RulesAdjudicator
from auditgraph.agents.adjudicator.schema import Verdict
from auditgraph.agents.calls import ModelCall
from auditgraph.agents.evidence import EvidenceSet
from auditgraph.agents.model import ModelSpec, ModelUnavailable, call_model
from auditgraph.tools.case import AnyCase

__all__ = ["LlmAdjudicator", "ModelVerdict"]


class ModelVerdict(BaseModel):
    """Your verdict on this moderation case."""

    decision: Literal["approve", "reject", "restrict", "escalate"] = Field(
        description="approve, reject, restrict, or escalate to a human."
    )
    clause_ids: list[str] = Field(
        default_factory=list, description="Ids of the POLICY CLAUSES the decision rests on."
    )
    confidence: float = Field(ge=0, le=1, description="Probability a senior reviewer agrees, 0 to 1.")
    # No length bounds in the schema: servers that turn schemas into grammars (llama.cpp)
    # expand a 2,000-character bound into a grammar they cannot parse. Length is
    # enforced when the answer becomes a Verdict.
    rationale: str = Field(description="Why, naming the evidence.")
    evidence_refs: list[str] = Field(default_factory=list, description="The findings relied on.")


class LlmAdjudicator:
    """Decides with a chat model; repairs once; falls back to the rules agent safely."""

    def __init__(
        self,
        model: BaseChatModel,
        spec: ModelSpec,
        *,
        fallback_confidence: float = 0.9,
        screen_settles: bool = True,
    ) -> None:
        self._structured = model.with_structured_output(
            ModelVerdict, method="function_calling", include_raw=True
        )
        self._spec = spec
        self._rules = RulesAdjudicator()
        self._fallback_confidence = fallback_confidence
        self.screen_settles = screen_settles
        self.version = f"llm-adjudicator/1:{spec.model}"

    def adjudicate(self, case: AnyCase, evidence: EvidenceSet) -> Verdict:
        """The model's verdict on `case`, every attempt recorded in `model_calls`."""
        if self.screen_settles and (settled := self._settled(case, evidence)) is not None:
            return settled
        calls: list[ModelCall] = []
        prompt = prompts.messages(case, evidence)
        retrieved = evidence.retrieved_clauses()
        try:
            answer, problem = self._ask(prompt, "adjudicate", calls)
            problem = problem or _grounds_problem(answer, retrieved)
            if problem is not None:
                repair = [*prompt, HumanMessage(prompts.REPAIR.format(error=problem))]
                repaired, repair_problem = self._ask(repair, "repair", calls)
                # A repaired answer replaces the first even if its grounds are still
                # wrong: the guard refuses and records those. Only an unparsable pair
                # of answers ends here.
                if repaired is not None:
                    answer, problem = repaired, None
                elif answer is None:
                    problem = repair_problem
        except ModelUnavailable as exc:
            return self._fallback(case, evidence, str(exc), calls)
        if answer is None:
            return Verdict(
                decision="escalate",
                confidence=0.0,
                rationale=f"The model's answer was unusable after one repair: {problem}.",
                areas=evidence.flagged_areas(),  # type: ignore[arg-type]
                escalation_reasons=["malformed_model_output"],
                model_calls=calls,
            )
        areas = set(evidence.flagged_areas()) | {
            retrieved[c].area for c in answer.clause_ids if c in retrieved
        }
        return Verdict(
            decision=answer.decision,
            clause_ids=answer.clause_ids,
            confidence=answer.confidence,
            rationale=answer.rationale.strip()[:2000] or "(no rationale given)",
            evidence_refs=answer.evidence_refs,
            areas=sorted(areas),  # type: ignore[arg-type]
            escalation_reasons=["model_escalated"] if answer.decision == "escalate" else [],
            model_calls=calls,
        )

    def _ask(
        self, prompt: list[BaseMessage], purpose: Literal["adjudicate", "repair"], calls: list[ModelCall]
    ) -> tuple[ModelVerdict | None, str | None]:
        result: dict[str, Any] = call_model(
            lambda: self._structured.invoke(prompt),
            spec=self._spec,
            purpose=purpose,
            prompt_version=prompts.PROMPT_VERSION,
            calls=calls,
            describe=_describe,
        )
        answer = result.get("parsed")
        if not isinstance(answer, ModelVerdict):
            error = result.get("parsing_error")
            return None, f"{type(error).__name__}: {error}" if error else "no ModelVerdict call in the answer"
        return answer, None

    def _settled(self, case: AnyCase, evidence: EvidenceSet) -> Verdict | None:
        """The rules' verdict when the screen settles the case, else None (ask the model)."""
        screen = read_screen(evidence)
        if screen is None or screen.band == "uncertain":
            return None
        rules = self._rules.adjudicate(case, evidence)
        settles = (screen.band == "clear" and rules.decision == "approve") or (
            screen.band == "confident" and rules.decision in ("reject", "restrict")
        )
        if not settles:
            return None
        return rules.model_copy(
            update={"rationale": f"Settled by the risk screen without a model call. {rules.rationale}"}
        )

    def _fallback(self, case: AnyCase, evidence: EvidenceSet, why: str, calls: list[ModelCall]) -> Verdict:
        rules = self._rules.adjudicate(case, evidence)
        if rules.decision in ("reject", "restrict") and rules.confidence >= self._fallback_confidence:
            return rules.model_copy(
                update={
                    "rationale": f"Model unavailable ({why}); the rules agent decided. {rules.rationale}",
                    "model_calls": calls,
                }
            )
        proposed = rules.decision if rules.decision != "escalate" else rules.proposed_decision
        return rules.model_copy(
            update={
                "decision": "escalate",
                "proposed_decision": proposed,
                "escalation_reasons": list(dict.fromkeys(["model_unavailable", *rules.escalation_reasons])),
                "rationale": f"Model unavailable ({why}). Rules agent: {rules.rationale}",
                "model_calls": calls,
            }
        )


def _grounds_problem(answer: ModelVerdict | None, retrieved: dict[str, Any]) -> str | None:
    if answer is None:
        return None
    unknown = [c for c in answer.clause_ids if c not in retrieved]
    if unknown:
        return f"clause ids {unknown} are not in the POLICY CLAUSES list"
    if answer.decision in ("reject", "restrict") and not answer.clause_ids:
        return f"a {answer.decision} must cite the clause ids it rests on"
    return None


def _describe(result: dict[str, Any]) -> tuple[AIMessage | None, dict[str, Any]]:
    raw = result.get("raw")
    parsed = result.get("parsed")
    error = result.get("parsing_error")
    output: dict[str, Any] = {
        "parsed": parsed.model_dump(mode="json") if isinstance(parsed, BaseModel) else None,
        "parsing_error": f"{type(error).__name__}: {error}"[:500] if error else None,
    }
    if isinstance(raw, AIMessage) and not isinstance(parsed, BaseModel):
        output["raw_tool_calls"] = [c.get("args") for c in raw.tool_calls] or [
            c.get("args") for c in raw.invalid_tool_calls
        ]
    return (raw if isinstance(raw, AIMessage) else None), output
