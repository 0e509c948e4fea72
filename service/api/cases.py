"""`POST /v1/cases`: submit a case, once per idempotency key.

The key is the `Idempotency-Key` header, else `case:` and the case id. The first request
with a key claims it for a new run id in one statement (`store.submissions`); a request
with the same key and the same body (same JSON value, whatever its spacing or key order)
gets that run back, 200, and nothing is audited again; a different body is 409. The case
is validated before anything is stored, so an invalid case claims no key.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from auditgraph.service.api.auth import caller
from auditgraph.service.api.models import RunDetail
from auditgraph.service.api.problems import FieldError, ProblemError
from auditgraph.service.api.state import ApiState, api_state, count_run
from auditgraph.service.api.views import run_detail
from auditgraph.store.base import RunNotFound
from auditgraph.store.records import new_id
from auditgraph.store.submissions import Submission, digest_body, valid_key
from auditgraph.store.tokens import Identity
from auditgraph.tools.case import CaseError, case_json_schema, parse_case
from auditgraph.workflows import AuditFailed, RecordingError
from auditgraph.workflows.runner import StartedRun

__all__ = ["router"]

router = APIRouter(tags=["cases"])
log = logging.getLogger("auditgraph.api")
T = TypeVar("T")

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Makes retries safe: the same key and body return the first run. Default: the case id.",
    ),
]

_SUBMIT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": RunDetail, "description": "Submitted before with this key and body: the original run."},
    202: {"model": RunDetail, "description": "Accepted: the audit runs; poll the `Location`."},
    409: {"description": "The idempotency key was used with a different body."},
    413: {"description": "The body is larger than the server accepts."},
    415: {"description": "The body is not JSON."},
    422: {"description": "The case is not valid; `errors` names each field at fault."},
}


@router.post(
    "/v1/cases",
    status_code=201,
    response_model=RunDetail,
    responses=_SUBMIT_RESPONSES,
    summary="Submit a case for audit",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Case"}}},
        }
    },
)
async def submit(
    request: Request,
    response: Response,
    identity: Annotated[Identity, Depends(caller("submit"))],
    state: Annotated[ApiState, Depends(api_state)],
    idempotency_key: IdempotencyKey = None,
    wait: Annotated[
        bool, Query(description="Answer with the outcome (within the server's wait limit) instead of 202.")
    ] = False,
) -> RunDetail:
    """Audit a case (the schema `auditgraph schema` prints). 201 with the outcome when
    `wait=true` and the audit ended in time; else 202 with the run to poll."""
    submission = _decoded(request, await request.body())
    try:
        case = parse_case(submission)
    except CaseError as exc:
        raise ProblemError(
            422,
            "invalid-case",
            str(exc),
            field=exc.fields[0].field,
            errors=[FieldError(field=f.field, message=f.message) for f in exc.fields],
        ) from None
    key = idempotency_key or _case_key(case.case_id)
    digest = digest_body(submission)
    try:
        claim, started = await state.audit(_claim_and_start, state, submission, key, digest)
    except RecordingError as exc:
        raise ProblemError(503, "unavailable", f"the run could not be recorded: {exc}") from None
    if started is None:
        if claim.body_digest != digest:
            raise ProblemError(
                409,
                "idempotency-conflict",
                f"idempotency key {key!r} was used for run {claim.run_id} with a different body; "
                "send that body again to read the run, or use a new key for a new case",
                key=key,
            )
        detail = await _original(state, claim, submission, wait=wait)
        response.status_code = 200
    else:
        detail = await _run(state, started, wait=wait)
        response.status_code = 202 if detail.run.status == "running" else 201
    response.headers["Location"] = detail.links["self"]
    return detail


def _not_json(constant: str) -> None:
    # Python's json reads NaN and Infinity; JSON has no such numbers.
    raise ValueError(f"{constant} is not a JSON number")


def _case_key(case_id: str) -> str:
    """The key a submission without an Idempotency-Key header is claimed under: the case id
    (hashed when it holds characters a key may not)."""
    key = f"case:{case_id}"
    try:
        return valid_key(key)
    except ValueError:
        return "case-sha256:" + hashlib.sha256(case_id.encode()).hexdigest()


def _decoded(request: Request, raw: bytes) -> Any:
    """The request body as a JSON value, or a problem saying why it is not one."""
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise ProblemError(
            415, "unsupported-media-type", f"send the case as application/json, not {media[:80]!r}"
        )
    try:
        return json.loads(raw.decode("utf-8-sig"), parse_constant=_not_json)
    except UnicodeDecodeError as exc:
        raise ProblemError(
            422, "invalid-case", f"the body is not UTF-8 (bad byte at offset {exc.start})", field="body"
        ) from None
    except json.JSONDecodeError as exc:
        raise ProblemError(
            422,
            "invalid-case",
            f"the body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            field="body",
        ) from None
    except RecursionError:
        raise ProblemError(
            422, "invalid-case", "the body nests too deeply to be a case", field="body"
        ) from None
    except ValueError as exc:
        # NaN or Infinity, or an integer of more than 4,300 digits (CVE-2020-10735).
        raise ProblemError(
            422, "invalid-case", f"the body is not a usable case: {str(exc)[:120]}", field="body"
        ) from None


def _claim_and_start(
    state: ApiState, submission: Any, key: str, digest: str
) -> tuple[Submission, StartedRun | None]:
    """Claim the key for a new run id and, when this request claimed it, start that run:
    one trip to the audit pool (each trip between the event loop and a worker thread costs)."""
    claim = state.submissions.claim(key, digest, new_id("run"))
    if not claim.created:
        return claim, None
    return claim, state.auditor.start(submission, run_id=claim.run_id, queued=state.dispatcher is not None)


async def _audit(state: ApiState, submission: Any, run_id: str, *, wait: bool) -> RunDetail:
    """Start a run under a reserved id, then run it as `_run` does."""
    try:
        started = await state.audit(
            partial(state.auditor.start, submission, run_id=run_id, queued=state.dispatcher is not None)
        )
    except RecordingError as exc:
        raise ProblemError(503, "unavailable", f"the run could not be recorded: {exc}") from None
    return await _run(state, started, wait=wait)


async def _run(state: ApiState, started: StartedRun, *, wait: bool) -> RunDetail:
    """Drive a started run in the audit pool (or, with workers, announce it to them); with
    `wait`, answer with it once it pauses or ends (or when the wait is over), else at once."""
    if state.dispatcher is not None:
        await state.read(state.dispatcher.ring, started.run_id)
        detail = await state.read(run_detail, state, started.run_id)
        return await _polled(state, detail) if wait else detail
    task = asyncio.ensure_future(state.audit(_drive, state, started, wait))
    state.background[started.run_id] = task
    task.add_done_callback(lambda _: state.background.pop(started.run_id, None))
    if wait:
        done = await _within(task, state.settings.api_wait_seconds)
        if done is not None:
            return done
    return await state.read(run_detail, state, started.run_id)


def _drive(state: ApiState, started: StartedRun, read: bool) -> RunDetail | None:
    """Run a started audit to its end or pause and count it (a failure is recorded on the
    run); with `read`, read the run back in the same thread."""
    try:
        outcome = state.auditor.drive(started)
    except (AuditFailed, RecordingError) as exc:
        log.warning("run %s did not finish: %s", started.run_id, exc)
        count_run(state, started.run_id, None)
    else:
        count_run(state, started.run_id, outcome)
    return run_detail(state, started.run_id) if read else None


async def _within(task: asyncio.Future[T], seconds: float) -> T | None:
    """`task`'s result if it ends within `seconds`, else None, leaving it running."""
    with contextlib.suppress(TimeoutError):
        return await asyncio.wait_for(asyncio.shield(task), seconds)
    return None


