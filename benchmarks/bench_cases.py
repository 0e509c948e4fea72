"""Benchmark: every bundled case through the full graph, offline, with the rules agent.

Run:  .venv/bin/python benchmarks/bench_cases.py [--rounds 20]
  (or `make bench`)

Prints, per configuration, the median and p95 wall time per case and cases per second:
  full        SQLite audit store (runs, trace steps, decisions) + SQLite checkpointer, as the CLI runs
  no-trace    the same graph with the audit record kept in memory, SQLite checkpointer
  in-memory   memory store and in-memory checkpointer (all persistence off)
  bare-graph  the same topology (intake, plan, a 6-way fan-out: one node per evidence
              tool, adjudicate, guard, finalize) with nodes that do no work: LangGraph's
              own cost, its thread pool for the fan-out included
The audits run without the learned risk screen (no model is loaded), so five tools.
Then the ratios that matter: a full audit against the bare graph (full / bare-graph),
trace persistence overhead (full / no-trace) and LangGraph's share. Each case is run once
first to warm caches (the image hash cache, BM25, what masking found in each text and
libphonenumber in each window); one process, serial, one tool at a time (the default for
in-process backends); the configurations are interleaved round by round so machine noise
hits all of them alike.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send
from typing_extensions import TypedDict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditgraph.agents import rules_agent  # noqa: E402
from auditgraph.store import MemoryAuditStore, SqlAuditStore, make_engine  # noqa: E402
from auditgraph.tools import load_bundled_toolset  # noqa: E402
from auditgraph.tools.escalation import MemoryEscalationBackend  # noqa: E402
from auditgraph.workflows import Auditor  # noqa: E402
from auditgraph.workflows.checkpoint import checkpoint_serde  # noqa: E402
from auditgraph.workflows.nodes import TOOL_NODES  # noqa: E402

DATA = ROOT / "data"


def _cases() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((DATA / "cases").glob("*.json"))]


def _auditor(kind: str, folder: Path, durability: str) -> Auditor:
    engine = make_engine(f"sqlite:///{folder / f'{kind}.db'}")
    store = SqlAuditStore(engine) if kind == "full" else MemoryAuditStore()
    escalations = store if kind == "full" else MemoryEscalationBackend()
    toolset = load_bundled_toolset(DATA, engine=engine, escalations=escalations)
    if kind == "in-memory":
        checkpointer: Any = InMemorySaver(serde=checkpoint_serde())
    else:
        conn = sqlite3.connect(folder / f"{kind}-checkpoints.db", check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        checkpointer = SqliteSaver(conn, serde=checkpoint_serde())
    return Auditor(
        store=store,
        toolset=toolset,
        agent=rules_agent(),
        checkpointer=checkpointer,
        durability=durability,
        max_concurrency=1,
    )  # type: ignore[arg-type]


class _Bare(TypedDict, total=False):
    run_id: str
    evidence: dict


def _merge(a: dict | None, b: dict | None) -> dict:
    return {**(a or {}), **(b or {})}


def _bare_graph() -> Callable[[int], None]:
    class State(_Bare, total=False):
        evidence: Any

    State.__annotations__["evidence"] = __import__("typing").Annotated[dict, _merge]
    builder = StateGraph(State)
    for name in ("intake", "plan", "adjudicate", "guard", "finalize"):
        builder.add_node(name, lambda s: {})
    for node in TOOL_NODES.values():
        builder.add_node(node, lambda task, node=node: {"evidence": {node: 1}})
    builder.add_edge(START, "intake")
    builder.add_edge("intake", "plan")
    builder.add_conditional_edges(
        "plan", lambda s: [Send(n, {}) for n in TOOL_NODES.values()], list(TOOL_NODES.values())
    )
    for node in TOOL_NODES.values():
        builder.add_edge(node, "adjudicate")
    builder.add_edge("adjudicate", "guard")
    builder.add_edge("guard", "finalize")
    builder.add_edge("finalize", END)
    graph = builder.compile(checkpointer=InMemorySaver())

    def run(i: int) -> None:
        graph.invoke(
            {"run_id": str(i)},
            {"configurable": {"thread_id": f"bare-{i}"}, "max_concurrency": 1},
            durability="exit",
        )

    return run


def _measure(fn: Callable[[int], None], count: int) -> list[float]:
    times = []
    for i in range(count):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _row(name: str, times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(int(len(ordered) * 0.95), len(ordered) - 1)]
    median = statistics.median(ordered)
    total = sum(ordered) / 1000
    print(f"{name:<11} {len(ordered):>5} {median:>10.2f} {p95:>10.2f} {len(ordered) / total:>10.1f}")
    return {"median": median, "p95": p95}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=20, help="passes over all bundled cases per configuration"
    )
    parser.add_argument(
        "--durability",
        choices=["sync", "async", "exit"],
        default="exit",
        help="checkpoint durability (default: exit)",
    )
    args = parser.parse_args()
    cases = _cases()
    print(
        f"{len(cases)} bundled cases x {args.rounds} rounds, serial, one process, durability={args.durability}"
    )
    print("configurations interleaved round by round, so machine noise hits all of them alike")
    print(f"{'config':<11} {'runs':>5} {'median ms':>10} {'p95 ms':>10} {'cases/s':>10}")
    times: dict[str, list[float]] = {k: [] for k in ("full", "no-trace", "in-memory", "bare-graph")}
    with tempfile.TemporaryDirectory() as tmp:
        runners: dict[str, Callable[[int], None]] = {}
        for kind in ("full", "no-trace", "in-memory"):
            auditor = _auditor(kind, Path(tmp), args.durability)
            for case in cases:
                auditor.audit(case)
            runners[kind] = lambda i, a=auditor: a.audit(cases[i % len(cases)])  # type: ignore[misc]
        runners["bare-graph"] = _bare_graph()
        _measure(runners["bare-graph"], 20)
        for _ in range(args.rounds):
            for kind, run in runners.items():
                times[kind] += _measure(run, len(cases))
    results = {kind: _row(kind, t) for kind, t in times.items()}
    full, no_trace, bare_ms = (
        results["full"]["median"],
        results["no-trace"]["median"],
        results["bare-graph"]["median"],
    )
    print()
    print(f"a full audit against the bare graph (full / bare-graph, medians): {full / bare_ms:.2f}x")
    print(
        f"trace persistence overhead (full / no-trace, medians): {full / no_trace:.2f}x  (+{(full / no_trace - 1) * 100:.0f}%)"
    )
    print(f"LangGraph's own cost as a share of a full run (bare-graph / full): {bare_ms / full:.0%}")
    print(
        f"target: full median < 20 ms -> {'met' if full < 20 else 'NOT met'}; overhead < 30% -> {'met' if full / no_trace < 1.3 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
