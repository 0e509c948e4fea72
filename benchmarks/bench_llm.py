"""Benchmark the model agent: overhead against the critical path, concurrency, and tokens.

Run:
  .venv/bin/python benchmarks/bench_llm.py latency [--model-ms 300 --seller-ms 150 --image-ms 200]
  .venv/bin/python benchmarks/bench_llm.py local [--cases 6]     (needs `pip install -e '.[local-llm]'`)

latency: a scripted OpenAI-protocol server on 127.0.0.1 answers each model call after a
fixed delay, and the seller and image backends sleep as a remote service would. A case's
critical path is the two sequential model calls (plan, adjudicate) plus the slowest
parallel tool. It prints the median wall time per case against that path (target ratio
<= 1.10) and, with 32 cases in flight, the throughput against the ideal of
32 / critical path (target >= 0.8).

local: every bundled case through the real SmolLM2-135M served by llama.cpp on
127.0.0.1; prints time, model calls and tokens per case.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditgraph.agents import ModelSpec, llm_agent  # noqa: E402
from auditgraph.store import SqlAuditStore, make_engine  # noqa: E402
from auditgraph.tools import Toolset, load_bundled_toolset  # noqa: E402
from auditgraph.tools.image_check import ImageChecker  # noqa: E402
from auditgraph.tools.seller_history import SellerRecord  # noqa: E402
from auditgraph.workflows import Auditor  # noqa: E402
from auditgraph.workflows.checkpoint import checkpoint_serde  # noqa: E402

DATA = ROOT / "data"
CASE = json.loads((DATA / "cases" / "switchblade_collector.json").read_text())


class SlowSellers:
    """The bundled sellers behind a remote-service delay."""

    def __init__(self, inner: Any, delay: float) -> None:
        self.inner, self.delay = inner, delay

    def get(self, seller_id: str) -> SellerRecord | None:
        time.sleep(self.delay)
        return self.inner.get(seller_id)


class SlowImages:
    """The bundled images behind a remote-store delay (per case: one image)."""

    def __init__(self, inner: Any, delay: float) -> None:
        self.inner, self.delay = inner, delay

    def read(self, ref: str) -> bytes:
        time.sleep(self.delay)
        return self.inner.read(ref)


def _auditor(folder: Path, spec: ModelSpec, *, slow: tuple[float, float] | None) -> Auditor:
    store = SqlAuditStore(make_engine(f"sqlite:///{folder / 'audit.db'}"))
    toolset: Toolset = load_bundled_toolset(DATA, engine=store.engine, escalations=store)
    if slow is not None:
        images = ImageChecker(SlowImages(toolset.images.source, slow[1]), toolset.images.bank)
        toolset = dataclasses.replace(toolset, sellers=SlowSellers(toolset.sellers, slow[0]), images=images)
    conn = sqlite3.connect(folder / "checkpoints.db", check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    return Auditor(
        store=store,
        toolset=toolset,
        agent=llm_agent(spec, toolset.evidence_tools()),
        checkpointer=SqliteSaver(conn, serde=checkpoint_serde()),
        max_concurrency=None,  # remote tools: overlap them
    )


def _latency(args: argparse.Namespace) -> None:
    critical = 2 * args.model_ms + max(args.seller_ms, args.image_ms)
    # The model server runs in its own process, as a real one would: in this process it
    # would compete with the audits for the interpreter lock.
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.openai_server", "--latency-ms", str(args.model_ms)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    url = server.stdout.readline().strip()  # type: ignore[union-attr]
    try:
        _measure_latency(args, url, critical)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _measure_latency(args: argparse.Namespace, url: str, critical: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        spec = ModelSpec(model="gpt-4o-mini", base_url=url, timeout=10, attempts=1)
        auditor = _auditor(Path(tmp), spec, slow=(args.seller_ms / 1000, args.image_ms / 1000))
        auditor.audit(CASE)  # warm-up
        serial = []
        for _ in range(args.serial):
            start = time.perf_counter()
            outcome = auditor.audit(CASE)
            serial.append((time.perf_counter() - start) * 1000)
            assert outcome.decision is not None and outcome.decision.decision == "reject"
        median = statistics.median(serial)
        print(
            f"critical path: 2 model calls x {args.model_ms} ms + slowest tool {max(args.seller_ms, args.image_ms)} ms = {critical} ms"
        )
        print(
            f"serial, {args.serial} cases: median {median:.1f} ms, p95 {sorted(serial)[int(len(serial) * 0.95) - 1]:.1f} ms"
        )
        print(f"  ratio to the critical path: {median / critical:.3f}  (target <= 1.10)")
    ideal = args.concurrency / (critical / 1000)
    for processes in args.processes:
        per_process = args.concurrency // processes
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(processes + 1)
        results = context.Queue()
        workers = [
            context.Process(target=_worker, args=(url, args, per_process, barrier, results))
            for _ in range(processes)
        ]
        for w in workers:
            w.start()
        barrier.wait()  # every worker has built its auditor and warmed up
        start = time.perf_counter()
        done = sum(results.get() for _ in workers)
        elapsed = time.perf_counter() - start
        for w in workers:
            w.join()
        throughput = done / elapsed
        print(
            f"{args.concurrency} in flight in {processes} process(es) x {per_process} threads, {done} cases: "
            f"{throughput:.1f} cases/s, ideal {ideal:.1f} cases/s -> {throughput / ideal:.3f}  (target >= 0.80)"
        )


def _worker(url: str, args: argparse.Namespace, threads: int, barrier: Any, results: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        spec = ModelSpec(model="gpt-4o-mini", base_url=url, timeout=30, attempts=1)
        auditor = _auditor(Path(tmp), spec, slow=(args.seller_ms / 1000, args.image_ms / 1000))
        auditor.audit(CASE)
        barrier.wait()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            outcomes = list(pool.map(lambda _: auditor.audit(CASE), range(threads * args.waves)))
        assert all(o.decision is not None for o in outcomes)
        results.put(len(outcomes))


def _local(args: argparse.Namespace) -> None:
    from auditgraph.service.local_llm import MODEL_ALIAS, server_command

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(server_command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        spec = ModelSpec(
            model=MODEL_ALIAS, base_url=url, tool_choice="auto", timeout=180, attempts=2, max_tokens=256
        )
        cases = sorted((DATA / "cases").glob("*.json"))[: args.cases]
        print(f"{'case':<32} {'ms':>8} {'calls':>5} {'tokens in':>10} {'out':>6}  outcome")
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            auditor = _auditor(Path(tmp), spec, slow=None)
            for path in cases:
                start = time.perf_counter()
                outcome = auditor.audit(json.loads(path.read_text()))
                ms = (time.perf_counter() - start) * 1000
                calls = [
                    s
                    for s in auditor.store.steps(outcome.run_id)
                    if s.kind == "model" and s.input and "purpose" in s.input
                ]
                tin, tout = sum(s.tokens_in or 0 for s in calls), sum(s.tokens_out or 0 for s in calls)
                rows.append((ms, len(calls), tin, tout))
                result = outcome.decision.decision if outcome.decision else "escalate"
                print(f"{path.stem:<32} {ms:>8.0f} {len(calls):>5} {tin:>10} {tout:>6}  {result}")
        print(
            f"median per case: {statistics.median(r[0] for r in rows):.0f} ms, "
            f"{statistics.median(r[1] for r in rows):.0f} model calls, "
            f"{statistics.median(r[2] for r in rows):.0f} tokens in, {statistics.median(r[3] for r in rows):.0f} out"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    latency = sub.add_parser("latency", help="fixed-latency model and tools")
    latency.add_argument("--model-ms", type=int, default=300)
    latency.add_argument("--seller-ms", type=int, default=150)
    latency.add_argument("--image-ms", type=int, default=200)
    latency.add_argument("--serial", type=int, default=20)
    latency.add_argument("--concurrency", type=int, default=32)
    latency.add_argument(
        "--waves", type=int, default=6, help="rounds of cases per thread (more = closer to steady state)"
    )
    latency.add_argument(
        "--processes",
        type=int,
        nargs="+",
        default=[1, 2],
        help="worker processes sharing the cases in flight",
    )
    local = sub.add_parser("local", help="the real local model on bundled cases")
    local.add_argument("--cases", type=int, default=17)
    args = parser.parse_args()
    _latency(args) if args.mode == "latency" else _local(args)


if __name__ == "__main__":
    main()
