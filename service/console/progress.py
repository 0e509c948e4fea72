"""Live progress of a run in flight: its steps as they are recorded, as server-sent events.

`GET /cases/{run_id}/progress` streams `text/event-stream`: a `step` event per trace step
recorded after `after` (the last step the page shows, or the `Last-Event-ID` a
reconnecting `EventSource` sends; each event's id is the step's `seq`), then one `done`
event with the run's status once the run is no longer "running" (finished, failed, or
paused for review). The stream polls the store every `POLL_S` and ends after
`STREAM_FOR_S` (a browser's `EventSource` then reconnects from the last id it saw) or
when the client goes away: Starlette cancels it when the server reports the disconnect
(ASGI spec before 2.4, as uvicorn), the loop asks `request.is_disconnected()`, and a
comment line every `_KEEP_ALIVE_S` of silence makes a gone client fail a write. Step payloads (inputs, outputs) are never sent: only what the
timeline shows.
"""

# No `from __future__ import annotations`: FastAPI resolves the routes' annotations.

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, NamedTuple

import anyio
from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine, select
from sqlmodel import col

from auditgraph.service.console.session import Session
from auditgraph.service.console.web import RUN_ID, ConsoleState, shared, signed_in
from auditgraph.store.tables import RunRow, StepRow

__all__ = ["POLL_S", "STREAM_FOR_S", "Progress", "progress_since", "router"]

router = APIRouter(include_in_schema=False)

POLL_S = 0.5
"""How often an open stream reads the run's new steps."""
STREAM_FOR_S = 600.0
"""How long one stream lasts at most; the browser reconnects after it."""
_KEEP_ALIVE_S = 15.0
"""How long a stream stays silent before it sends a comment line."""
_RETRY_MS = 2000
"""How long a browser waits before reconnecting a stream that ended early."""


class Progress(NamedTuple):
    """A run's status and the steps recorded after a given one."""

    status: str | None
    """The run's status; None when there is no such run."""
    steps: list[dict[str, Any]]
    """Each new step as the timeline shows it, in order."""


@router.get("/cases/{run_id}/progress")
async def progress(
    request: Request,
    run_id: Annotated[str, Path(pattern=RUN_ID)],
    session: Annotated[Session, Depends(signed_in)],
    state: Annotated[ConsoleState, Depends(shared)],
    after: Annotated[int, Query(ge=0)] = 0,
    last_event_id: Annotated[str, Header(max_length=20)] = "",
) -> StreamingResponse:
    """The run's steps as they are recorded, then `done` with its status."""
    if last_event_id.isdigit():
        after = max(after, int(last_event_id))
    first = await anyio.to_thread.run_sync(progress_since, state.store.engine, run_id, after)
    if first.status is None:
        raise HTTPException(404, f"no run {run_id!r}")
    return StreamingResponse(
        _events(request, state.store.engine, run_id, after, first),
        media_type="text/event-stream",
        # Proxies must pass each event on as it comes (nginx buffers otherwise).
        headers={"X-Accel-Buffering": "no"},
    )


def progress_since(engine: Engine, run_id: str, after: int) -> Progress:
    """The run's status, then its steps numbered after `after`.

    The status is read first: a run's last steps are written with (or before) the status
    that ends it, so once a status other than "running" is read, every step is there.
    """
    with engine.connect() as conn:
        status = conn.execute(select(RunRow.status).where(RunRow.run_id == run_id)).scalar()
        if status is None:
            return Progress(None, [])
        rows = conn.execute(
            select(
                StepRow.seq,
                StepRow.parent_id,
                StepRow.node,
                StepRow.kind,
                StepRow.started,
                StepRow.ended,
                StepRow.error,
            )
            .where(StepRow.run_id == run_id, col(StepRow.seq) > after)
            .order_by(col(StepRow.seq))
        ).mappings()
        steps = [
            {
                "seq": r["seq"],
                "node": r["node"],
                "kind": r["kind"],
                "child": r["parent_id"] is not None,
                "duration_ms": round((r["ended"] - r["started"]).total_seconds() * 1000, 1),
                "error": r["error"] or "",
            }
            for r in rows
        ]
    return Progress(status, steps)


async def _events(
    request: Request, engine: Engine, run_id: str, after: int, found: Progress
) -> AsyncIterator[str]:
    """The stream's events, from the first read `found` on."""
    stop_at = anyio.current_time() + STREAM_FOR_S
    yield f"retry: {_RETRY_MS}\n\n"
    quiet_since = anyio.current_time()
    while True:
        for step in found.steps:
            after = step["seq"]
            yield _event("step", step, event_id=after)
            quiet_since = anyio.current_time()
        if found.status != "running":
            yield _event("done", {"status": found.status})
            return
        if anyio.current_time() >= stop_at or await request.is_disconnected():
            return
        if anyio.current_time() - quiet_since >= _KEEP_ALIVE_S:
            # A comment line: keeps proxies from closing an idle stream, and a write to a
            # client that went away fails, ending the stream on any server.
            yield ": keep-alive\n\n"
            quiet_since = anyio.current_time()
        await anyio.sleep(POLL_S)
        found = await anyio.to_thread.run_sync(progress_since, engine, run_id, after)


def _event(name: str, data: dict[str, Any], *, event_id: int | None = None) -> str:
    # JSON has no raw newline, so the data is one `data:` line whatever the step says.
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data)}\n\n"
