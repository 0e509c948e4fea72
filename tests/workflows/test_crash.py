"""A run killed at a node boundary is recovered, and its trace is complete and verifies.

The first test stands in for the kill with an exception nothing catches. The rest kill a
real process: a forked child opens the auditor exactly as the CLI does (`open_auditor`:
the audit store and LangGraph's saver in one database), starts an audit and SIGKILLs
itself at a chosen point, so no `finally`, no `close` and no commit runs. The parent then
opens a fresh auditor on the same database, as the next process would, and calls
`recover`.

Every kill point runs on SQLite (a copy of a seeded file, `SqliteSaver`); those the
suite's time allows also run on PostgreSQL (the module's own schema as the app's runtime
role, `PostgresSaver` on a psycopg pool; each test its own run id): at ~1.5 s a test, the
audit's kill points under `exit` (what workers run) and the review's under `exit` and
`sync` (`BACKEND_DURABILITIES`). The child opens its own engine and pool after the fork.
A kill in the middle of a trace write means the same there: the statement ran in the open
transaction, and the server rolls it back when the connection dies with the process.

Kill points, for every node the case passes through:

- `start`: the node function was entered, nothing of it ran;
- `end`: the node's steps were handed to the recorder (with per-node writes: committed),
  the node returned nothing yet and LangGraph saved no checkpoint for it;
- `write` (per-node writes only): the INSERT of the node's trace rows executed, its
  transaction did not commit;

and once per run, `close`: the runner's final `finish_run` executed its first statement
(with `exit` durability the INSERT of the whole trace) and did not commit.

What `recover` promises differs by durability. With `sync` the graph continues from the
last saved step and the trace continues its chain. With `async` the same, except that
checkpoints are saved while later steps run, so the steps since the last one that landed
run again (and are recorded twice; the chain still verifies). With `exit` LangGraph saves no
checkpoint until the graph returns, so a run killed inside the graph kept nothing and is
audited again from its stored case under the same run id; the recovered trace is then the
whole second audit. The escalating case is then reviewed, and must finish and verify.

A review killed the same way leaves the run `awaiting_review` with its review recorded:
`recover` applies it, or the review is submitted again, and either must finish the run
with one review record.

Two windows need care, and are covered: a node whose trace committed but whose checkpoint
write did not (`finalize`, a reviewed `await_review`) is applied as recorded rather than
run again; and with `exit`, a run killed in its final write kept a checkpoint but none of
its trace, so it is audited again (or its review resumed from the pause).
"""

from __future__ import annotations

import functools
import gc
import hashlib
import multiprocessing
import os
import re
import shutil
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

import pytest
from sqlalchemy import event

from auditgraph import tools
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor
from auditgraph.store.chain import verify_run
from auditgraph.store.records import TraceStep
from auditgraph.store.sql import SqlAuditStore
from auditgraph.tools.seller_history import SellerRecord
from auditgraph.workflows import Auditor, ReviewError, ReviewTaken, RunOutcome, nodes
from auditgraph.workflows.tracing import StoreRecorder
from tests.conftest import load_case


class Killed(BaseException):
    """Stands in for the process being killed: nothing in the run may catch it."""


class DiesOnce:
    """A seller backend whose first call kills the process."""

    def __init__(self, inner: object) -> None:
        self.inner, self.calls = inner, 0

    def get(self, seller_id: str) -> SellerRecord | None:
        self.calls += 1
        if self.calls == 1:
            raise Killed
        return self.inner.get(seller_id)  # type: ignore[attr-defined]


@pytest.mark.parametrize("durability", ["sync", "exit"])
def test_a_killed_run_is_recovered_and_verifies(
    make_auditor: Callable[..., Auditor], durability: str
) -> None:
    base = make_auditor()
    auditor = make_auditor(sellers=DiesOnce(base.toolset.sellers))
    auditor.durability = durability  # type: ignore[assignment]
    auditor.recorder.write = "run" if durability == "exit" else "node"
    with pytest.raises(Killed):
        auditor.audit(load_case("switchblade_collector"))
    [run] = auditor.store.list_runs()
    assert run.status == "running"
    kept = auditor.store.steps(run.run_id)
    assert kept[0].kind == "start"  # the start record is written before anything runs
    assert (len(kept) > 1) == (durability == "sync")  # per-step mode kept the finished nodes

    outcome = auditor.recover(run.run_id)
    assert outcome.decision is not None and outcome.decision.clause_ids == ["WPN-4"]
    store = auditor.store
    steps = store.steps(run.run_id)
    result = verify_run(
        store.get_run(run.run_id), steps, store.decisions(run.run_id), store.reviews(run.run_id)
    )
    assert result.ok, result.problems
    assert [s.node for s in steps if s.kind == "node"][-1] == "finalize"
    with pytest.raises(ReviewError, match="only a run left running"):
        auditor.recover(run.run_id)


