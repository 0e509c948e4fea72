"""Benchmark: the reviewer console's pages with 1,000 open escalations in the store, as
server time, against the goal of 100 ms median.

Run:  .venv/bin/python benchmarks/bench_console.py [--escalations 1000] [--requests 50]
      .venv/bin/python benchmarks/bench_console.py --postgres   # PostgreSQL at 127.0.0.1:5432/test

Builds a fresh store (a SQLite file in a temporary folder, or with `--postgres` a private
schema of the local PostgreSQL, dropped afterwards) and audits the bundled cases that
escalate, each under a new case id, through the real `Auditor` until `--escalations` are
open. The bundled runs that escalate have 24 trace steps (27 once reviewed); no bundled
case reaches 40, so the case page is measured on a real escalated run and on two copies
of it made longer by appending copies of its own evidence steps (node and tool pairs,
chained like the rest): `--steps` (40 by default) and 100 steps. The per-step cost is
the slope between the real run and the 100-step one.

Then starts `auditgraph serve` on that store (as an operator would), signs a reviewer in
and, after 5 warm-up requests each, asks for each page `--requests` times in a row:
  queue          GET /queue (first page: 50 rows, total, links)
  queue p10      GET /queue?page=10 (rows 451 to 500)
  queue filtered GET /queue?queue=fraud&area=...&waited=0 (filters in SQL)
  case N steps   GET /cases/{run_id} of a run with N trace steps
Server time is the `Server-Timing: app;dur=` header every console page carries (from the
request reaching the app to its headers: the page is rendered by then); the client's
wall time over loopback is printed beside it. Prints median and p95 of each, and the ratio
of the median server time to the 100 ms goal. The machine is shared and noisy: compare
ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
from serving import serve
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditgraph.service.settings import Settings  # noqa: E402
from auditgraph.service.wiring import open_auditor  # noqa: E402
from auditgraph.store import SqlAuditStore, TraceStep, make_engine, new_id  # noqa: E402
from auditgraph.store.chain import step_hash  # noqa: E402

GOAL_MS = 100.0
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ESCALATING = ("unknown_seller", "injection_in_description", "missing_image", "sneaker_new_account_low_price",
              "ip_report_needs_specialist")  # fmt: skip
"""The bundled cases the rules agent escalates (data/cases/expected.yaml)."""


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)]


@contextmanager
def _database(folder: Path, postgres: bool) -> Iterator[str]:
    """A fresh database's URL: a SQLite file in `folder`, or a private PostgreSQL schema."""
    if not postgres:
        yield f"sqlite:///{folder / 'audit.db'}"
        return
    schema = f"bench_console_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _fill(url: str, escalations: int) -> list[str]:
    """Audit escalating bundled cases until `escalations` are open; their run ids."""
    cases = [json.loads((ROOT / "data" / "cases" / f"{name}.json").read_text()) for name in ESCALATING]
    run_ids = []
    began = time.perf_counter()
    with open_auditor(Settings(database_url=url)) as auditor:
        for i in range(escalations):
            case = dict(cases[i % len(cases)], case_id=f"{cases[i % len(cases)]['case_id']}-c{i}")
            outcome = auditor.audit(case)
            if outcome.status != "awaiting_review":
                raise SystemExit(f"{case['case_id']} did not escalate ({outcome.status}); update ESCALATING")
            run_ids.append(outcome.run_id)
    print(f"audited {escalations} escalating cases in {time.perf_counter() - began:.1f} s", flush=True)
    return run_ids


def _lengthen(store: SqlAuditStore, run_id: str, steps: int) -> str:
    """A copy of run `run_id` (a new run of the same case) whose trace is made `steps`
    long by appending copies of its evidence steps, chained; the copy's run id."""
    original = store.get_run(run_id)
    copy = original.model_copy(update={"run_id": new_id("run"), "case_id": f"{original.case_id}-long{steps}"})
    case = dict(store.get_case(run_id) or {}, case_id=copy.case_id)
    first = store.start_run(copy, case)
    trace = store.steps(run_id)[1:]
    evidence = [s for s in trace if s.kind == "tool" or s.node.startswith(("check_", "screen_", "retrieve_"))]
    made: list[TraceStep] = []
    prev, seq = first.hash, first.seq
    source = iter(trace + evidence * steps)
    ids: dict[str, str] = {}
    while seq < steps:
        step = next(source)
        seq += 1
        ids[step.id] = new_id("step")
        fresh = step.model_copy(
            update={
                "id": ids[step.id],
                "run_id": copy.run_id,
                "case_id": copy.case_id,
                "seq": seq,
                "parent_id": ids.get(step.parent_id) if step.parent_id else None,
                "prev_hash": prev,
            }
        )
        fresh = fresh.model_copy(update={"hash": step_hash(prev, fresh)})
        prev = fresh.hash
        made.append(fresh)
    store.record_steps(made)
    store.finish_run(copy.run_id, "awaiting_review", head_hash=prev)
    escalation = store.escalation(run_id)
    assert escalation is not None
    store.open_escalation(
        escalation.model_copy(
            update={"escalation_id": new_id("esc"), "run_id": copy.run_id, "case_id": copy.case_id}
        )
    )
    found = len(store.steps(copy.run_id))
    assert found == steps, (found, steps)
    return copy.run_id


