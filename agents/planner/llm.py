"""The model planner: the model picks evidence tools through tool calling (bind_tools).

The model chooses which tools to call and how to query the policy; facts about the case
(seller id, images, texts, price) are pinned to the case's own values, so a model that
misreads or is misled by the listing cannot point a tool at another seller. Policy
retrieval and the text screen always run: citations need the first, and injection
detection the second; so does the image check when the listing has images (it reads
their text, the seller's own words too). If the model is unavailable or calls nothing,
every tool runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.tools import BaseTool

from auditgraph.agents.calls import ModelCall
from auditgraph.agents.model import ModelSpec, ModelUnavailable, call_model
from auditgraph.agents.planner import prompts
from auditgraph.agents.planner.rules import RulesPlanner
from auditgraph.agents.planner.schema import Plan, ToolCall
from auditgraph.tools.case import POLICY_AREAS, AnyCase
from auditgraph.tools.risk_screen import RiskScorer

__all__ = ["ALWAYS", "LlmPlanner"]

ALWAYS = ("policy_retrieval", "text_screen", "risk_screen", "image_check")
"""Tools that run whatever the model chose (the risk screen when the toolset has one, the
image check when the listing has images): the guard and the screen's assurance need them,
the text in a photo is the seller's own words, and they cost no model call."""
_PINNED: dict[str, tuple[str, ...]] = {
    "seller_history": ("seller_id", "as_of"),
    "image_check": ("images", "seller_id"),
    "text_screen": ("texts",),
    "brand_check": ("text", "brand", "price", "currency"),
    "policy_retrieval": ("category", "clause_ids", "topics"),
    "risk_screen": ("title", "description"),
}


class LlmPlanner:
    """Plans with a chat model's tool calls; falls back to every tool."""

    def __init__(
        self,
        model: BaseChatModel,
        tools: Mapping[str, BaseTool],
        spec: ModelSpec,
        *,
        screen: RiskScorer | None = None,
    ) -> None:
        self._bound = model.bind_tools(list(tools.values()), tool_choice=spec.tool_choice)
        self._spec = spec
        # The case's own arguments, the areas the risk screen finds likely among them.
        self._rules = RulesPlanner(risk_screen="risk_screen" in tools, screen=screen)
        self.version = f"llm-planner/1:{spec.model}"

    def plan(self, case: AnyCase) -> Plan:
        """The tool calls for `case`, with the model's attempts recorded."""
        defaults = {c.tool: c for c in self._rules.plan(case).calls}
        calls: list[ModelCall] = []
        try:
            message = call_model(
                lambda: self._bound.invoke(prompts.messages(case)),
                spec=self._spec,
                purpose="plan",
                prompt_version=prompts.PROMPT_VERSION,
                calls=calls,
                describe=_describe,
            )
        except ModelUnavailable as exc:
            return Plan(
                calls=list(defaults.values()),
                rationale=f"Model unavailable ({exc}); gathering all evidence.",
                model_calls=calls,
            )
        chosen: dict[str, ToolCall] = {}
        notes: list[str] = []
        for tool_call in message.tool_calls:
            name = tool_call["name"]
            if name not in defaults:
                notes.append(f"ignored unknown tool {name!r}")
            elif name not in chosen:
                chosen[name] = ToolCall(tool=name, args=_pin(name, tool_call["args"], defaults[name].args))  # type: ignore[arg-type]
        if not chosen:
            return Plan(
                calls=list(defaults.values()),
                rationale="The model chose no tools; gathering all evidence.",
                model_calls=calls,
            )
        picked = ", ".join(chosen)
        for name in ALWAYS:
            if name == "image_check" and not case.listing.images:
                continue
            if name not in chosen and name in defaults:
                chosen[name] = defaults[name]
                notes.append(f"added {name}")
        return Plan(
            calls=list(chosen.values()),
            rationale=f"The model chose {picked}." + (f" ({'; '.join(notes)})" if notes else ""),
            model_calls=calls,
        )


def _pin(tool: str, args: Any, case_args: dict[str, Any]) -> dict[str, Any]:
    chosen = dict(args) if isinstance(args, dict) else {}
    pinned = {k: case_args[k] for k in _PINNED.get(tool, ()) if k in case_args}
    if tool == "policy_retrieval":
        areas = chosen.get("areas") if isinstance(chosen.get("areas"), list) else []
        pinned["areas"] = list(dict.fromkeys([*case_args["areas"], *(a for a in areas if a in POLICY_AREAS)]))
        query = chosen.get("query")
        pinned["query"] = query if isinstance(query, str) and query.strip() else case_args["query"]
        chosen.pop("k", None)  # the planner's default depth, not the model's
    return {**{k: v for k, v in chosen.items() if k in _allowed(tool)}, **pinned}


def _allowed(tool: str) -> set[str]:
    return {"query", "areas"} if tool == "policy_retrieval" else set()


def _describe(message: AIMessage) -> tuple[AIMessage, dict[str, Any]]:
    return message, {
        "tool_calls": [{"name": c["name"], "args": c["args"]} for c in message.tool_calls],
        "content": str(message.content)[:500],
    }
