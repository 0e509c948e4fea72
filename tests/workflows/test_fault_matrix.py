"""Fault matrix: every evidence backend, the model and the audit store, failing every way.

Each cell makes one part fail in one way on one bundled case and runs a real audit:

- evidence backends (seller history, image check, policy retrieval, text screen, brand
  check, risk screen, and the OCR engine that reads the text in listing images for the
  image check) x `raise`, `timeout`, `slow`, `flaky`, `malformed`, `wrong_type`, plus
  `locked` and `gone` for the seller history, whose backend is a SQL database;
- the real LLM agent against the scripted OpenAI server x a 500 storm, connection
  refused, answers past the time-out, slow answers, 429 then OK, broken JSON, the wrong
  schema;
- the audit store x `locked` (a real SQLite lock held by another connection), `gone`
  (its database folder removed) and `refused` (PostgreSQL on a closed port) x `start`,
  `mid` (per-node writes) and `close`;

each on a case the healthy system approves, one it rejects and one it escalates.

Faults are injected at the lowest seam the production code wraps, so its own handling
runs: the SQL read under the seller backend's retry, the image source under the image
checker, the OCR engine under the image text screener (the suite's one fake engine,
around the real one), the in-process policy index, text screener, brand checker and
risk screen themselves.

One checker, `check_invariants`, holds every cell to the same promises: (a) no approval
unless the failing part recovered and the healthy run approves too; (b) the run is
recorded (decided, or escalated with reasons naming the failure, or failed with the
error), or, when the store itself is down, the call raises and no run claims success;
(c) the failure shows in the trace on the failing part's own step; (d) every recorded
run's hash chain verifies.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError

from auditgraph.agents import Agent, ModelSpec, llm_agent, rules_agent
from auditgraph.agents.screen import E5Embedder, ScreenScorer
from auditgraph.store import RunNotFound, RunStatus, SqlAuditStore, StoreError, make_engine, new_id
from auditgraph.store.chain import verify_run
from auditgraph.store.records import RunRecord, TraceStep
from auditgraph.tools import TOOL_NAMES, Toolset, load_bundled_toolset
from auditgraph.tools.escalation import MemoryEscalationBackend
from auditgraph.tools.image_check import ImageChecker, ImageSource
from auditgraph.tools.image_text import ImageTextScreener
from auditgraph.tools.retry import BackendUnavailable
from auditgraph.tools.seller_history import SqlSellerBackend
from auditgraph.workflows import AuditFailed, Auditor, RecordingError, RunOutcome
from auditgraph.workflows.checkpoint import checkpoint_serde
from auditgraph.workflows.nodes import TOOL_NODES
from tests.conftest import DATA, EXPECTED, SCREEN, load_case
from tests.fakes.openai_server import (
    Reply,
    ScriptedOpenAI,
    error,
    function_call,
    is_verdict_request,
    tool_calls,
)
from tests.fakes.text_reader import FakeTextReader

CaseRole = Literal["approve", "reject", "escalate"]
CASES: dict[CaseRole, str] = {
    "approve": "kitchen_knife_set",
    "reject": "switchblade_collector",
    "escalate": "sneaker_new_account_low_price",
}
"""One bundled case per healthy outcome (data/cases/expected.yaml)."""

BACKENDS = (*TOOL_NAMES, "image_text")
"""Every evidence tool's backend, and the OCR engine inside the image check."""
TOOL_MODES = ("raise", "timeout", "slow", "flaky", "malformed", "wrong_type")
SQL_MODES = ("locked", "gone")
"""Extra modes for the seller history, the one evidence backend on a database."""
MODEL_MODES = (
    "http_500",
    "refused",
    "timeout",
    "slow",
    "rate_limited_then_ok",
    "malformed_json",
    "wrong_schema",
)
STORE_MODES = ("locked", "gone", "refused")
STORE_PHASES = ("start", "mid", "close")

TOOL_CELLS = [(b, m, c) for b in BACKENDS for m in TOOL_MODES for c in CASES] + [
    ("seller_history", m, c) for m in SQL_MODES for c in CASES
]
MODEL_CELLS = [(m, c) for m in MODEL_MODES for c in CASES]
STORE_CELLS = [(m, p, c) for m in STORE_MODES for p in STORE_PHASES for c in CASES]
CELL_COUNT = len(TOOL_CELLS) + len(MODEL_CELLS) + len(STORE_CELLS)
"""Every (part x mode x case) cell: 132 evidence, 21 model, 27 store."""

