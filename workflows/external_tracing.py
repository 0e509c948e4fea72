"""Tracing that leaves the process sees personal data masked, like every other export.

LangChain sends every run to LangSmith when `LANGSMITH_TRACING=true` (or the older
`LANGCHAIN_TRACING_V2`): the case, the evidence and each model prompt, phone numbers and
e-mails included. When tracing is on, the auditor hands the graph its own tracer, whose
client masks inputs, outputs and metadata before they are queued for upload; LangChain
then adds no tracer of its own. With tracing off nothing changes.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from pydantic import BaseModel

from auditgraph.tools.personal_data import mask

__all__ = ["masked_payload", "masked_tracers"]


def masked_payload(value: Any) -> Any:
    """`value` as JSON-like data with personal data masked in every string."""
    return mask(_plain(value), style="label")


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="json"))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    # Messages, documents and anything else: their text, masked like the rest.
    return str(value)


def masked_tracers() -> list[BaseCallbackHandler]:
    """A LangSmith tracer whose client masks what it sends, when tracing is on; else none."""
    from langchain_core.tracers.langchain import LangChainTracer
    from langsmith import Client, utils

    if not utils.tracing_is_enabled():
        return []
    client = Client(hide_inputs=masked_payload, hide_outputs=masked_payload, hide_metadata=masked_payload)
    return [LangChainTracer(client=client)]