# --- real process death -------------------------------------------------------------

Durability = Literal["sync", "async", "exit"]
DURABILITIES: tuple[Durability, ...] = ("sync", "async", "exit")
Backend = Literal["sqlite", "postgres"]
Drive = Literal["audit", "review"]
BACKENDS: tuple[Backend, ...] = ("sqlite", "postgres")
BACKEND_DURABILITIES: dict[tuple[Backend, Drive], tuple[Durability, ...]] = {
    ("sqlite", "audit"): DURABILITIES,
    ("sqlite", "review"): DURABILITIES,
    # What the suite's time allows on PostgreSQL (each test is two processes opening the
    # auditor, ~1.5 s): every audit kill point under `exit`, what workers run, and every
    # review kill point under `exit` and `sync`, whose per-node writes bring the kill in the
    # middle of a trace write. `async` differs from `sync` only in when LangGraph saves
    # checkpoints, which the SQLite runs cover.
    ("postgres", "audit"): ("exit",),
    ("postgres", "review"): ("sync", "exit"),
}
KillAt = Literal["start", "end", "write", "close"]
TOOL_NODES = tuple(nodes.TOOL_NODES.values())


@dataclass(frozen=True)
class Scenario:
    """A bundled case, the nodes an uninterrupted audit passes through, and its review."""

    case: str
    stages: tuple[tuple[str, ...], ...]
    """The nodes of each super-step, in order (tool nodes run in one super-step)."""
    review: dict[str, Any] | None = None
    """The review applied once the run awaits one (None: the case finishes by itself)."""

    @property
    def nodes(self) -> tuple[str, ...]:
        """Every node of the audit, in super-step order."""
        return tuple(node for stage in self.stages for node in stage)

    def stage_of(self, node: str) -> int:
        """The super-step `node` runs in."""
        return next(i for i, stage in enumerate(self.stages) if node in stage)


_GATHER = (("intake",), ("plan",), TOOL_NODES, ("adjudicate",), ("guard",))
SCENARIOS = {
    "finishes": Scenario("switchblade_collector", (*_GATHER, ("finalize",))),
    "escalates": Scenario(
        "injection_in_description",
        (*_GATHER, ("escalate",), ("await_review",)),
        review={
            "reviewer": "r1",
            "decision": "reject",
            "reason": "A replica tote, and an instruction aimed at the reviewer.",
            "clause_ids": ["CIP-1"],
        },
    ),
}


class KillPoint(NamedTuple):
    """Where the child dies: at `at` of `node` (`close` has no node)."""

    at: KillAt
    node: str | None = None


def _kill_points(path: tuple[str, ...], durability: Durability) -> list[KillPoint]:
    """Every kill point of a drive through the nodes `path`, then its close."""
    # `write` needs per-node writes: with `exit` a node's steps are only held in memory.
    kinds: tuple[KillAt, ...] = ("start", "end", "write") if durability != "exit" else ("start", "end")
    return [KillPoint(at, node) for at in kinds for node in path] + [KillPoint("close")]


def _param(backend: Backend, name: str, durability: Durability, kill: KillPoint, *, drive: Drive) -> Any:
    """One test case, named by what it drives, on which database, where and how it dies."""
    case_id = f"{drive}-{backend}-{name}-{durability}-{kill.at}-{kill.node or 'run'}"
    return pytest.param(backend, name, durability, kill, id=case_id)


def _audit_points(backend: Backend, scenario: Scenario, durability: Durability) -> list[KillPoint]:
    """The audit's kill points on `backend`. On PostgreSQL under `exit` a node's start and
    end leave the same record (nothing is written before the close): its start is enough."""
    points = _kill_points(scenario.nodes, durability)
    if backend == "postgres" and durability == "exit":
        points = [p for p in points if p.at != "end"]
    return points


