"""Many processes opening a new database at once: the migration and the seller seeding
run once, under a lock, and every process audits its case."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from auditgraph.store.schema import head_revision
from auditgraph.store.tables import SellerRow
from tests.conftest import PostgresRoles

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "data" / "cases" / "kitchen_knife_set.json"
PROCESSES = 8
AUDITGRAPH = Path(sys.executable).with_name("auditgraph")


def _start_at_once(url: str) -> list[subprocess.CompletedProcess[str]]:
    # The race under test is the first start (migration, seeding); the screen's embedder and
    # the OCR engine, loaded by each process, add seconds apiece and nothing to it.
    env = {
        **os.environ,
        "AUDITGRAPH_DATABASE_URL": url,
        "AUDITGRAPH_SCREEN_EMBEDDER": "none",
        "AUDITGRAPH_IMAGE_TEXT": "none",
    }
    procs = [
        subprocess.Popen(
            [str(AUDITGRAPH), "run", str(CASE)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def _check(url: str, results: list[subprocess.CompletedProcess[str]]) -> None:
    failed = [r for r in results if r.returncode != 0 or "Traceback" in r.stderr + r.stdout]
    assert not failed, "\n---\n".join(r.stderr[-2000:] for r in failed)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            sellers = conn.execute(select(func.count()).select_from(SellerRow.__table__)).scalar_one()  # type: ignore[attr-defined]
            revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()
            runs = conn.exec_driver_sql("SELECT count(*) FROM run").scalar_one()
    finally:
        engine.dispose()
    assert sellers > 0 and revision == head_revision() and runs == PROCESSES


@pytest.mark.skipif(not AUDITGRAPH.exists(), reason="the auditgraph command is not installed")
def test_eight_processes_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    _check(url, _start_at_once(url))


@pytest.mark.skipif(not AUDITGRAPH.exists(), reason="the auditgraph command is not installed")
def test_eight_processes_on_a_fresh_postgres_schema(postgres_roles: PostgresRoles) -> None:
    """Run with the schema owner's credentials (a deployment without a separate runtime
    role): the app migrates on start, once, under the lock."""
    _check(postgres_roles.migration, _start_at_once(postgres_roles.migration))
