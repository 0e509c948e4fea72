"""The doors' entry points run every command, and the service modules import one another
without a cycle: shared modules never import a door."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditgraph.service.settings import Settings
from tests.conftest import CASES, ROOT

SERVICE = ROOT / "service"
# `service/__main__.py` is the command line's second entry point, so part of that door.
DOORS = (
    "auditgraph.service.cli",
    "auditgraph.service.__main__",
    "auditgraph.service.studio",
    "auditgraph.service.api",
    "auditgraph.service.console",
    "auditgraph.service.worker",
)
MOUNTS = {
    ("auditgraph.service.api.app", "auditgraph.service.console"),
    ("auditgraph.service.cli.worker", "auditgraph.service.worker.app"),
}
"""The doors that start another: the HTTP server's app mounts the reviewer console (one
process, one auditor, the same identities), and `auditgraph worker` runs the Celery worker."""


def _python_m(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("module", ["auditgraph.service", "auditgraph.service.cli"])
def test_python_m_knows_the_eval_commands(module: str) -> None:
    ran = _python_m(module, "eval", "--help")
    assert ran.returncode == 0, ran.stderr
    for command in ("run", "check", "compare", "import-reviews"):
        assert f" {command} " in ran.stdout, ran.stdout


@pytest.mark.slow
def test_python_m_service_audits_a_bundled_case(settings: Settings) -> None:
    ran = _python_m("auditgraph.service", "run", str(CASES / "switchblade_collector.json"), "--json")
    assert ran.returncode == 0, ran.stderr
    outcome = json.loads(ran.stdout)
    assert (outcome["status"], outcome["decision"], outcome["clause_ids"]) == (
        "completed",
        "reject",
        ["WPN-4"],
    )


def _module_name(path: Path) -> str:
    parts = path.relative_to(SERVICE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("auditgraph.service", *parts))


def _import_graph() -> dict[str, set[str]]:
    """Each service module and the service modules it imports (anywhere in its body)."""
    modules = {_module_name(p): p for p in SERVICE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                edges.update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom) and node.module in modules:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    edges.add(sub if sub in modules else node.module)
        graph[name] = edges - {name}
    return graph


def test_service_modules_import_one_another_without_a_cycle() -> None:
    graph = _import_graph()
    assert "auditgraph.service.cli.evals" in graph
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        if module in path:
            raise AssertionError(" -> ".join((*path[path.index(module) :], module)))
        if module in done:
            return
        for imported in sorted(graph[module]):
            visit(imported, (*path, module))
        done.add(module)

    for module in sorted(graph):
        visit(module, ())


def _door_of(module: str) -> str | None:
    return next((d for d in DOORS if module == d or module.startswith(d + ".")), None)


def test_a_door_never_imports_another_door() -> None:
    for module, imported in _import_graph().items():
        door = _door_of(module)
        if door is None or door == "auditgraph.service.__main__":
            continue
        others = {m for m in imported if _door_of(m) not in (None, door) and (module, m) not in MOUNTS}
        assert not others, f"{module} imports {sorted(others)}"


def test_shared_modules_never_import_a_door() -> None:
    def is_door(module: str) -> bool:
        return any(module == door or module.startswith(door + ".") for door in DOORS)

    for module, imported in _import_graph().items():
        if not is_door(module):
            assert not {m for m in imported if is_door(m)}, module