MATRIX = [
    _param(backend, name, durability, kill, drive="audit")
    for backend in BACKENDS
    for name, scenario in SCENARIOS.items()
    for durability in BACKEND_DURABILITIES[backend, "audit"]
    for kill in _audit_points(backend, scenario, durability)
]


REVIEW_MATRIX = [
    _param(backend, "escalates", durability, kill, drive="review")
    for backend in BACKENDS
    for durability in BACKEND_DURABILITIES[backend, "review"]
    for kill in _kill_points(("await_review", "finalize"), durability)
]


@pytest.fixture(scope="module", autouse=True)
def _parsed_data_once() -> Iterator[None]:
    """Parse the bundled YAML data once per module instead of once per opened auditor.

    Each test opens two auditors (the child's and the recovering parent's) and pure-Python
    YAML parsing is ~0.5 s of each open; the parsed packs are read-only.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in ("load_lexicon", "load_policy_pack", "load_brand_registry", "load_hash_bank"):
            patch.setattr(tools, name, functools.cache(getattr(tools, name)))
        yield


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database with the tables made and the sellers loaded, to copy for each test."""
    db = tmp_path_factory.mktemp("seeded") / "audit.db"
    with _open(f"sqlite:///{db}", "sync"):
        pass
    return db


class Target(NamedTuple):
    """Where one test audits: a database URL and the run id it alone uses there."""

    url: str
    run_id: str


@pytest.fixture
def target(request: pytest.FixtureRequest, tmp_path: Path, backend: Backend) -> Target:
    """A copy of the seeded SQLite file, or the module's PostgreSQL schema (migrated once,
    used as the app's runtime role) and a run id no other test of the module uses."""
    if backend == "sqlite":
        seeded: Path = request.getfixturevalue("seeded_db")
        return Target(f"sqlite:///{shutil.copy(seeded, tmp_path / 'audit.db')}", "run_killed")
    url: str = request.getfixturevalue("module_postgres_url")
    return Target(url, f"run_killed_{hashlib.sha256(request.node.name.encode()).hexdigest()[:16]}")


@contextmanager
def _open(url: str, durability: Durability) -> Iterator[Auditor]:
    """An auditor wired as the CLI wires it, on the audit store and checkpoints at `url`."""
    with open_auditor(Settings(database_url=url, durability=durability, model="rules")) as a:
        yield a


def _die(marker: Path, where: str) -> None:
    """Leave a note of where, then die at once: no cleanup, no flush, no commit."""
    marker.write_text(where)
    os.kill(os.getpid(), signal.SIGKILL)


def _statement_head(statement: str) -> str:
    """The statement up to its first column list or parameter, the same for SQLite's `?`
    and psycopg's `%(name)s` placeholders: `INSERT INTO trace_step`, `UPDATE run SET status=`."""
    return re.split(r"[(,?%]", statement, maxsplit=1)[0].strip()


def _kill_at_start(node: str, marker: Path) -> None:
    """Wrap the node's function so that entering it kills the process (before graph build)."""
    name = "gather" if node in TOOL_NODES else node
    original = getattr(nodes, name)

    @functools.wraps(original)
    def entered(state: Any, runtime: Any) -> Any:
        if name != "gather" or nodes.TOOL_NODES[state["call"].tool] == node:
            _die(marker, f"start {node}")
        return original(state, runtime)

    setattr(nodes, name, entered)


def _arm_on(kill: KillPoint, marker: Path) -> threading.local:
    """Patch the recorder and store so the kill point is reached; return the write arming flag."""
    armed = threading.local()
    record, finish_run = StoreRecorder.record, SqlAuditStore.finish_run

    def recorded(self: StoreRecorder, steps: list[TraceStep]) -> None:
        mine = steps[0].kind == "node" and steps[0].node == kill.node
        armed.on = kill.at == "write" and mine
        try:
            record(self, steps)
        finally:
            armed.on = False
        if kill.at == "end" and mine:
            _die(marker, f"end {kill.node}")

    def finishing(self: SqlAuditStore, *args: Any, **kwargs: Any) -> None:
        armed.on = kill.at == "close"
        finish_run(self, *args, **kwargs)

    StoreRecorder.record = recorded  # type: ignore[method-assign]
    SqlAuditStore.finish_run = finishing  # type: ignore[method-assign]
    return armed