MARK = "injected-fault"
"""Every synthetic failure's message carries this, so the checker can find it."""
SLOW = 0.08
"""Seconds a `slow` part waits before answering correctly."""
MODEL_TIMEOUT = 0.1
"""Seconds one model attempt may take in the `timeout` cells (the server waits longer)."""


@dataclass
class Fault:
    """How one backend misbehaves, and how many calls it saw.

    `timeout` and `transient` are the errors the seam's own contract uses for a time-out
    and for a failure a retry may fix, so the production handling of each is exercised.
    """

    mode: str
    timeout: Exception
    transient: Exception
    calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def before_call(self) -> None:
        """Raise or wait as the mode says; called before the real backend answers."""
        with self._lock:
            self.calls += 1
            first = self.calls == 1
        if self.mode == "raise":
            raise RuntimeError(f"{MARK}: the backend crashed")
        if self.mode == "timeout":
            raise self.timeout
        if self.mode == "flaky" and first:
            raise self.transient
        if self.mode == "slow":
            time.sleep(SLOW)


def _sql_error(message: str) -> OperationalError:
    return OperationalError("SELECT seller.record FROM seller", {}, Exception(f"{message} ({MARK})"))


class FaultySellerRows(SqlSellerBackend):
    """The real SQL seller backend with faults injected under its retry, at the row read."""

    def __init__(self, engine: Engine, fault: Fault) -> None:
        super().__init__(engine)
        self.fault = fault

    def _fetch(self, seller_id: str) -> dict | None:
        self.fault.before_call()
        row = super()._fetch(seller_id)
        if row is None or self.fault.mode not in ("malformed", "wrong_type"):
            return row
        if self.fault.mode == "malformed":
            # Impossible values and None where a list belongs, as a bad migration leaves them.
            return {**row, "prior_violations": None, "strikes": -4, "dispute_rate": 7.5}
        return json.dumps(row)  # a JSON column read back as text by another driver


class FaultyImageSource:
    """An image source whose reads fail, stall or return bytes that are not an image."""

    def __init__(self, inner: ImageSource, fault: Fault) -> None:
        self.inner = inner
        self.fault = fault

    def read(self, ref: str) -> bytes:
        """The image's bytes, or the fault."""
        self.fault.before_call()
        data = self.inner.read(ref)
        if self.fault.mode == "malformed":
            return b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 64
        if self.fault.mode == "wrong_type":
            return data.decode("latin-1")  # type: ignore[return-value]
        return data


class FaultyBackend:
    """An in-process backend (policy index, text screener, brand checker, risk screen) whose query
    method misbehaves; every other attribute passes through (the runner reads
    `policy.pack`)."""

    def __init__(self, inner: Any, method: str, fault: Fault, broken: Callable[[Any], Any]) -> None:
        self._inner = inner
        self._method = method
        self.fault = fault
        self._broken = broken

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name != self._method:
            return attribute

        def query(*args: Any, **kwargs: Any) -> Any:
            self.fault.before_call()
            answer = attribute(*args, **kwargs)
            if self.fault.mode == "malformed":
                return self._broken(answer)
            if self.fault.mode == "wrong_type":
                return answer.model_dump(mode="json")  # JSON a client forgot to parse
            return answer

        return query


IN_PROCESS: dict[str, tuple[str, str, Callable[[Any], Any]]] = {
    # toolset field, query method, what a malformed answer looks like: the evidence
    # model built without validation, with None where a list belongs.
    "policy_retrieval": ("policy", "search", lambda a: a.model_construct(**{**dict(a), "clauses": None})),
    "text_screen": ("screener", "screen", lambda a: a.model_construct(**{**dict(a), "findings": None})),
    "brand_check": ("brands", "check", lambda a: a.model_construct(**{**dict(a), "brands": None})),
    "risk_screen": ("screen", "assess", lambda a: a.model_construct(**{**dict(a), "areas": None})),
}