def _signed_in(base: str, token: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
    page = client.get("/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text[:300]
    answer = client.post("/sign-in", data={"token": token, "csrf": csrf.group(1)})
    assert answer.status_code == 303, answer.text[:300]
    return client


def _measure(client: httpx.Client, name: str, path: str, requests: int) -> float:
    """Median server time of `path` over `requests` requests (after 5 to warm up)."""
    server: list[float] = []
    wall: list[float] = []
    for n in range(5 + requests):
        began = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.text[:300]}")
        if n < 5:
            continue
        wall.append(elapsed)
        timing = re.fullmatch(r"app;dur=([0-9.]+)", response.headers.get("server-timing", ""))
        server.append(float(timing.group(1)) if timing else float("nan"))
    median = statistics.median(server)
    print(
        f"{name:<16} {median:>9.1f} {_pct(server, 0.95):>9.1f} {statistics.median(wall):>9.1f} "
        f"{_pct(wall, 0.95):>9.1f} {median / GOAL_MS:>9.2f}",
        flush=True,
    )
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--escalations", type=int, default=1000, help="open escalations in the store")
    parser.add_argument("--requests", type=int, default=50, help="requests per page, after 5 to warm up")
    parser.add_argument("--steps", type=int, default=40, help="trace steps of the lengthened case")
    parser.add_argument(
        "--postgres", action="store_true", help="PostgreSQL at 127.0.0.1:5432/test, not SQLite"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, _database(Path(tmp), args.postgres) as url:
        folder = Path(tmp)
        lengths = sorted({args.steps, 100})
        # The lengthened copies are open escalations too: the store holds `--escalations` in all.
        run_ids = _fill(url, args.escalations - len(lengths))
        store = SqlAuditStore(make_engine(url))
        real = run_ids[0]
        real_steps = len(store.steps(real))
        longer = {n: _lengthen(store, real, n) for n in lengths}
        store.engine.dispose()
        process, base, token = serve(folder, url, name="bench-reviewer", role="reviewer")
        try:
            client = _signed_in(base, token)
            with closing(client):
                print(
                    f"{'page':<16} {'srv p50':>9} {'srv p95':>9} {'wall p50':>9} {'wall p95':>9} {'p50/100ms':>9}"
                )
                _measure(client, "queue", "/queue", args.requests)
                _measure(client, "queue p10", "/queue?page=10", args.requests)
                _measure(
                    client,
                    "queue filtered",
                    "/queue?queue=fraud&area=counterfeit_ip&waited=0",
                    args.requests,
                )
                cases = {
                    real_steps: _measure(client, f"case {real_steps} steps", f"/cases/{real}", args.requests)
                }
                for steps, run_id in longer.items():
                    cases[steps] = _measure(client, f"case {steps} steps", f"/cases/{run_id}", args.requests)
        finally:
            process.terminate()
            process.wait(timeout=30)
        per_step = (cases[100] - cases[real_steps]) / (100 - real_steps)
        print()
        print(
            f"{'postgresql' if args.postgres else 'sqlite'}, {args.escalations} open escalations; bundled "
            f"escalated runs have {real_steps} steps (longer ones are lengthened copies)"
        )
        print(
            f"case page: {per_step:.3f} ms a step (slope {real_steps} -> 100 steps); "
            f"{args.steps} steps extrapolated from {real_steps}: "
            f"{cases[real_steps] + per_step * (args.steps - real_steps):.1f} ms, measured {cases[args.steps]:.1f} ms"
        )


if __name__ == "__main__":
    main()
