"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions protocol from a script.

The LLM path is tested through the real `ChatOpenAI` client over real HTTP: only the
model's answers are scripted. Each request goes to `script(request_json)`, which returns
a `Reply` (status, JSON body, delay before answering).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

__all__ = ["Reply", "ScriptedOpenAI", "error", "function_call", "is_verdict_request", "text", "tool_calls"]


class Reply(NamedTuple):
    """What the server answers to one request."""

    status: int
    body: dict[str, Any]
    delay: float = 0.0


def _completion(message: dict[str, Any], finish: str, tokens_in: int, tokens_out: int) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "scripted",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        },
    }


def tool_calls(
    calls: list[tuple[str, dict[str, Any] | str]], *, tokens: tuple[int, int] = (1200, 80)
) -> Reply:
    """An assistant message calling tools; string arguments are sent as they are (e.g. broken JSON)."""
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": f"call_{i}_{uuid.uuid4().hex[:6]}",
                "type": "function",
                "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
            }
            for i, (name, args) in enumerate(calls)
        ],
    }
    return Reply(200, _completion(message, "tool_calls", *tokens))


def function_call(name: str, args: dict[str, Any] | str, *, tokens: tuple[int, int] = (1500, 120)) -> Reply:
    """One forced function call (what structured output asks for)."""
    return tool_calls([(name, args)], tokens=tokens)


def text(content: str, *, tokens: tuple[int, int] = (100, 20)) -> Reply:
    """A plain assistant message with no tool call."""
    return Reply(200, _completion({"role": "assistant", "content": content}, "stop", *tokens))


def error(status: int, message: str = "scripted failure", *, delay: float = 0.0) -> Reply:
    """An API error in OpenAI's error shape."""
    return Reply(status, {"error": {"message": message, "type": "server_error", "code": None}}, delay)


def is_verdict_request(request: dict[str, Any]) -> bool:
    """Whether the request is the adjudicator's structured-output call."""
    return any(t.get("function", {}).get("name") == "ModelVerdict" for t in request.get("tools", []))


class ScriptedOpenAI:
    """The server; `requests` keeps every request body in arrival order."""

    def __init__(self, script: Callable[[dict[str, Any]], Reply]) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The base URL to give the client."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def count(self, predicate: Callable[[dict[str, Any]], bool]) -> int:
        """How many requests so far satisfy `predicate`."""
        with self._lock:
            return sum(1 for r in self.requests if predicate(r))

    @contextmanager
    def running(self) -> Iterator[ScriptedOpenAI]:
        """Serve on an ephemeral port until the block ends."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Without it every reply waits ~40 ms for delayed ACKs.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                request = json.loads(self.rfile.read(length) or b"{}")
                with owner._lock:
                    owner.requests.append(request)
                reply = owner.script(request)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a time-out test)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # 32+ concurrent clients must not be refused
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def fixed_latency_script(delay: float) -> Callable[[dict[str, Any]], Reply]:
    """Plan every evidence tool, then reject under WPN-4; every answer after `delay` seconds."""
    plan = [
        (name, {})
        for name in ("seller_history", "image_check", "policy_retrieval", "text_screen", "brand_check")
    ]
    verdict = {"decision": "reject", "clause_ids": ["WPN-4"], "confidence": 0.95, "rationale": "switchblade"}

    def script(request: dict[str, Any]) -> Reply:
        reply = function_call("ModelVerdict", verdict) if is_verdict_request(request) else tool_calls(plan)
        return reply._replace(delay=delay)

    return script


def main() -> None:
    """Serve the fixed-latency script in its own process (benchmarks): prints the URL, then serves."""
    import argparse

    parser = argparse.ArgumentParser(description="Scripted OpenAI-protocol server with fixed latency.")
    parser.add_argument("--latency-ms", type=int, default=300)
    args = parser.parse_args()
    with ScriptedOpenAI(fixed_latency_script(args.latency_ms / 1000)).running() as server:
        print(server.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