@contextmanager
def sqlite_lock(path: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold a real SQLite lock on `path` from another connection: EXCLUSIVE blocks the
    readers of a rollback-journal database, IMMEDIATE the writers of a WAL one."""
    holder = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE" if exclusive else "BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _short_busy_timeout(engine: Engine, ms: int = 5) -> Engine:
    # Production waits 30 s on a lock; a cell must see "database is locked" at once.
    # Registered after make_engine's own pragmas, so it wins.
    event.listen(engine, "connect", lambda conn, _: conn.execute(f"PRAGMA busy_timeout={ms}"))
    return engine


@dataclass(frozen=True)
class Rig:
    """What every cell builds on: the bundled toolset (built once) over a seller database,
    and an audit store the cells that do not break it share (each checks its own run)."""

    toolset: Toolset
    seller_engine: Engine
    seller_db: Path
    store: SqlAuditStore
    root: Path


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """The bundled toolset; sellers in a rollback-journal SQLite file a cell can lock."""
    root = tmp_path_factory.mktemp("fault-matrix")
    seller_db = root / "sellers.db"
    engine = create_engine(
        f"sqlite:///{seller_db}", connect_args={"timeout": 0.01, "check_same_thread": False}
    )
    toolset = load_bundled_toolset(
        DATA,
        engine=engine,
        escalations=MemoryEscalationBackend(),
        screen=ScreenScorer(SCREEN, E5Embedder()),
    )
    store = new_store(root / "audit.db")
    yield Rig(toolset, engine, seller_db, store, root)
    engine.dispose()
    store.engine.dispose()


def build_auditor(
    store: SqlAuditStore,
    rig: Rig,
    *,
    agent: Agent | None = None,
    durability: Literal["sync", "exit"] = "exit",
    **parts: Any,
) -> Auditor:
    """An auditor on `store` with some toolset parts swapped for faulty ones."""
    toolset = dataclasses.replace(rig.toolset, escalations=store, **parts)
    return Auditor(
        store=store,
        toolset=toolset,
        agent=agent or rules_agent(risk_screen=True),
        checkpointer=InMemorySaver(serde=checkpoint_serde()),
        durability=durability,
    )


def new_store(path: Path) -> SqlAuditStore:
    """A fresh SQLite audit store as production makes it, but with a short lock wait."""
    return SqlAuditStore(_short_busy_timeout(make_engine(f"sqlite:///{path}")))


@dataclass
class Ran:
    """A cell's result: what `audit` returned or raised, and where its record is."""

    store: SqlAuditStore
    run_id: str
    outcome: RunOutcome | None = None
    error: BaseException | None = None

    def run(self) -> RunRecord | None:
        """The cell's run as recorded, or None if it never was."""
        try:
            return self.store.get_run(self.run_id)
        except RunNotFound:
            return None


def run_case(auditor: Auditor, case: str) -> Ran:
    """Audit a bundled case, keeping an exception as the result instead of raising it."""
    ran = Ran(auditor.store, new_id("run"))  # type: ignore[arg-type]
    try:
        ran.outcome = auditor.audit(load_case(case), run_id=ran.run_id)
    except (AuditFailed, RecordingError, StoreError, OperationalError) as exc:
        ran.error = exc
    return ran


@dataclass(frozen=True)
class Summary:
    """The parts of an outcome two runs of one case must share."""

    status: str
    decision: str | None
    reasons: tuple[str, ...]

    @classmethod
    def of(cls, outcome: RunOutcome) -> Summary:
        """Summarise a returned outcome."""
        return cls(
            outcome.status,
            outcome.decision.decision if outcome.decision else None,
            tuple(outcome.escalation.reasons) if outcome.escalation else (),
        )

    @property
    def approves(self) -> bool:
        """Whether this outcome is an approval."""
        return self.decision == "approve"


@dataclass(frozen=True)
class Expect:
    """What a cell's failure must look like in the record."""

    healthy: Summary
    recovered: bool
    """The failing part answered correctly in the end (slow, or flaky and retried)."""
    marker: str | None = None
    """Text naming the failure, looked for in the trace or the raised error."""
    nodes: frozenset[str] = frozenset()
    """Trace nodes on which the marker must show (empty: anywhere, or in the error)."""
    reasons: tuple[str, ...] = ()
    """Escalation reason prefixes, one of which must name the failure."""
    raises: bool = False
    """The store itself is down: the call may raise instead of returning."""


class MisattributedFailure(AssertionError):
    """The failure is in the record, but not on the part that failed, or blamed on another."""


def _mentions(step: TraceStep, marker: str) -> bool:
    return marker in (step.error or "") or marker in json.dumps(step.output or {})


def check_invariants(ran: Ran, expect: Expect) -> None:
    """Assert the four promises every cell must keep (see the module docstring)."""
    store = ran.store
    runs = [run] if (run := ran.run()) is not None else []
    decisions = [d for run in runs for d in store.decisions(run.run_id)]

    # (a) No approval unless the failing part recovered and the healthy run approves.
    if any(d.decision == "approve" for d in decisions) or any(r.decision == "approve" for r in runs):
        assert expect.recovered and expect.healthy.approves, f"approved under a fault: {decisions}"

    # (b) The run is recorded, fail-safe; or the store is down and nothing claims success.
    if ran.outcome is not None:
        outcome = ran.outcome
        run = store.get_run(outcome.run_id)
        assert run.status == outcome.status and outcome.status in ("completed", "awaiting_review")
        if outcome.status == "completed":
            assert outcome.decision is not None
            assert [d.decision for d in store.decisions(run.run_id)] == [outcome.decision.decision]
            assert run.decision == outcome.decision.decision
        else:
            escalation = store.escalation(run.run_id)
            assert escalation is not None and escalation.status == "open"
            assert outcome.escalation is not None and escalation.reasons == outcome.escalation.reasons
            assert run.decision is None and store.decisions(run.run_id) == []
        if expect.recovered:
            assert Summary.of(outcome) == expect.healthy
        elif outcome.status == "awaiting_review" and expect.reasons:
            reasons = outcome.escalation.reasons  # type: ignore[union-attr]
            assert any(r.startswith(expect.reasons) for r in reasons), f"{reasons} omit {expect.reasons}"
    elif isinstance(ran.error, AuditFailed):
        assert not expect.recovered, f"a recovered fault failed the run: {ran.error}"
        run = store.get_run(ran.error.run_id)
        assert run.status == "failed" and run.decision is None and run.error
        assert store.decisions(run.run_id) == []
        if expect.marker:
            assert expect.marker in run.error, run.error
    else:
        assert expect.raises, f"unexpected {type(ran.error).__name__}: {ran.error}"
        assert isinstance(ran.error, RecordingError | OperationalError | StoreError), ran.error
        assert all(r.status == "running" and r.decision is None for r in runs), runs
        assert decisions == []

    # (d) Every recorded run's chain verifies.
    for run in runs:
        found = verify_run(
            run, store.steps(run.run_id), store.decisions(run.run_id), store.reviews(run.run_id)
        )
        assert found.ok, found.problems

    # (c) The failure shows in the trace on the failing part's own step (or, when the
    # store could not take the trace, in the error the caller got).
    steps = [s for run in runs for s in store.steps(run.run_id)]
    if expect.recovered:
        # Only the failed attempts of the part that recovered may carry an error.
        stray = [s for s in steps if s.error and not (expect.marker and expect.marker in s.error)]
        assert not stray, f"a recovered fault left errors in the trace: {[s.error for s in stray]}"
        if expect.marker:
            assert any(_mentions(s, expect.marker) for s in steps), "the failed attempt is not in the trace"
    elif expect.marker:
        hits = [s for s in steps if _mentions(s, expect.marker)]
        assert hits or expect.marker in str(ran.error), f"{expect.marker!r} is nowhere in the record"
        where = {s.node for s in hits}
        if expect.nodes and not where & expect.nodes:
            raise MisattributedFailure(
                f"{expect.marker!r} shows on {sorted(where)}, not {sorted(expect.nodes)}"
            )
        # Every cell's arguments were valid: blaming them misleads whoever reads the trace.
        blamed = [s.error for s in hits if "invalid arguments" in (s.error or "")]
        if blamed:
            raise MisattributedFailure(f"a backend failure is blamed on the arguments: {blamed}")


@pytest.fixture(scope="module")
def healthy(rig: Rig) -> dict[CaseRole, Summary]:
    """What the healthy rules agent decides for each case."""
    found = {}
    for role, name in CASES.items():
        ran = run_case(build_auditor(rig.store, rig), name)
        assert ran.outcome is not None
        found[role] = Summary.of(ran.outcome)
    return found


def test_the_matrix_has_every_cell(request: pytest.FixtureRequest) -> None:
    per_part = {
        "test_evidence_backend_fault": len(BACKENDS) * len(TOOL_MODES) * len(CASES)
        + len(SQL_MODES) * len(CASES),
        "test_model_fault": len(MODEL_MODES) * len(CASES),
        "test_store_fault": len(STORE_MODES) * len(STORE_PHASES) * len(CASES),
    }
    assert sum(per_part.values()) == CELL_COUNT == 180
    # What pytest runs (whatever -k selects now) is the whole matrix, cell by cell.
    collected = Counter(item.originalname for item in request.node.parent.collect())  # type: ignore[attr-defined]
    assert {name: collected[name] for name in per_part} == per_part


@pytest.mark.parametrize("role", CASES)
def test_healthy_runs_decide_as_expected(healthy: dict[CaseRole, Summary], role: CaseRole) -> None:
    # Without a healthy approve, "no approval under a fault" would prove nothing.
    got = healthy[role]
    assert (got.decision or "escalate") == EXPECTED[CASES[role]]["decision"] == role
    assert got.status == ("awaiting_review" if role == "escalate" else "completed")


def _faulty_part(backend: str, mode: str, rig: Rig) -> tuple[dict[str, Any], Fault]:
    """The toolset part that makes `backend` fail in `mode`, and its fault."""
    if backend == "seller_history":
        fault = Fault(
            mode,
            timeout=_sql_error("canceling statement due to statement timeout"),
            transient=_sql_error("database is locked"),
        )
        sellers = FaultySellerRows(rig.seller_engine, fault)
        if mode == "gone":
            # The database vanished after the backend started: its folder is not there.
            sellers._engine = create_engine(f"sqlite:///{rig.root / 'gone' / 'sellers.db'}")
        return {"sellers": sellers}, fault
    if backend == "image_check":
        fault = Fault(
            mode,
            timeout=BackendUnavailable(f"TimeoutError: image store did not answer in 5 s ({MARK})"),
            transient=BackendUnavailable(f"ConnectionResetError: image store dropped the read ({MARK})"),
        )
        checker = rig.toolset.images
        faulty = ImageChecker(FaultyImageSource(checker.source, fault), checker.bank, ocr=checker.ocr)
        return {"images": faulty}, fault
    if backend == "image_text":
        fault = Fault(
            mode,
            timeout=BackendUnavailable(f"TimeoutError: OCR engine did not answer in 5 s ({MARK})"),
            transient=BackendUnavailable(f"ConnectionResetError: OCR engine dropped the call ({MARK})"),
        )
        checker = rig.toolset.images
        assert checker.ocr is not None, "the bundled toolset reads image text"
        reader = FakeTextReader(
            checker.ocr.reader,
            fail=fault.before_call,
            answer=mode if mode in ("malformed", "wrong_type") else "real",  # type: ignore[arg-type]
        )
        ocr = ImageTextScreener(reader, checker.ocr.screener, max_pixels=checker.ocr.max_pixels)
        return {"images": ImageChecker(checker.source, checker.bank, ocr=ocr)}, fault
    part, method, broken = IN_PROCESS[backend]
    fault = Fault(
        mode,
        timeout=BackendUnavailable(f"TimeoutError: {backend} did not answer in 5 s ({MARK})"),
        transient=BackendUnavailable(f"ConnectionResetError: {backend} dropped the call ({MARK})"),
    )
    return {part: FaultyBackend(getattr(rig.toolset, part), method, fault, broken)}, fault


def _tool_marker(backend: str, mode: str, recovered: bool) -> str | None:
    """The text that names this failure in the trace (None: nothing to name)."""
    if recovered:
        # The seller backend retries below the trace: only the outcome can show it.
        return None
    if mode == "locked":
        return "database is locked"
    if mode == "gone":
        return "unable to open database file"
    if mode in ("raise", "timeout", "flaky"):
        return MARK
    return {
        ("seller_history", "malformed"): "valid list",
        ("seller_history", "wrong_type"): "valid dictionary",
        ("image_check", "malformed"): "not a readable image",
        ("image_check", "wrong_type"): "TypeError",
        ("image_text", "wrong_type"): "answered a str",
    }.get((backend, mode), "answered malformed data" if mode == "malformed" else "answered a dict")


@pytest.mark.parametrize(("backend", "mode", "role"), TOOL_CELLS)
def test_evidence_backend_fault(
    rig: Rig, healthy: dict[CaseRole, Summary], backend: str, mode: str, role: CaseRole
) -> None:
    case = CASES[role]
    parts, fault = _faulty_part(backend, mode, rig)
    auditor = build_auditor(rig.store, rig, **parts)
    if mode == "locked":
        with sqlite_lock(rig.seller_db, exclusive=True):
            ran = run_case(auditor, case)
    else:
        ran = run_case(auditor, case)

    # Slow always recovers; flaky only where the backend retried past the first failure.
    recovered = mode == "slow" or (mode == "flaky" and fault.calls > 1)
    # The OCR engine answers inside the image check: its failure shows on that tool's step.
    tool = "image_check" if backend == "image_text" else backend
    reasons = (f"tool_unavailable:{tool}",)
    if backend == "image_check":
        reasons += ("image_unreadable:",)
    if backend == "image_text":
        reasons = ("image_text_unavailable:",)
    check_invariants(
        ran,
        Expect(
            healthy=healthy[role],
            recovered=recovered,
            marker=_tool_marker(backend, mode, recovered),
            nodes=frozenset({tool, TOOL_NODES[tool]}),  # type: ignore[index]
            reasons=reasons,
        ),
    )
    assert fault.calls >= 1, "the fault was never reached"
    if backend in ("seller_history", "image_check", "image_text") and mode == "flaky":
        assert recovered, "a backend with a retry policy did not retry a transient failure"
    if backend == "seller_history" and mode == "flaky":
        assert fault.calls == 2  # failed once, retried once
    if backend == "seller_history" and mode in ("timeout", "locked", "gone"):
        assert fault.calls == 3  # every attempt of the backend's retry was made
    if mode == "slow":
        assert ran.outcome is not None
        [step] = [s for s in ran.store.steps(ran.outcome.run_id) if s.kind == "tool" and s.node == tool]
        assert step.duration_ms >= SLOW * 1000 * 0.9  # the delay happened, inside the traced step


HEALTHY_VERDICTS: dict[CaseRole, dict[str, Any]] = {
    "approve": {
        "decision": "approve",
        "clause_ids": [],
        "confidence": 0.9,
        "rationale": "A kitchen knife set from an established seller; nothing prohibited.",
    },
    "reject": {
        "decision": "reject",
        "clause_ids": ["WPN-4"],
        "confidence": 0.95,
        "rationale": "An automatic (switchblade) knife.",
    },
    "escalate": {
        "decision": "escalate",
        "clause_ids": [],
        "confidence": 0.5,
        "rationale": "Low price for the brand from a new account: a specialist should look.",
    },
}
"""What a healthy model answers for each case."""


def model_script(mode: str, role: CaseRole) -> Callable[[dict[str, Any]], Reply]:
    """The scripted server's answers for one model cell."""
    plan = tool_calls([(name, {}) for name in TOOL_NAMES])
    verdict = function_call("ModelVerdict", HEALTHY_VERDICTS[role])
    seen: Counter[str] = Counter()

    def script(request: dict[str, Any]) -> Reply:
        kind = "verdict" if is_verdict_request(request) else "plan"
        seen[kind] += 1
        good = verdict if kind == "verdict" else plan
        if mode == "http_500":
            return error(500, f"{MARK}: upstream down")
        if mode == "timeout":
            return good._replace(delay=MODEL_TIMEOUT * 3)
        if mode == "slow":
            return good._replace(delay=SLOW)
        if mode == "rate_limited_then_ok" and seen[kind] == 1:
            return error(429, f"{MARK}: rate limited")
        if mode == "malformed_json":
            broken = '{"decision": "approve", "confidence": 0.9'
            return (
                tool_calls([("seller_history", '{"seller_id": ')])
                if kind == "plan"
                else function_call("ModelVerdict", broken)
            )
        if mode == "wrong_schema":
            if kind == "plan":
                return tool_calls([("delete_seller_account", {"seller_id": "S00004"})])
            return function_call("ModelVerdict", {"decision": "approve", "confidence": "certain"})
        return good

    return script


@pytest.fixture(scope="module")
def model_server() -> Iterator[ScriptedOpenAI]:
    """One scripted OpenAI server for every model cell (each swaps in its own script)."""
    with ScriptedOpenAI(lambda request: error(500, "no script yet")).running() as server:
        yield server


def _model_agent(rig: Rig, server: ScriptedOpenAI, mode: str) -> Agent:
    url = "http://127.0.0.1:1/v1" if mode == "refused" else server.url
    spec = ModelSpec(
        model="gpt-4o-mini",
        base_url=url,
        attempts=2,
        backoff=0.0,
        max_backoff=0.0,
        timeout=MODEL_TIMEOUT if mode == "timeout" else 5.0,
    )
    # Every case goes to the model: a case the risk screen settles never asks it, and the
    # cells are about a model that fails.
    return llm_agent(spec, rig.toolset.evidence_tools(), screen_settles=False)


def _model_run(rig: Rig, server: ScriptedOpenAI, mode: str, role: CaseRole) -> Ran:
    server.script = model_script(mode, role)
    with server._lock:
        server.requests.clear()
    auditor = build_auditor(rig.store, rig, agent=_model_agent(rig, server, mode))
    return run_case(auditor, CASES[role])


@pytest.fixture(scope="module")
def healthy_model(rig: Rig, model_server: ScriptedOpenAI) -> dict[CaseRole, Summary]:
    """What the LLM agent decides for each case when the model answers well."""
    found = {}
    for role in CASES:
        ran = _model_run(rig, model_server, "healthy", role)
        assert ran.outcome is not None
        found[role] = Summary.of(ran.outcome)
    assert found["approve"].approves and found["reject"].decision == "reject"
    return found


MODEL_MARKERS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "http_500": (MARK, ("model_unavailable",)),
    "refused": ("Connection error", ("model_unavailable",)),
    "timeout": ("timed out", ("model_unavailable",)),
    "slow": (None, ()),
    "rate_limited_then_ok": (MARK, ()),
    "malformed_json": ("unusable after one repair", ("malformed_model_output",)),
    "wrong_schema": ("ValidationError", ("malformed_model_output",)),
}
"""How each unrecovered model failure is named: in the trace, and among the reasons."""


