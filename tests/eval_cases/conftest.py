"""Run an eval suite as pytest tests, one per case: `.venv/bin/pytest tests/eval_cases`.

Only collected when named on the command line: the suites measure the agent against
ground truth it is known to miss in places (see docs/evals.md), so they are not part of
the default run; `auditgraph eval run` gives the same cases as KPIs. Choose the suite with AUDITGRAPH_EVAL_SUITE (default core) and the agent with
AUDITGRAPH_MODEL, as for the CLI; filter cases with -k as usual. Audits are recorded in
a temporary database unless AUDITGRAPH_DATABASE_URL says otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditgraph.evals.dataset import EvalCase, load_dataset, suite_path
from auditgraph.service.settings import Settings
from auditgraph.service.wiring import open_auditor
from auditgraph.workflows import Auditor


def _suite() -> list[EvalCase]:
    return load_dataset(suite_path(os.environ.get("AUDITGRAPH_EVAL_SUITE", "core")))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "eval_case" in metafunc.fixturenames:
        cases = _suite()
        metafunc.parametrize("eval_case", cases, ids=[c.id for c in cases])


@pytest.fixture(scope="session")
def eval_auditor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Auditor]:
    default = f"sqlite:///{Path(tmp_path_factory.mktemp('evals')) / 'audit.db'}"
    settings = Settings(database_url=os.environ.get("AUDITGRAPH_DATABASE_URL", default))
    with open_auditor(settings) as auditor:
        yield auditor