def _child(
    url: str, durability: Durability, act: Callable[[Auditor], object], kill: KillPoint, marker: Path
) -> None:
    """In the forked child: install the kill point, then `act` until it kills the process.

    The patches are made after the fork, so they live and die with the child; the node
    functions are wrapped before `open_auditor` builds the graph from them. The child opens
    its own engine and, on PostgreSQL, its own checkpoint pool: the parent holds none open
    across the fork, and a connection must never be shared by two processes.
    """
    if kill.at == "start":
        _kill_at_start(kill.node or "", marker)
    armed = _arm_on(kill, marker)
    with _open(url, durability) as auditor:

        @event.listens_for(auditor.store.engine, "after_cursor_execute")
        def _executed(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            # The statement ran inside the open transaction; dying now leaves it uncommitted.
            if getattr(armed, "on", False) and (
                kill.at == "close" or statement.startswith("INSERT INTO trace_step")
            ):
                _die(marker, _statement_head(statement))

        act(auditor)


def _run_killed(
    url: str, durability: Durability, act: Callable[[Auditor], object], kill: KillPoint, marker: Path
) -> str:
    """`act` on an auditor in a forked child that SIGKILLs itself at `kill`; return where it
    died (the child writes it to `marker`)."""
    child = multiprocessing.get_context("fork").Process(
        target=_child, args=(url, durability, act, kill, marker)
    )
    # Frozen objects are skipped by the child's collector, which would otherwise touch
    # (and so copy) most of the parent's pages: ~10% of this module's time.
    gc.freeze()
    child.start()
    gc.unfreeze()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        child.join()
    assert child.exitcode == -signal.SIGKILL, f"the child was not killed at {kill} (exit {child.exitcode})"
    return marker.read_text()


def _where(durability: Durability, kill: KillPoint, *, pauses: bool) -> str:
    """What the child was doing when it died at `kill`: a node boundary or a statement."""
    if kill.at in ("start", "end"):
        return f"{kill.at} {kill.node}"
    if kill.at == "write" or durability == "exit":
        return "INSERT INTO trace_step"
    # With per-node writes the final transaction holds no steps: it opens with the
    # decision record, or, for a run pausing for review, with the status update.
    return "UPDATE run SET status=" if pauses else "INSERT INTO decision"


def _audit(auditor: Auditor, case: str, run_id: str) -> RunOutcome:
    """Audit the bundled `case` as run `run_id`."""
    return auditor.audit(load_case(case), run_id=run_id)


class Baseline(NamedTuple):
    """What an uninterrupted audit of a case gives."""

    paused: RunOutcome
    """The outcome of `audit` (awaiting review for an escalated case)."""
    final: RunOutcome
    """The outcome once finished (after the review, for an escalated case)."""
    nodes: list[str]
    """The node steps of its trace before any review, in order."""


@pytest.fixture(scope="module")
def _baselines() -> dict[tuple[str, str, str], Baseline]:
    """The baselines found so far in this module, by database, scenario and durability."""
    return {}


@pytest.fixture
def baseline(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _baselines: dict[tuple[str, str, str], Baseline],
    backend: Backend,
    name: str,
    durability: Durability,
) -> Baseline:
    """An uninterrupted audit of the scenario with the durability, on the test's kind of
    database: made once per module, in its own SQLite file or as its own PostgreSQL run."""
    key = (backend, name, durability)
    if key not in _baselines:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp(f'baseline-{name}-{durability}') / 'audit.db'}"
        else:
            url = request.getfixturevalue("module_postgres_url")
        scenario, run_id = SCENARIOS[name], f"run_baseline_{name}_{durability}"
        with _open(url, durability) as auditor:
            paused = _audit(auditor, scenario.case, run_id)
            steps = auditor.store.steps(run_id)
            final = auditor.review(run_id, scenario.review) if scenario.review else paused
        _baselines[key] = Baseline(paused, final, [s.node for s in steps if s.kind == "node"])
    return _baselines[key]