@pytest.mark.parametrize(("mode", "role"), MODEL_CELLS)
def test_model_fault(
    rig: Rig,
    model_server: ScriptedOpenAI,
    healthy_model: dict[CaseRole, Summary],
    mode: str,
    role: CaseRole,
) -> None:
    ran = _model_run(rig, model_server, mode, role)
    recovered = mode in ("slow", "rate_limited_then_ok")
    marker, reasons = MODEL_MARKERS[mode]
    check_invariants(
        ran,
        Expect(
            healthy=healthy_model[role],
            recovered=recovered,
            marker=marker,
            nodes=frozenset({"planner", "adjudicator"}),
            reasons=reasons,
        ),
    )
    assert ran.outcome is not None  # a model failure never fails the run
    steps = ran.store.steps(ran.outcome.run_id)
    attempts = [s for s in steps if s.kind == "model" and s.input and "purpose" in s.input]
    failed = [s for s in attempts if s.error]
    if mode == "refused":
        assert model_server.requests == []  # nothing listens where the agent points
    if mode in ("http_500", "refused", "timeout"):
        # Every attempt, the planner's and the adjudicator's, is a step with its error.
        assert len(failed) == len(attempts) == 4, [(s.node, s.error) for s in attempts]
        if ran.outcome.decision is not None:  # only a confident rules rejection may stand
            assert ran.outcome.decision.decision == "reject"
            assert "Model unavailable" in ran.outcome.decision.rationale
    if mode == "rate_limited_then_ok":
        assert [(s.node, s.attempt, bool(s.error)) for s in attempts] == [
            ("planner", 1, True),
            ("planner", 2, False),
            ("adjudicator", 1, True),
            ("adjudicator", 2, False),
        ]
    if mode in ("malformed_json", "wrong_schema"):
        purposes = [s.input["purpose"] for s in attempts if s.node == "adjudicator"]  # type: ignore[index]
        assert purposes == ["adjudicate", "repair"]  # one repair, then escalate
        # The broken plan falls back to every tool.
        assert len([s for s in steps if s.kind == "tool" and s.node in TOOL_NAMES]) == len(TOOL_NAMES)
    if mode == "slow":
        assert all(s.duration_ms >= SLOW * 1000 * 0.9 for s in attempts)


