"""The boundary examples of the clauses pack 2026.12.1 added, run as listings through the
rules agent: no allowed look-alike is taken down, and every new area has a violating
example the agent decides alone, citing a clause of that area."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from auditgraph.agents import rules_agent
from auditgraph.store import SqlAuditStore, make_engine
from auditgraph.tools import load_bundled_toolset
from auditgraph.tools.policy_pack import PolicyLibrary
from auditgraph.workflows import Auditor
from auditgraph.workflows.checkpoint import checkpoint_serde
from tests.conftest import DATA

PACKS = PolicyLibrary(DATA / "policy")
CURRENT = PACKS.current
EARLIER = {c.id for c in PACKS.pack("2026.11.1").clauses}
ADDED = [c for c in CURRENT.clauses if c.id not in EARLIER]
NEW_AREAS = sorted({c.area for c in CURRENT.clauses} - {c.area for c in PACKS.pack("2026.11.1").clauses})


@pytest.fixture(scope="module")
def auditor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Auditor]:
    """One rules-agent auditor for the module's many small audits."""
    path: Path = tmp_path_factory.mktemp("examples") / "audit.db"
    store = SqlAuditStore(make_engine(f"sqlite:///{path}"))
    yield Auditor(
        store=store,
        toolset=load_bundled_toolset(DATA, engine=store.engine, escalations=store),
        agent=rules_agent(),
        checkpointer=InMemorySaver(serde=checkpoint_serde()),
    )


def _listing(n: int, text: str) -> dict:
    return {
        "kind": "listing_review",
        "case_id": f"example-{n}",
        "received_at": "2026-12-02T09:00:00Z",
        "listing": {
            "listing_id": f"lst-example-{n}",
            "seller_id": "S00006",
            "title": text,
            "description": f"{text}. Ships within two working days with tracking.",
            "price": "25.00",
            "currency": "USD",
            "category": "general",
        },
        "signal": {"source": "proactive_sweep", "reason": "policy sweep"},
    }


def test_no_allowed_example_of_a_new_clause_is_taken_down(auditor: Auditor) -> None:
    examples = [(c.id, text) for c in ADDED for text in (c.examples.allowed if c.examples else [])]
    assert len(examples) >= 100
    taken_down = []
    for n, (clause_id, text) in enumerate(examples):
        outcome = auditor.audit(_listing(n, text))
        if outcome.decision is not None and outcome.decision.decision in ("reject", "restrict"):
            taken_down.append((clause_id, text, outcome.decision.clause_ids))
    assert taken_down == []


@pytest.mark.parametrize("area", NEW_AREAS)
def test_each_new_area_decides_a_violating_example_on_its_own_clause(auditor: Auditor, area: str) -> None:
    examples = [
        (c.id, t) for c in ADDED if c.area == area for t in (c.examples.violating if c.examples else [])
    ]
    decided = []
    for n, (clause_id, text) in enumerate(examples):
        outcome = auditor.audit(_listing(10_000 + n, text))
        if outcome.decision is not None and outcome.decision.decision in ("reject", "restrict"):
            cited = outcome.decision.clause_ids
            assert {CURRENT.clause(c).area for c in cited} & {area}, (text, cited)  # type: ignore[union-attr]
            decided.append(clause_id in cited)
    assert any(decided), f"no violating example of {area} was decided on its own clause"