def _check_kept(scenario: Scenario, durability: Durability, kill: KillPoint, steps: list[TraceStep]) -> None:
    """What the killed child left in the trace: whole nodes, up to the kill point."""
    kept = [s.node for s in steps if s.kind == "node"]
    assert [s.seq for s in steps] == list(range(1, len(steps) + 1))
    if durability == "exit":
        assert kept == [], "exit durability writes the trace only when the run pauses or ends"
        return
    if kill.at == "close":
        assert Counter(kept) == Counter(scenario.nodes)
        return
    node = kill.node or ""
    stage = scenario.stage_of(node)
    assert (node in kept) == (kill.at == "end"), f"{node} kept: {kept}"
    assert set(kept) >= {n for n in scenario.nodes if scenario.stage_of(n) < stage}
    assert not {n for n in kept if scenario.stage_of(n) > stage}
    assert len(kept) == len(set(kept))


def _check_recorded(auditor: Auditor, run_id: str, *, decisions: int, reviews: int) -> list[TraceStep]:
    """The run holds `decisions` and `reviews` records and a gapless trace that verifies; return it."""
    store = auditor.store
    steps = store.steps(run_id)
    assert [s.seq for s in steps] == list(range(1, len(steps) + 1))
    assert len(store.decisions(run_id)) == decisions
    assert len(store.reviews(run_id)) == reviews
    result = verify_run(store.get_run(run_id), steps, store.decisions(run_id), store.reviews(run_id))
    assert result.ok, result.problems
    return steps


def _may_rerun(scenario: Scenario, durability: Durability, kill: KillPoint) -> set[str]:
    """Nodes the recovered trace may hold once more than an uninterrupted one.

    A node's steps commit before LangGraph saves its writes, so with `sync` a node killed
    at its end, or a sibling tool node whose queued writes the kill lost, runs again on
    recovery, and a run paused for review raises its interrupt again. With `exit` nothing
    was written, and the case is audited once, afresh.
    """
    if durability == "exit":
        return set()
    if kill.node is None:
        return set(scenario.stages[-1]) if scenario.review else set()
    stage = scenario.stage_of(kill.node)
    if durability == "async":
        # Checkpoints are saved while later steps run: under load several may not have
        # landed, and every step since the last one that did runs again.
        return {n for s in scenario.stages[: stage + 1] for n in s}
    return set(scenario.stages[stage])


def _kept_of_review(durability: Durability, kill: KillPoint) -> Counter[str]:
    """The node steps a review killed at `kill` left beyond those of the paused run.

    With per-node writes (`sync`, `async`): the steps of each node that ended before the
    kill, the killed node's own once it ended; a write killed mid-statement is rolled back.
    With `exit`: none, the resumed run's steps are held until it ends.
    """
    if durability == "exit":
        return Counter()
    path = ("await_review", "finalize")
    if kill.at == "close":
        return Counter(path)
    return Counter(path[: path.index(kill.node or "") + (kill.at == "end")])


def _open_escalations_of(auditor: Auditor, run_id: str) -> list[str]:
    """The open escalations of `run_id` (a PostgreSQL schema holds the module's other runs)."""
    return [e.run_id for e in auditor.store.open_escalations() if e.run_id == run_id]


