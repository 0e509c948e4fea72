"""The built wheel is the whole product: installed into a new venv, it audits a bundled case
from a folder that is not the checkout, with its data found inside the installed package."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_SKIP = shutil.ignore_patterns(
    ".venv", ".git", ".auditgraph", "__pycache__", "*.egg-info", "build", ".*_cache"
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv holding only the wheel; its dependencies are borrowed, by path, from this one."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=_SKIP)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            work / "dist",
            source,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("auditgraph-*.whl")
    env = work / "venv"
    venv.create(env, with_pip=False)
    site = next((env / "lib").glob("python3*/site-packages"))
    # A bare path, not a site dir: this venv's editable-install hook is not loaded with it.
    (site / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            env / "bin" / "python",
            "install",
            "--quiet",
            "--no-deps",
            wheel,
        ],
        check=True,
        timeout=300,
    )
    return env


def test_the_wheel_installs_one_top_level_package(installed: Path) -> None:
    site = next((installed / "lib").glob("python3*/site-packages"))
    ours = {p.name for p in site.iterdir() if not p.name.startswith(("_", "pip"))} - {
        "auditgraph-0.1.0.dist-info"
    }
    assert ours == {"auditgraph"}
    assert sorted(p.name for p in (site / "auditgraph").iterdir() if p.name != "__pycache__") == [
        "agents",
        "data",
        "evals",
        "service",
        "store",
        "tools",
        "workflows",
    ]


def test_an_installed_wheel_audits_a_bundled_case_from_another_folder(
    installed: Path, tmp_path: Path
) -> None:
    site = next((installed / "lib").glob("python3*/site-packages"))
    case = site / "auditgraph" / "data" / "cases" / "switchblade_collector.json"
    env = {"PATH": "/usr/bin:/bin", "AUDITGRAPH_DATABASE_URL": f"sqlite:///{tmp_path / 'audit.db'}"}
    ran = subprocess.run(
        [installed / "bin" / "auditgraph", "run", case, "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    outcome = json.loads(ran.stdout)
    assert (outcome["status"], outcome["decision"], outcome["clause_ids"]) == (
        "completed",
        "reject",
        ["WPN-4"],
    )
    where = subprocess.run(
        [
            installed / "bin" / "python",
            "-c",
            "import auditgraph.tools, auditgraph.service.settings as s;"
            "print(auditgraph.tools.__file__); print(s.DEFAULT_DATA_DIR)",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(line.startswith(str(site)) for line in where), where
    # The eval suites and migrations travel with it too.
    assert (site / "auditgraph" / "evals" / "datasets" / "core.jsonl").is_file()
    assert (site / "auditgraph" / "store" / "migrations" / "alembic.ini").is_file()
