"""Model settings and call records: which model and how to call it (`ModelSpec`, prices),
and what each attempt cost and returned (`ModelCall`, for the trace). Kept free of the
OpenAI client so the rules agent never imports it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr

__all__ = ["DEFAULT_PRICES", "ModelCall", "ModelSpec"]

DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
}
"""USD per million input and output tokens, by model name (override in settings)."""


class ModelCall(BaseModel):
    """One attempt at one model call, as the trace records it."""

    model_config = ConfigDict(frozen=True)

    purpose: Literal["plan", "adjudicate", "repair"]
    attempt: int
    started: datetime
    ended: datetime
    model: str
    prompt_version: str
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    error: str | None = None
    output: dict[str, Any] | None = None
    """What came back: the tool calls, or the structured answer and any parsing error."""


@dataclass(frozen=True)
class ModelSpec:
    """Which model, where, and how patiently to call it."""

    model: str
    """The model's name at the endpoint, e.g. "gpt-4o-mini"."""
    base_url: str | None = None
    """An OpenAI-compatible endpoint; None means OpenAI itself."""
    api_key: SecretStr | None = None
    timeout: float = 30.0
    """Seconds one attempt may take."""
    attempts: int = 4
    backoff: float = 0.5
    """First wait between attempts, in seconds; it grows exponentially, with jitter."""
    max_backoff: float = 8.0
    max_tokens: int = 1024
    tool_choice: str = "required"
    """How the planner forces tool calls: "required", or "auto" for servers that hang on it."""
    prices: Mapping[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_PRICES))

    def cost(self, tokens_in: int | None, tokens_out: int | None) -> float | None:
        """USD for one call, or None when the model has no price."""
        price = self.prices.get(self.model)
        if price is None or tokens_in is None or tokens_out is None:
            return None
        return round((tokens_in * price[0] + tokens_out * price[1]) / 1_000_000, 8)