class FaultyStore(SqlAuditStore):
    """The SQL audit store whose database is locked, gone or refusing during one phase.

    `start`: from before the run is recorded; `mid`: after it is recorded until the run
    closes (the outage ends before the closing write); `close`: from the closing write on.
    """

    def __init__(self, path: Path, *, mode: str, phase: str) -> None:
        super().__init__(_short_busy_timeout(make_engine(f"sqlite:///{path}")))
        self.path = path
        self.mode = mode
        self.phase = phase
        self._live = self.engine
        self._moved = path.parent.with_name(f"{path.parent.name}-moved-away")
        self._outage = ExitStack()
        self.broken = False

    def break_(self) -> None:
        """Start the outage (idempotent)."""
        if self.broken:
            return
        self.broken = True
        if self.mode == "locked":
            self._outage.enter_context(sqlite_lock(self.path, exclusive=False))
        elif self.mode == "gone":
            # Pooled connections would keep the moved files open: drop them first.
            self._live.dispose()
            self.path.parent.rename(self._moved)
        else:
            self.engine = create_engine("postgresql+psycopg://auditgraph@127.0.0.1:1/audit")

    def heal(self) -> None:
        """End the outage (idempotent)."""
        self._outage.close()
        if self._moved.exists():
            self._live.dispose()
            self._moved.rename(self.path.parent)
        if self.engine is not self._live:
            self.engine.dispose()
            self.engine = self._live
        self.broken = False

    def start_run(self, run: RunRecord, case: dict, *, queued: bool = False) -> TraceStep:
        """Record the run, breaking before (`start`) or after (`mid`) as the phase says."""
        if self.phase == "start":
            self.break_()
        first = super().start_run(run, case, queued=queued)
        if self.phase == "mid":
            self.break_()
        return first

    def finish_run(self, run_id: str, status: RunStatus, **kwargs: Any) -> None:
        """Close the run; a `mid` outage ends here, a `close` one begins."""
        if status != "running":
            if self.phase == "mid":
                self.heal()
            elif self.phase == "close":
                self.break_()
        super().finish_run(run_id, status, **kwargs)


