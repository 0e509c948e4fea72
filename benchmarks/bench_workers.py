"""Load test: cases submitted through the HTTP API to `auditgraph worker` processes on
PostgreSQL and RabbitMQ, on this machine, loopback only, with the rules agent.

Run:  .venv/bin/python benchmarks/bench_workers.py [--cases 2000] [--phases two kill one paced log]
                                                   [--images unique|shared]

Each phase gets a fresh PostgreSQL schema (database `test` on 127.0.0.1:5432) and a broker
queue of its own (RabbitMQ on 127.0.0.1:5672), one `auditgraph serve` (default settings
plus the broker) and worker processes started as an operator starts them. Phases:
  two     2 workers: every case submitted (`POST /v1/cases`, 8 client threads, no wait),
          then the time until the last run pauses for review or ends
  kill    the same, with one worker SIGKILLed once a third of the runs have settled and
          started again 2 s later
  one     1 worker: the same load, for the 2-vs-1 scaling ratio
  paced   2 workers, 300 cases submitted at half the `two` phase's throughput: submit-to-
          decision latency when the workers keep up (in the other phases it is mostly
          time spent waiting in the backlog)
  log     the database's ceiling on recording runs: start and finish runs through the
          audit store alone (no graph, no HTTP) from 1, 4 and 8 threads for 5 s each;
          every start and end appends to the one signed log of run heads, which takes an
          advisory lock until its transaction commits
Images: by default (`--images unique`) every case gets its own copy of its listing's
photos, the same pixels with a nonce in a PNG text chunk, so that no case reuses another's
image hash or OCR result (each process caches both by content): the cost of new photos, as
in real traffic. `--images shared` submits the bundled files themselves: after each
process's first sight of the four photos, only the rest of the audit is measured.
After each phase a reconciliation query checks that every submitted case has exactly one
run, settled (paused for review or completed, none running or failed), with at most one
decision and no graph node recorded twice, and that every dispatch row is done.
Prints throughput (runs settled per second), p50/p95 submit-to-decision (the run's
recorded start to its recorded pause or end, both stamped by the database's clients on
this machine), reconciliation counts, and the 2-vs-1 ratio. Each phase is bounded by
`--timeout` seconds. The machine is shared and noisy: compare ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from serving import serve
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BROKER = "amqp://guest:guest@127.0.0.1:5672//"
CASES = (
    "counterfeit_watch_replica",
    "ip_report_needs_specialist",
    "appeal_claims_removed",
    "ip_report_counterfeit",
)


def _case(n: int, tag: str, images: Path | None) -> dict[str, Any]:
    """Case `n` of a phase: one of the bundled cases under a new id, with its photos copied
    under `images` with a nonce (new bytes, the same pixels) unless `images` is None."""
    case = json.loads((ROOT / "data" / "cases" / f"{CASES[n % len(CASES)]}.json").read_text())
    case["case_id"] = f"bench-{tag}-{n}"
    if images is not None:
        listing = case.get("listing", {})
        refs = []
        for i, ref in enumerate(listing.get("images", [])):
            copy = images / f"{n}-{i}.png"
            copy.write_bytes(_with_nonce((ROOT / "data" / "images" / ref).read_bytes(), f"{tag}-{n}-{i}"))
            refs.append(str(copy))
        listing["images"] = refs
    return case


def _with_nonce(png: bytes, nonce: str) -> bytes:
    """`png` with a text chunk holding `nonce` after its header: new bytes, same pixels."""
    signature, header_end = b"\x89PNG\r\n\x1a\n", 8 + 4 + 4 + 13 + 4
    if not png.startswith(signature) or png[12:16] != b"IHDR":
        raise SystemExit("the bundled listing photos are expected to be PNG files")
    data = b"Comment\x00" + nonce.encode()
    chunk = len(data).to_bytes(4, "big") + b"tEXt" + data + zlib.crc32(b"tEXt" + data).to_bytes(4, "big")
    return png[:header_end] + chunk + png[header_end:]


class Phase:
    """One deployment: schema, queue, server, workers."""

    def __init__(self, name: str, folder: Path, *, unique_images: bool) -> None:
        self.name = name
        self.folder = folder / name
        self.folder.mkdir()
        self.images: Path | None = self.folder / "images" if unique_images else None
        if self.images is not None:
            self.images.mkdir()
        self.schema = f"bench_{name}_{uuid.uuid4().hex[:6]}"
        self.admin = create_engine(POSTGRES)
        with self.admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {self.schema}"))
        self.url = f"{POSTGRES}?options=-csearch_path%3D{self.schema}"
        self.env = {
            **os.environ,
            "AUDITGRAPH_DATABASE_URL": self.url,
            "AUDITGRAPH_BROKER_URL": BROKER,
            "AUDITGRAPH_WORKER_QUEUE": f"auditgraph.bench.{self.schema}",
            "AUDITGRAPH_WORKER_LEASE_SECONDS": "10",
            "AUDITGRAPH_WORKER_SWEEP_SECONDS": "2",
        }
        if self.images is not None:
            self.env["AUDITGRAPH_IMAGE_ROOTS"] = json.dumps([str(self.images)])
        settings = {k: v for k, v in self.env.items() if k.startswith("AUDITGRAPH_")}
        self.server, self.base, self.token = serve(
            self.folder, self.url, name="bench", role="ops", settings=settings
        )
        self.workers: list[subprocess.Popen[bytes]] = []
        self.engine = create_engine(self.url)

    def start_worker(self) -> subprocess.Popen[bytes]:
        n = len(self.workers)
        log = (self.folder / f"worker-{n}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "auditgraph.service", "worker", f"--name=bench{n}@{self.schema}"],
            cwd=self.folder,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while "worker ready" not in (self.folder / f"worker-{n}.log").read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(
                    f"worker {n} did not start:\n{(self.folder / f'worker-{n}.log').read_text()[-2000:]}"
                )
            time.sleep(0.1)
        self.workers.append(process)
        return process

    def cases(self, count: int) -> list[dict[str, Any]]:
        """The phase's `count` cases, their photos copied (before anything is timed)."""
        return [_case(n, self.schema, self.images) for n in range(count)]

    def submit(self, bodies: list[dict[str, Any]], *, rate: float | None = None) -> float:
        """Submit the cases `bodies`; the seconds it took."""
        began = time.perf_counter()
        local = threading.local()

        def send(n: int) -> None:
            if rate is not None:
                time.sleep(max(0.0, began + n / rate - time.perf_counter()))
            if not hasattr(local, "client"):  # one kept-alive connection per thread
                local.client = httpx.Client(
                    base_url=self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=60
                )
            response = local.client.post("/v1/cases", json=bodies[n])
            if response.status_code != 202:
                raise SystemExit(f"submit {n}: {response.status_code} {response.text[:300]}")

        with ThreadPoolExecutor(8 if rate is None else 32) as pool:
            list(pool.map(send, range(len(bodies))))
        return time.perf_counter() - began

    def settled(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM run WHERE status <> 'running'")).scalar_one())

    def wait(self, count: int, timeout: float, *, on_progress: Any = None) -> None:
        deadline = time.monotonic() + timeout
        while (done := self.settled()) < count:
            if on_progress is not None:
                on_progress(done)
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.name}: only {done} of {count} runs settled within {timeout:.0f} s")
            time.sleep(0.5)

    def figures(self, count: int) -> dict[str, Any]:
        """Throughput, latency and the reconciliation of this phase's record."""
        with self.engine.connect() as conn:
            times = conn.execute(text("SELECT started, ended FROM run WHERE ended IS NOT NULL")).all()
            checks = {
                "cases submitted": count,
                "cases with exactly one run": conn.execute(
                    text(
                        "SELECT count(*) FROM (SELECT case_id FROM run GROUP BY case_id HAVING count(*) = 1) c"
                    )
                ).scalar_one(),
                "cases with more than one run": conn.execute(
                    text(
                        "SELECT count(*) FROM (SELECT case_id FROM run GROUP BY case_id HAVING count(*) > 1) c"
                    )
                ).scalar_one(),
                "runs settled": conn.execute(
                    text("SELECT count(*) FROM run WHERE status IN ('completed', 'awaiting_review')")
                ).scalar_one(),
                "runs running or failed": conn.execute(
                    text("SELECT count(*) FROM run WHERE status NOT IN ('completed', 'awaiting_review')")
                ).scalar_one(),
                "runs with two decisions": conn.execute(
                    text(
                        "SELECT count(*) FROM (SELECT run_id FROM decision GROUP BY run_id HAVING count(*) > 1) d"
                    )
                ).scalar_one(),
                "nodes recorded twice": conn.execute(
                    text(
                        "SELECT count(*) FROM (SELECT run_id, node FROM trace_step WHERE kind = 'node' "
                        "AND node <> 'await_review' GROUP BY run_id, node HAVING count(*) > 1) n"
                    )
                ).scalar_one(),
                "dispatch rows not done": conn.execute(
                    text("SELECT count(*) FROM run_dispatch WHERE state <> 'done'")
                ).scalar_one(),
                "runs taken over (attempts > 1)": conn.execute(
                    text("SELECT count(*) FROM run_dispatch WHERE attempts > 1")
                ).scalar_one(),
            }
        first = min(s for s, _ in times)
        last = max(e for _, e in times)
        latencies = sorted((e - s).total_seconds() for s, e in times)
        return {
            "throughput": len(times) / (last - first).total_seconds(),
            "p50": statistics.median(latencies),
            "p95": latencies[int(0.95 * (len(latencies) - 1))],
            "span": (last - first).total_seconds(),
            "reconciliation": checks,
            "reconciled": checks["cases with exactly one run"] == count
            and checks["runs settled"] == count
            and not any(
                checks[k]
                for k in (
                    "cases with more than one run",
                    "runs running or failed",
                    "runs with two decisions",
                    "nodes recorded twice",
                    "dispatch rows not done",
                )
            ),
        }

    def close(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.server.terminate()
        self.server.wait(timeout=30)
        self.engine.dispose()
        with self.admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {self.schema} CASCADE"))
        self.admin.dispose()


def cpu_seconds() -> dict[int, tuple[str, float]]:
    """CPU time (user + system) used so far by each process on this machine, with its kind:
    the API server, the workers, PostgreSQL, RabbitMQ, this benchmark, everything else."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        if "auditgraph.service serve" in cmd:
            kind = "api"
        elif "auditgraph.service worker" in cmd or name.startswith("celery") or "celery" in cmd:
            kind = "workers"
        elif name.startswith("postgres") or "postgres" in cmd:
            kind = "postgresql"
        elif name.startswith("beam") or "rabbitmq" in cmd:
            kind = "rabbitmq"
        elif int(entry.name) == os.getpid():
            kind = "benchmark"
        else:
            kind = "other"
        used[int(entry.name)] = (kind, seconds)
    return used


def cpu_by_kind(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds each kind of process used between two readings. A process that ended in
    between took its counters with it (a killed worker): its time is missing."""
    used: dict[str, float] = {}
    for pid, (kind, seconds) in after.items():
        start = before.get(pid, (kind, 0.0))[1]
        used[kind] = used.get(kind, 0.0) + max(0.0, seconds - start)
    return used


def log_ceiling(folder: Path) -> dict[int, float]:
    """Runs started and completed per second through `SqlAuditStore`, by thread count."""
    sys.path.insert(0, str(ROOT))
    from auditgraph.store import RunRecord, SqlAuditStore, make_engine, new_id
    from auditgraph.store.signing import Signer

    schema = f"bench_log_{uuid.uuid4().hex[:6]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(f"{POSTGRES}?options=-csearch_path%3D{schema}", pool_size=10)
    store = SqlAuditStore(engine, signer=Signer(folder / "log-key.pem", create=True))
    rates: dict[int, float] = {}
    try:
        for threads in (1, 4, 8):
            stop = time.perf_counter() + 5.0
            done = [0] * threads

            def record(n: int, stop: float = stop, done: list[int] = done) -> None:
                while time.perf_counter() < stop:
                    run = RunRecord(
                        run_id=new_id("run"),
                        case_id=new_id("case"),
                        case_kind="listing_review",
                        agent="rules",
                        agent_version="v1",
                        policy_version="p1",
                    )
                    store.start_run(run, {"case_id": run.case_id}, queued=True)
                    store.finish_run(run.run_id, "completed")
                    done[n] += 1

            began = time.perf_counter()
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(record, range(threads)))
            rates[threads] = sum(done) / (time.perf_counter() - began)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    return rates


