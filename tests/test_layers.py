"""The layer map is enforced: imports point down the table of docs/architecture.md only."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

LINT = Path(sys.executable).with_name("lint-imports")
FOLDERS = ("agents", "tools", "workflows", "store", "service", "evals", "data")


def _lint(cwd: Path, *, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [LINT, "--config", "pyproject.toml", "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_import_points_down_the_layer_table() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


def test_an_import_pointing_up_the_table_fails_and_is_named(tmp_path: Path) -> None:
    # The same tree, laid out as installed (auditgraph/<folder>), with one up-import added.
    package = tmp_path / "auditgraph"
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, package / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "tools" / "shortcut.py").write_text(
        '"""An evidence tool that reaches up into the graph."""\n\nfrom auditgraph.workflows import Auditor\n'
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    result = _lint(tmp_path, pythonpath=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "auditgraph.tools is not allowed to import auditgraph.workflows" in result.stdout
    assert "auditgraph.tools.shortcut -> auditgraph.workflows" in result.stdout
