"""Talking to a chat model: the client, the one retry layer, and what each attempt cost.

Everything goes through langchain-openai's `ChatOpenAI`, so OpenAI, an internal gateway,
vLLM or a local llama.cpp server are the same code with a different base URL. The
OpenAI client's own retries are off (`max_retries=0`): tenacity here is the only retry
layer, so attempts never multiply, and every attempt is recorded as a `ModelCall`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Literal, TypeVar

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage

from auditgraph.agents.calls import DEFAULT_PRICES, ModelCall, ModelSpec
from auditgraph.store.records import utcnow
from auditgraph.store.retry import retrying
from auditgraph.tools.retry import first_line

__all__ = [
    "DEFAULT_PRICES",
    "RETRYABLE",
    "ModelCall",
    "ModelSpec",
    "ModelUnavailable",
    "call_model",
    "make_chat_model",
]

T = TypeVar("T")

RETRYABLE: tuple[type[BaseException], ...] = (
    openai.RateLimitError,
    openai.InternalServerError,
    openai.APITimeoutError,
    openai.APIConnectionError,
)
"""Failures a later attempt may not repeat: 429, 5xx, time-outs, dropped connections."""


class ModelUnavailable(RuntimeError):
    """The model did not answer usefully after every attempt; the message says why."""


def make_chat_model(spec: ModelSpec) -> BaseChatModel:
    """A `ChatOpenAI` for `spec`, with its own retries off."""
    from langchain_openai import ChatOpenAI  # imported here: the rules agent never needs it

    key = spec.api_key.get_secret_value() if spec.api_key is not None else None
    # OpenAI takes the cap as max_completion_tokens (what the client sends for
    # max_tokens); compatible servers such as llama.cpp only read max_tokens.
    cap: dict[str, Any] = (
        {"extra_body": {"max_tokens": spec.max_tokens}} if spec.base_url else {"max_tokens": spec.max_tokens}
    )
    return ChatOpenAI(
        model=spec.model,
        base_url=spec.base_url,
        # A local server needs no key, but the client insists on one.
        api_key=key or ("not-needed" if spec.base_url else None),
        timeout=spec.timeout,
        max_retries=0,
        temperature=0,
        **cap,
    )


def call_model(
    invoke: Callable[[], T],
    *,
    spec: ModelSpec,
    purpose: Literal["plan", "adjudicate", "repair"],
    prompt_version: str,
    calls: list[ModelCall],
    describe: Callable[[T], tuple[AIMessage | None, dict[str, Any]]],
) -> T:
    """Call the model with retries, appending one `ModelCall` per attempt to `calls`.

    Args:
        invoke: makes one attempt.
        describe: turns a result into (the raw message, for its token usage; what to record).

    Raises:
        ModelUnavailable: every attempt failed, or the endpoint refused the request.
    """
    policy = retrying(
        retry_on=RETRYABLE, attempts=spec.attempts, backoff=spec.backoff, max_wait=spec.max_backoff
    )
    try:
        for attempt in policy:
            with attempt:
                record = partial(
                    _record,
                    calls,
                    purpose=purpose,
                    attempt=attempt.retry_state.attempt_number,
                    started=utcnow(),
                    model=spec.model,
                    prompt_version=prompt_version,
                )

                try:
                    result = invoke()
                except Exception as exc:
                    record(error=_describe_error(exc))
                    raise
                raw, output = describe(result)
                usage = raw.usage_metadata if raw is not None else None
                tokens_in = usage["input_tokens"] if usage else None
                tokens_out = usage["output_tokens"] if usage else None
                record(
                    tokens_in=tokens_in,
                    tokens_out=tokens_out,
                    cost_usd=spec.cost(tokens_in, tokens_out),
                    output=output,
                )
                return result
    except RETRYABLE as exc:
        raise ModelUnavailable(f"{_describe_error(exc)} (after {spec.attempts} attempts)") from exc
    except openai.OpenAIError as exc:
        raise ModelUnavailable(_describe_error(exc)) from exc
    raise ModelUnavailable("no attempt was made")  # pragma: no cover - Retrying always attempts


def _record(calls: list[ModelCall], **fields: Any) -> None:
    calls.append(ModelCall(ended=utcnow(), **fields))


def _describe_error(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    text = first_line(exc)
    return f"{type(exc).__name__}{f' {status}' if status else ''}: {text}"
