"""Setting and releasing legal holds on cases, as every door asks for them.

The store does the work in one transaction (`store.holds`): the hold's row, and a chained,
signed "hold" step in the trace of each of the case's runs. Here the request is checked
(a case id, who, why: each non-blank, printable and bounded) and the reason is masked
like every other free text written to the record, since it may quote the seller.
"""

from __future__ import annotations

from auditgraph.store.holds import HoldChange, HoldStore
from auditgraph.store.sql import SqlAuditStore
from auditgraph.tools.personal_data import mask_text

__all__ = ["release_hold", "set_hold"]

_LIMITS = (("case id", 200), ("reason", 500), ("holder", 120))


def _checked(case_id: str, reason: str, by: str) -> tuple[str, str, str]:
    """The three values stripped, or ValueError naming the first unusable one."""
    values = (case_id.strip(), reason.strip(), by.strip())
    for (label, limit), value in zip(_LIMITS, values, strict=True):
        if not value or len(value) > limit or not value.isprintable():
            raise ValueError(f"the {label} must be 1 to {limit} printable characters")
    return values


def set_hold(store: SqlAuditStore, case_id: str, *, reason: str, by: str) -> HoldChange:
    """Hold `case_id` against every deletion, recording who and why in each run's trace.

    Raises:
        ValueError: the case id, reason or holder is blank, too long or not printable.
        CaseNotFound: no run audited the case.
        HoldConflict: the case is held already.
    """
    case_id, reason, by = _checked(case_id, reason, by)
    return HoldStore(store).set(case_id, by=by, reason=mask_text(reason))


def release_hold(store: SqlAuditStore, case_id: str, *, reason: str, by: str) -> HoldChange:
    """Release `case_id`'s hold, recording who and why in each run's trace.

    Raises:
        ValueError: as `set_hold`.
        CaseNotFound: no run audited the case.
        HoldConflict: the case is not held.
    """
    case_id, reason, by = _checked(case_id, reason, by)
    return HoldStore(store).release(case_id, by=by, reason=mask_text(reason))
