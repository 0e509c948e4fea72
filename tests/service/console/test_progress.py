"""Live progress of a run over real HTTP: server-sent events of its steps as they are
recorded, then `done` with its status; read with a streaming client, as a browser would."""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import httpx

from auditgraph.store import RunRecord, SqlAuditStore, TraceStep, make_engine, new_id
from auditgraph.workflows.tracing import StoreRecorder
from tests.service.api.conftest import Server, fresh_case
from tests.service.console.helpers import signed_in as _signed_in


def _events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """The stream's events as they arrive: {"event", "id", "data"}."""
    event: dict[str, Any] = {}
    for line in response.iter_lines():
        if not line:
            if "event" in event:
                yield event
            event = {}
        elif line.startswith("event: "):
            event["event"] = line.removeprefix("event: ")
        elif line.startswith("id: "):
            event["id"] = line.removeprefix("id: ")
        elif line.startswith("data: "):
            event["data"] = json.loads(line.removeprefix("data: "))


def _read_in_background(
    client: httpx.Client, url: str
) -> tuple[queue.Queue[dict[str, Any]], threading.Thread]:
    """Open the stream and put each event on a queue as it arrives (None when it ends)."""
    arrived: queue.Queue[dict[str, Any]] = queue.Queue()
    opened = threading.Event()

    def read() -> None:
        with client.stream("GET", url, timeout=30) as response:
            arrived.put(
                {"event": "open", "status": response.status_code, "type": response.headers["content-type"]}
            )
            opened.set()
            for event in _events(response):
                arrived.put(event)
        arrived.put({"event": "closed"})

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert opened.wait(10), "the stream did not open"
    return arrived, reader


def _step(run: RunRecord, node: str, **fields: Any) -> TraceStep:
    return TraceStep(run_id=run.run_id, case_id=run.case_id, node=node, kind="node", **fields)


def test_a_running_run_streams_each_step_as_it_is_recorded_then_done(server: Server) -> None:
    engine = make_engine(server.database_url)
    store = SqlAuditStore(engine)
    recorder = StoreRecorder(store)
    run = RunRecord(
        run_id=new_id("run"),
        case_id="in-flight-1",
        case_kind="listing_review",
        agent="rules",
        agent_version="test",
        policy_version="test",
    )
    recorder.start(run, {"case_id": "in-flight-1"})
    client, _ = _signed_in(server, server.tokens["reviewer"])
    with closing(client):
        page = client.get(f"/cases/{run.run_id}").text
        assert '<script src="/console/static/progress.js" defer></script>' in page
        assert f'data-progress-url="/cases/{run.run_id}/progress" data-after="1"' in page

        arrived, reader = _read_in_background(client, f"/cases/{run.run_id}/progress?after=1")
        opened = arrived.get(timeout=5)
        assert opened["status"] == 200 and opened["type"].startswith("text/event-stream")
        nodes = ["intake", "plan", "check_image"]
        for seq, node in enumerate(nodes, start=2):
            # The stream must show each step before the next is recorded: it is live.
            error = "<img src=x onerror=alert(1)>" if node == "check_image" else None
            recorder.record([_step(run, node, error=error)])
            event = arrived.get(timeout=5)
            assert event["event"] == "step" and event["id"] == str(seq), event
            assert (event["data"]["seq"], event["data"]["node"], event["data"]["kind"]) == (seq, node, "node")
            assert event["data"]["error"] == (error or "")
            time.sleep(0.7)
        assert arrived.empty()  # nothing more while the run is quiet
        recorder.close(run.run_id, "failed", error="stopped by the test")
        assert arrived.get(timeout=5) == {"event": "done", "data": {"status": "failed"}}
        assert arrived.get(timeout=5) == {"event": "closed"}
        reader.join(5)
    engine.dispose()


def test_a_submitted_run_streams_its_whole_trace_and_its_pause(server: Server) -> None:
    with server.client("ops") as api:
        accepted = api.post("/v1/cases", json=fresh_case("unknown_seller"))
    assert accepted.status_code in (201, 202), accepted.text
    run_id = accepted.json()["run"]["run_id"]
    client, _ = _signed_in(server, server.tokens["auditor"])
    with closing(client), client.stream("GET", f"/cases/{run_id}/progress", timeout=30) as response:
        events = list(_events(response))
    steps = [e["data"] for e in events if e["event"] == "step"]
    assert [s["seq"] for s in steps] == list(range(1, len(steps) + 1))
    assert {"adjudicate", "escalate"} <= {s["node"] for s in steps}
    assert events[-1] == {"event": "done", "data": {"status": "awaiting_review"}}
    # A reconnecting browser gets only what it has not seen.
    client, _ = _signed_in(server, server.tokens["auditor"])
    with (
        closing(client),
        client.stream(
            "GET", f"/cases/{run_id}/progress", headers={"Last-Event-ID": str(len(steps) - 2)}, timeout=30
        ) as response,
    ):
        later = [e["data"]["seq"] for e in _events(response) if e["event"] == "step"]
    assert later == [len(steps) - 1, len(steps)]


def test_progress_needs_a_session_and_a_run(server: Server) -> None:
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as anonymous:
        assert anonymous.get("/cases/run_0123456789abcdef/progress").status_code == 303
    client, _ = _signed_in(server, server.tokens["reviewer"])
    with closing(client):
        assert client.get("/cases/run_0123456789abcdef/progress").status_code == 404


def _streams_ended(server: Server) -> float:
    """How many progress streams the server has finished answering (its request metrics)."""
    text = httpx.get(f"{server.url}/metrics", timeout=30).text
    counts = re.findall(
        r'auditgraph_http_requests_total\{[^}]*route="/cases/\{run_id\}/progress"[^}]*\} (\S+)', text
    )
    return sum(float(c) for c in counts)


def test_a_stream_ends_when_its_client_goes_away(server: Server) -> None:
    engine = make_engine(server.database_url)
    recorder = StoreRecorder(SqlAuditStore(engine))
    run = RunRecord(
        run_id=new_id("run"),
        case_id="abandoned-1",
        case_kind="listing_review",
        agent="rules",
        agent_version="test",
        policy_version="test",
    )
    recorder.start(run, {"case_id": "abandoned-1"})  # and never finished: it stays running
    engine.dispose()
    ended = _streams_ended(server)
    client, _ = _signed_in(server, server.tokens["reviewer"])
    with closing(client), client.stream("GET", f"/cases/{run.run_id}/progress", timeout=30) as response:
        lines = response.iter_lines()  # kept: a dropped iterator would close the stream
        assert next(lines) == "retry: 2000"
        time.sleep(1.0)
        assert _streams_ended(server) == ended  # still streaming while the client listens
    deadline = time.monotonic() + 10
    while _streams_ended(server) == ended and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _streams_ended(server) == ended + 1
