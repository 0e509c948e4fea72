"""A run record for store tests that need a run to hang other records on."""

from __future__ import annotations

from typing import Any

from auditgraph.store import RunRecord, new_id


def a_run(**fields: Any) -> RunRecord:
    """A fresh listing-review run by the rules agent, with new ids; `fields` override."""
    values: dict[str, Any] = {
        "run_id": new_id("run"),
        "case_id": new_id("case"),
        "case_kind": "listing_review",
        "agent": "rules",
        "agent_version": "v1",
        "policy_version": "p1",
    }
    values.update(fields)
    return RunRecord(**values)