def run_phase(
    name: str,
    folder: Path,
    *,
    cases: int,
    workers: int,
    timeout: float,
    kill: bool = False,
    rate: float | None = None,
    unique_images: bool = True,
) -> dict[str, Any]:
    phase = Phase(name, folder, unique_images=unique_images)
    try:
        for _ in range(workers):
            phase.start_worker()
        killed = threading.Event()

        def maybe_kill(done: int) -> None:
            if kill and not killed.is_set() and done >= cases // 3:
                killed.set()
                victim = phase.workers[-1]
                os.killpg(victim.pid, signal.SIGKILL)
                print(f"  {name}: SIGKILLed worker pid {victim.pid} at {done} settled runs", flush=True)
                time.sleep(2)
                phase.start_worker()
                print(f"  {name}: started a new worker", flush=True)

        bodies = phase.cases(cases)
        before, began = cpu_seconds(), time.perf_counter()
        submit_s = phase.submit(bodies, rate=rate)
        phase.wait(cases, timeout, on_progress=maybe_kill)
        after, wall = cpu_seconds(), time.perf_counter() - began
        figures = phase.figures(cases)
        figures["submit_s"] = submit_s
        used = cpu_by_kind(before, after)
        figures["cpu_ms_per_case"] = {k: 1000 * v / cases for k, v in used.items()}
        figures["cores_busy"] = sum(used.values()) / wall
        return figures
    finally:
        phase.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument(
        "--phases",
        nargs="+",
        default=["two", "kill", "one", "paced", "log"],
        choices=["two", "kill", "one", "paced", "log"],
    )
    parser.add_argument("--timeout", type=float, default=1200.0, help="Seconds a phase may take at most.")
    parser.add_argument(
        "--images",
        choices=["unique", "shared"],
        default="unique",
        help="unique: each case its own copy of its photos (default); shared: the bundled files.",
    )
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.phases:
            if name == "log":
                rates = log_ceiling(Path(tmp))
                said = ", ".join(f"{t} thread(s) {r:.0f} runs/s" for t, r in rates.items())
                print(f"log: runs started and completed through the store alone: {said}", flush=True)
                continue
            if name == "paced" and "two" not in results:
                print("paced needs the two phase first (its rate is half of two's throughput)")
                continue
            workers = 1 if name == "one" else 2
            cases = 300 if name == "paced" else args.cases
            rate = results["two"]["throughput"] / 2 if name == "paced" else None
            print(
                f"{name}: {cases} cases, {workers} worker(s){f', {rate:.1f}/s' if rate else ''} ...",
                flush=True,
            )
            figures = run_phase(
                name,
                Path(tmp),
                cases=cases,
                workers=workers,
                timeout=args.timeout,
                kill=name == "kill",
                rate=rate,
                unique_images=args.images == "unique",
            )
            results[name] = figures
            print(
                f"  {name}: {figures['throughput']:.1f} runs/s over {figures['span']:.0f} s "
                f"(submitted in {figures['submit_s']:.0f} s); submit-to-decision p50 {figures['p50']:.2f} s, "
                f"p95 {figures['p95']:.2f} s; reconciled: {figures['reconciled']}",
                flush=True,
            )
            for check, value in figures["reconciliation"].items():
                print(f"    {check}: {value}")
            cpu = ", ".join(f"{k} {v:.0f}" for k, v in sorted(figures["cpu_ms_per_case"].items()))
            print(
                f"    CPU ms per case: {cpu}; cores busy on average: {figures['cores_busy']:.2f} of {os.cpu_count()}"
            )
    if "two" in results and "one" in results:
        ratio = results["two"]["throughput"] / results["one"]["throughput"]
        print(f"2 workers / 1 worker throughput: {ratio:.2f}x")


if __name__ == "__main__":
    main()
