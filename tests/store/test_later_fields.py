"""Fields added to reviews later (reviewer role, review digest): records, chained copies and
seals written before they existed still match, and any value set in them is covered."""

from __future__ import annotations

from typing import Any

import pytest

from auditgraph.store.chain import _same
from auditgraph.store.headlog import seal
from auditgraph.store.records import ReviewRecord

_OLD_COPY: dict[str, Any] = {
    "review_id": "rev_1",
    "run_id": "run_1",
    "escalation_id": "esc_1",
    "reviewer": "ann",
    "decision": "reject",
    "reason": "Fake.",
    "clause_ids": ["CIP-1"],
    "agent_decision": "escalate",
    "overrode_agent": False,
    "created_at": "2026-12-01T06:00:00Z",
}
"""A review's chained copy as written before the fields existed."""


def test_a_copy_without_the_fields_matches_a_record_without_values() -> None:
    record = ReviewRecord.model_validate(_OLD_COPY)
    assert _same(record, _OLD_COPY)
    assert _same(record, {**_OLD_COPY, "reviewer_role": None, "review_digest": None})


@pytest.mark.parametrize("field", ["reviewer_role", "review_digest"])
def test_a_value_in_either_place_is_a_difference(field: str) -> None:
    plain = ReviewRecord.model_validate(_OLD_COPY)
    valued = ReviewRecord.model_validate({**_OLD_COPY, field: "x"})
    assert _same(valued, {**_OLD_COPY, field: "x"})
    assert not _same(valued, _OLD_COPY)
    assert not _same(valued, {**_OLD_COPY, field: "y"})
    assert not _same(plain, {**_OLD_COPY, field: "x"})


def test_a_seal_written_before_the_columns_existed_still_matches() -> None:
    run = {"run_id": "run_1", "status": "awaiting_review"}
    old_row = {k: v for k, v in _OLD_COPY.items() if k != "clause_ids"}
    before = seal(run, None, {"decisions": [], "reviews": [old_row]})
    after_migration = {**old_row, "reviewer_role": None, "review_digest": None}
    assert seal(run, None, {"decisions": [], "reviews": [after_migration]}) == before
    for field in ("reviewer_role", "review_digest"):
        changed = {**after_migration, field: "x"}
        assert seal(run, None, {"decisions": [], "reviews": [changed]}) != before