STORE_MARKERS = {
    "locked": "database is locked",
    "gone": "unable to open database file",
    "refused": "Connection refused",
}


@pytest.mark.parametrize(("mode", "phase", "role"), STORE_CELLS)
def test_store_fault(
    rig: Rig,
    healthy: dict[CaseRole, Summary],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    phase: str,
    role: CaseRole,
) -> None:
    store = FaultyStore(tmp_path / "db" / "audit.db", mode=mode, phase=phase)
    # Per-node writes, so a mid-run outage meets every node's trace write.
    auditor = build_auditor(store, rig, durability="sync" if phase == "mid" else "exit")
    try:
        ran = run_case(auditor, CASES[role])
    finally:
        store.heal()

    escalates = healthy[role].status == "awaiting_review"
    # A mid-run outage that ends before the close is absorbed, unless a write that is
    # not retried (opening the escalation) falls inside it.
    recovered = phase == "mid" and not escalates
    check_invariants(
        ran,
        Expect(
            healthy=healthy[role],
            recovered=recovered,
            # The trace cannot say the store was down; the caller's error or the
            # failed escalate step must.
            marker=None if recovered else STORE_MARKERS[mode],
            nodes=frozenset({"escalate"}) if phase == "mid" else frozenset(),
            raises=phase != "mid",
        ),
    )
    if phase == "start":
        # One clear error naming the store, and no run: nothing was audited.
        assert isinstance(ran.error, RecordingError) and "could not be started" in str(ran.error)
        assert ran.run() is None
    if phase == "close":
        assert isinstance(ran.error, RecordingError)
        assert auditor.recorder.pending(ran.run_id), "the trace was dropped, not held"
    if phase == "mid":
        # Every node's write met the outage: the recorder logged it and held the steps.
        failed_writes = [r for r in caplog.records if "trace write failed" in r.getMessage()]
        assert failed_writes and all(STORE_MARKERS[mode] in r.getMessage() for r in failed_writes)
        assert isinstance(ran.error, AuditFailed) if escalates else ran.outcome is not None
