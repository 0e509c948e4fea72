"""What every tool returns: evidence with a status, never a decision."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["TOOL_NAMES", "Evidence", "EvidenceStatus", "ToolName"]

EvidenceStatus = Literal["ok", "not_found", "unavailable"]
ToolName = Literal[
    "seller_history", "image_check", "policy_retrieval", "text_screen", "brand_check", "risk_screen"
]
TOOL_NAMES: tuple[ToolName, ...] = ToolName.__args__  # type: ignore[attr-defined]


class Evidence(BaseModel):
    """Base of every tool's output.

    `status` says whether the tool could answer: `not_found` is an answer (the seller
    does not exist), `unavailable` is not (the backend failed after its retries) and
    `error` then says why. The guard never lets an approval rest on unavailable evidence.
    """

    model_config = ConfigDict(frozen=True)

    tool: ToolName
    status: EvidenceStatus = "ok"
    error: str | None = None
    """Why the tool could not answer, when `status` is not `ok`."""
