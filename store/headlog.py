"""The signed, append-only log of run heads, hash-chained like a certificate-transparency log.

Whenever a run starts, pauses or ends, a review of it is recorded, or an erasure changes
its head, the store appends an entry naming the run, its status, how many steps its chain
has, its head hash, and a "seal": a digest of the run's row (status, decision, versions,
times, error, head, and a digest of the stored case), of its escalation row (queue,
priority, risk, reasons, status...) and of each of its decision and review rows. Each entry links the previous one by hash and is signed with an Ed25519 key
that the database does not hold (`store.signing`). So:

- an UPDATE of a run or escalation column after the run's last entry changes the seal;
- deleting a run, only its row, or cutting its chain shows, because the log still lists
  its head and step count;
- re-chaining a forged run needs a new signed entry, which needs the key;
- deleting or editing a log entry breaks the links after it; dropping the newest entries
  shows only against an export kept elsewhere (`auditgraph log export`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from auditgraph.store.chain import LATER_FIELDS, digest
from auditgraph.store.records import as_utc

__all__ = [
    "ENTRY_FIELDS",
    "RUN_SEALED",
    "SEAL_V2",
    "entry_hash",
    "entry_message",
    "plain_value",
    "seal",
]

SEAL_V2 = "v2:"
"""The prefix of a seal that also covers the run's decision and review rows."""

RUN_SEALED = (
    "run_id",
    "case_id",
    "case_kind",
    "status",
    "agent",
    "agent_version",
    "policy_version",
    "started",
    "ended",
    "decision",
    "error",
    "head_hash",
)
"""The run columns a seal covers (and the case, by digest)."""
ESCALATION_SEALED = (
    "escalation_id",
    "run_id",
    "case_id",
    "queue",
    "priority",
    "reasons",
    "areas",
    "agent_decision",
    "risk",
    "status",
    "opened_at",
)
ENTRY_FIELDS = (
    "seq",
    "run_id",
    "status",
    "steps",
    "head_hash",
    "seal",
    "prev_entry_hash",
    "key_id",
    "created_at",
)
"""The fields an entry's hash (and so its signature) covers."""


def plain_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).astimezone(UTC).isoformat()
    return value


def _row_digests(rows: list[dict[str, Any]]) -> list[str]:
    # Order-free: the digest of every column but a surrogate key, of each row; a column
    # added later is left out while NULL, so seals written before it existed still match.
    return sorted(
        digest(
            {k: plain_value(v) for k, v in row.items() if k != "id" and not (k in LATER_FIELDS and v is None)}
        )
        for row in rows
    )


def seal(
    run: dict[str, Any],
    escalation: dict[str, Any] | None,
    records: dict[str, list[dict[str, Any]]] | None = None,
) -> str:
    """The digest of a run's row and its escalation row, as read from the database.

    With `records` (the run's decision and review rows, by table) the seal covers them
    too and says so with a `v2:` prefix: a review is then signed the moment it is
    recorded, before the run it decides is resumed. Entries written before carry the
    first form, which is checked as it was written.
    """
    body: dict[str, Any] = {f: plain_value(run.get(f)) for f in RUN_SEALED}
    body["case"] = digest(run.get("case_json"))
    body["escalation"] = (
        None if escalation is None else {f: plain_value(escalation.get(f)) for f in ESCALATION_SEALED}
    )
    if records is None:
        return digest(body)
    for table in sorted(records):
        body[table] = _row_digests(records[table])
    return SEAL_V2 + digest(body)


def entry_message(entry: dict[str, Any]) -> bytes:
    """The canonical bytes of an entry's hashed fields."""
    body = {f: plain_value(entry.get(f)) for f in ENTRY_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 of an entry's canonical bytes: what the next entry links and the key signs."""
    return hashlib.sha256(entry_message(entry)).hexdigest()
