"""A run killed at a node boundary is recovered, and its trace is complete and verifies."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from store.chain import verify_run
from tests.conftest import load_case
from tools.seller_history import SellerRecord
from workflows import Auditor, ReviewError


class Killed(BaseException):
    """Stands in for the process being killed: nothing in the run may catch it."""


class DiesOnce:
    """A seller backend whose first call kills the process."""

    def __init__(self, inner: object) -> None:
        self.inner, self.calls = inner, 0

    def get(self, seller_id: str) -> SellerRecord | None:
        self.calls += 1
        if self.calls == 1:
            raise Killed
        return self.inner.get(seller_id)  # type: ignore[attr-defined]


@pytest.mark.parametrize("durability", ["sync", "exit"])
def test_a_killed_run_is_recovered_and_verifies(
    make_auditor: Callable[..., Auditor], durability: str
) -> None:
    base = make_auditor()
    auditor = make_auditor(sellers=DiesOnce(base.toolset.sellers))
    auditor.durability = durability  # type: ignore[assignment]
    auditor.recorder.write = "run" if durability == "exit" else "node"
    with pytest.raises(Killed):
        auditor.audit(load_case("switchblade_collector"))
    [run] = auditor.store.list_runs()
    assert run.status == "running"
    kept = auditor.store.steps(run.run_id)
    assert (len(kept) > 0) == (durability == "sync")  # per-step mode kept the finished nodes

    outcome = auditor.recover(run.run_id)
    assert outcome.decision is not None and outcome.decision.clause_ids == ["WPN-4"]
    store = auditor.store
    steps = store.steps(run.run_id)
    result = verify_run(
        store.get_run(run.run_id), steps, store.decisions(run.run_id), store.reviews(run.run_id)
    )
    assert result.ok, result.problems
    assert [s.node for s in steps if s.kind == "node"][-1] == "finalize"
    with pytest.raises(ReviewError, match="only a run left running"):
        auditor.recover(run.run_id)
