"""Benchmark: the HTTP API under 1, 4 and 16 concurrent clients, against the same cases
audited in-process, on this machine, loopback only, with the rules agent.

Run:  .venv/bin/python benchmarks/bench_api.py [--cases 48] [--levels 1 4 16]

Starts `auditgraph serve` on a fresh SQLite database in a temporary folder (as an
operator would, default settings), then:
  in-proc@N   the bundled cases through one `Auditor.audit`, wired as the server wires
              it, called from N threads at once (1, and each client level): the baseline
  api@N       N concurrent clients (asyncio) each submitting cases with `POST /v1/cases?wait=true`
              until `--cases` cases are audited (each under a new case id)
  read        `GET /v1/runs/{id}` and `GET /v1/runs/{id}/trace` of audited runs
Prints throughput (cases/s), median and p95 latency per level, and the ratio of API
throughput to in-process throughput at the same concurrency and to the best in-process.
Each configuration is warmed first (models load on first use). The machine is shared and
noisy: compare ratios from one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from serving import serve

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditgraph.service.settings import Settings  # noqa: E402
from auditgraph.service.wiring import open_auditor  # noqa: E402

CASES = sorted((ROOT / "data" / "cases").glob("*.json"))
_ids = iter(range(10**9))
_ids_lock = threading.Lock()


def _case(i: int) -> dict[str, Any]:
    case = json.loads(CASES[i % len(CASES)].read_text())
    with _ids_lock:
        case["case_id"] = f"{case['case_id']}-b{next(_ids)}"
    return case


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)]


def _row(name: str, count: int, seconds: float, latencies: list[float]) -> float:
    rate = count / seconds
    print(
        f"{name:<12} {count:>5} {rate:>9.1f} {statistics.median(latencies):>9.1f} {_pct(latencies, 0.95):>9.1f}",
        flush=True,
    )
    return rate


def _in_process(folder: Path, count: int, levels: list[int]) -> dict[int, float]:
    """The cases through one `Auditor`, wired as the server wires it, from 1 thread and
    from as many threads as each level has clients."""
    settings = Settings(database_url=f"sqlite:///{folder / 'inprocess.db'}")
    rates = {}
    with open_auditor(settings) as auditor:
        for i in range(len(CASES)):
            auditor.audit(_case(i))  # warm: models and caches load on first use
        for threads in sorted({1, *levels}):
            latencies: list[float] = []

            def audit(i: int, latencies: list[float] = latencies) -> None:
                began = time.perf_counter()
                auditor.audit(_case(i))
                latencies.append((time.perf_counter() - began) * 1000)

            start = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(audit, range(count)))
            rates[threads] = _row(f"in-proc@{threads}", count, time.perf_counter() - start, latencies)
    return rates


def _api(base: str, token: str, clients: int, count: int, *, quiet: bool = False) -> tuple[float, list[str]]:
    """`clients` concurrent submitters (asyncio tasks on one connection pool, so the
    client side spends as little of the machine's two cores as it can)."""
    latencies: list[float] = []
    run_ids: list[str] = []
    remaining = iter(range(count))

    async def client(http: httpx.AsyncClient) -> None:
        for i in remaining:
            began = time.perf_counter()
            response = await http.post("/v1/cases", json=_case(i), params={"wait": "true"})
            elapsed = (time.perf_counter() - began) * 1000
            if response.status_code != 201:
                raise SystemExit(f"submit answered {response.status_code}: {response.text[:300]}")
            latencies.append(elapsed)
            run_ids.append(response.json()["run"]["run_id"])

    async def submit_all() -> None:
        limits = httpx.Limits(max_connections=clients)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=300, limits=limits) as http:
            await asyncio.gather(*(client(http) for _ in range(clients)))

    start = time.perf_counter()
    asyncio.run(submit_all())
    seconds = time.perf_counter() - start
    if quiet:
        return count / seconds, run_ids
    return _row(f"api@{clients}", count, seconds, latencies), run_ids


def _reads(base: str, token: str, run_ids: list[str]) -> None:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        for path in ("/v1/runs/{}", "/v1/runs/{}/trace"):
            latencies = []
            start = time.perf_counter()
            for run_id in run_ids:
                began = time.perf_counter()
                assert http.get(path.format(run_id)).status_code == 200
                latencies.append((time.perf_counter() - began) * 1000)
            _row(
                "read" + path.removeprefix("/v1/runs/{}") or "read",
                len(run_ids),
                time.perf_counter() - start,
                latencies,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=48, help="cases audited per configuration")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 16], help="concurrent clients")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"{'config':<12} {'cases':>5} {'cases/s':>9} {'p50 ms':>9} {'p95 ms':>9}")
        local = _in_process(folder, args.cases, args.levels)
        process, base, token = serve(folder, f"sqlite:///{folder / 'api.db'}", name="bench", role="ops")
        try:
            _api(base, token, 2, len(CASES), quiet=True)  # warm the server's caches
            rates = {}
            run_ids: list[str] = []
            for clients in args.levels:
                rates[clients], run_ids = _api(base, token, clients, args.cases)
            _reads(base, token, run_ids[:50])
        finally:
            process.terminate()
            process.wait(timeout=30)
        print()
        best = max(local.values())
        for clients, rate in rates.items():
            print(
                f"api@{clients}: {rate / local[clients]:.2f} of in-process at {clients} thread(s), "
                f"{rate / best:.2f} of the best in-process ({best:.1f} cases/s)"
            )


if __name__ == "__main__":
    main()