async def _original(state: ApiState, claim: Submission, submission: Any, *, wait: bool) -> RunDetail:
    """The run a key was first submitted for; started now if its first request died before
    starting it (the key is claimed, the run id reserved, and no run row exists)."""
    try:
        detail = await state.read(run_detail, state, claim.run_id)
    except RunNotFound:
        try:
            return await _audit(state, submission, claim.run_id, wait=wait)
        except ProblemError:
            # The first request started it meanwhile: read that one.
            detail = await state.read(run_detail, state, claim.run_id)
    if wait and detail.run.status == "running":
        running = state.background.get(claim.run_id)
        if running is not None:
            await _within(running, state.settings.api_wait_seconds)
            detail = await state.read(run_detail, state, claim.run_id)
        else:
            detail = await _polled(state, detail)
    return detail


async def _polled(state: ApiState, detail: RunDetail) -> RunDetail:
    """`detail` read again until its run pauses or ends, or the server's wait is over (the
    run is audited by another process: a worker, or the one that first received it)."""
    deadline = asyncio.get_running_loop().time() + state.settings.api_wait_seconds
    while detail.run.status == "running" and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
        detail = await state.read(run_detail, state, detail.run.run_id)
    return detail


def case_schema() -> dict[str, Any]:
    """The case JSON Schema as OpenAPI components: `Case` and the models it refers to."""
    schema = case_json_schema()
    defs = schema.pop("$defs", {})
    text = json.dumps(schema).replace("#/$defs/", "#/components/schemas/")
    components = {
        name: json.loads(json.dumps(d).replace("#/$defs/", "#/components/schemas/"))
        for name, d in defs.items()
    }
    return {"Case": json.loads(text), **components}