def _same_outcome(got: RunOutcome, expected: RunOutcome) -> None:
    """The outcomes agree on status, decision, grounds and escalation."""
    assert got.status == expected.status
    assert (got.decision is None) == (expected.decision is None)
    if got.decision is not None and expected.decision is not None:
        assert (got.decision.decision, got.decision.decided_by, got.decision.clause_ids) == (
            expected.decision.decision,
            expected.decision.decided_by,
            expected.decision.clause_ids,
        )
    if expected.escalation is not None:
        assert got.escalation is not None
        assert (got.escalation.queue, got.escalation.reasons) == (
            expected.escalation.queue,
            expected.escalation.reasons,
        )


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "name", "durability", "kill"), MATRIX)
def test_a_run_killed_by_sigkill_resumes_with_a_complete_verified_trace(
    tmp_path: Path, target: Target, baseline: Baseline, name: str, durability: Durability, kill: KillPoint
) -> None:
    """An audit's process killed at `kill` is left running; `recover` finishes it as if never killed.

    Finished as if never killed: the same outcome as an uninterrupted audit, every node in
    a gapless trace that verifies, one decision record; an escalated run then takes its
    review and finishes the same way.
    """
    scenario, (url, run_id) = SCENARIOS[name], target
    assert [scenario.stage_of(n) for n in baseline.nodes] == sorted(map(scenario.stage_of, baseline.nodes))
    assert Counter(baseline.nodes) == Counter(scenario.nodes), "the graph's path changed: update SCENARIOS"

    audit = functools.partial(_audit, case=scenario.case, run_id=run_id)
    died = _run_killed(url, durability, audit, kill, tmp_path / "killed")
    assert died == _where(durability, kill, pauses=bool(scenario.review))

    with _open(url, durability) as auditor:
        run = auditor.store.get_run(run_id)
        assert (run.status, run.decision, run.ended) == ("running", None, None)
        assert auditor.store.decisions(run_id) == []
        _check_kept(scenario, durability, kill, auditor.store.steps(run_id))

        outcome = auditor.recover(run_id)
        _same_outcome(outcome, baseline.paused)
        assert auditor.store.get_run(run_id).status == baseline.paused.status
        finishes = scenario.review is None
        steps = _check_recorded(auditor, run_id, decisions=int(finishes), reviews=0)
        [recovery] = [s for s in steps if s.kind == "recovery"]  # the trace says it happened
        expected_source = (
            {"stored case"} if durability == "exit" else {"checkpoint", "recorded decision", "stored case"}
        )
        assert recovery.output["from"] in expected_source, recovery.output  # type: ignore[index]
        recorded = Counter(s.node for s in steps if s.kind == "node")
        assert set(recorded) >= set(baseline.nodes)
        assert recorded["finalize"] == int(finishes)
        again = recorded - Counter(baseline.nodes)
        assert set(again) <= _may_rerun(scenario, durability, kill), f"recorded twice: {again}"
        assert max(again.values(), default=0) <= 1
        with pytest.raises(ReviewError, match="only a run left running"):
            auditor.recover(run_id)
        if finishes:
            return

        kept = auditor.store.escalation(run_id)
        assert outcome.escalation is not None and kept is not None
        assert outcome.escalation.escalation_id == kept.escalation_id
        assert _open_escalations_of(auditor, run_id) == [run_id]
        reviewed = auditor.review(run_id, scenario.review)  # type: ignore[arg-type]
        _same_outcome(reviewed, baseline.final)
        assert auditor.store.get_run(run_id).status == "completed"
        steps = _check_recorded(auditor, run_id, decisions=1, reviews=1)
        assert Counter(s.node for s in steps if s.kind == "node")["finalize"] == 1
        assert _open_escalations_of(auditor, run_id) == []


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "name", "durability", "kill"), REVIEW_MATRIX)
def test_a_review_killed_by_sigkill_can_be_submitted_again(
    tmp_path: Path, target: Target, baseline: Baseline, name: str, durability: Durability, kill: KillPoint
) -> None:
    """A review's process killed at a node boundary leaves the run running, its review
    recorded and signed.

    Submitting the review again is refused: the run is being applied, as far as anyone
    can tell, by the process that moved it to running. `recover` applies the recorded
    review and must finish the run with one review, one decision and a trace that verifies.
    """
    scenario, (url, run_id) = SCENARIOS[name], target
    review: dict[str, Any] = scenario.review  # type: ignore[assignment]
    with _open(url, durability) as auditor:
        assert _audit(auditor, scenario.case, run_id).status == "awaiting_review"

    submit = functools.partial(Auditor.review, run_id=run_id, review=review)
    assert _run_killed(url, durability, submit, kill, tmp_path / "killed") == _where(
        durability, kill, pauses=False
    )

    with _open(url, durability) as auditor:
        run = auditor.store.get_run(run_id)
        assert (run.status, run.decision) == ("running", None)
        assert auditor.store.decisions(run_id) == []
        kept = Counter(s.node for s in auditor.store.steps(run_id) if s.kind == "node")
        assert kept - Counter(baseline.nodes) == _kept_of_review(durability, kill), kept
        # The review was recorded (claiming the escalation) before the graph resumed.
        assert [r.decision for r in auditor.store.reviews(run_id)] == [review["decision"]]
        with pytest.raises(ReviewTaken, match="another process is applying that review"):
            auditor.review(run_id, review)
        reviewed = auditor.recover(run_id)
        _same_outcome(reviewed, baseline.final)
        assert auditor.store.get_run(run_id).status == "completed"
        steps = _check_recorded(auditor, run_id, decisions=1, reviews=1)
        recorded = Counter(s.node for s in steps if s.kind == "node")
        assert set(recorded) >= set(baseline.nodes)
        assert recorded["finalize"] == 1
        assert _open_escalations_of(auditor, run_id) == []
