"""Tracing that leaves the process (LangSmith) carries no personal data: a real local
endpoint receives what LangChain uploads, and no seeded value is in it."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from langchain_core.tracers.langchain import wait_for_all_tracers
from langsmith import utils as langsmith_utils

from auditgraph.workflows import Auditor
from auditgraph.workflows.external_tracing import masked_payload
from tests.conftest import load_case

PHONE = "+1 415 555 0134"
EMAIL = "jane.doe@example.com"


class _Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[bytes]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if body:
            type(self).received.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def tracing_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """LangSmith tracing switched on, pointed at a real HTTP server on 127.0.0.1."""
    _Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    monkeypatch.setenv("LANGSMITH_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("LANGSMITH_API_KEY", "test-key")
    monkeypatch.setenv("LANGSMITH_PROJECT", "auditgraph-test")
    langsmith_utils.get_env_var.cache_clear()
    yield _Collector.received
    server.shutdown()
    langsmith_utils.get_env_var.cache_clear()


def test_no_personal_value_leaves_the_process_with_tracing_on(
    make_auditor: Callable[..., Auditor], tracing_endpoint: list[bytes]
) -> None:
    case = load_case("kitchen_knife_set")
    case["listing"]["description"] += f" Questions? Call me at {PHONE} or write to {EMAIL}."
    auditor = make_auditor()
    assert auditor._tracers, "tracing is on: the auditor must trace through its masking client"
    auditor.audit(case)
    wait_for_all_tracers()
    for tracer in auditor._tracers:
        tracer.client.flush()  # type: ignore[attr-defined]
    sent = b"\n".join(tracing_endpoint).decode("utf-8", "replace")
    assert "chef knife set" in sent.lower(), "the run was not traced at all"
    assert PHONE not in sent and "415 555 0134" not in sent and EMAIL not in sent
    assert "[phone]" in sent and "[email]" in sent


def test_with_tracing_off_the_auditor_adds_no_tracer(make_auditor: Callable[..., Auditor]) -> None:
    langsmith_utils.get_env_var.cache_clear()
    assert make_auditor()._tracers == []


def test_the_masked_payload_is_plain_json_with_personal_data_masked() -> None:
    from auditgraph.tools.case import parse_case

    case = load_case("kitchen_knife_set")
    case["listing"]["description"] = f"Call {PHONE}"
    payload = masked_payload({"case": parse_case(case), "tags": ("a", EMAIL)})
    assert json.loads(json.dumps(payload))["case"]["listing"]["description"] == "Call [phone]"
    assert payload["tags"] == ["a", "[email]"]
