"""On PostgreSQL: deleting a run's audit record by retention, only through `auditgraph_retain`.

Retention (`auditgraph retention run` with AUDITGRAPH_RETENTION_RECORD_DAYS set) may
delete a finished run entirely once its retention period is over: the run, its trace,
decisions, reviews, escalation, review lease, dispatch row and idempotency key. The
triggers of revisions 0001, 0004, 0006 and 0008 refuse every DELETE on those tables; from
this revision they let one through only while `current_user` owns the table and the
`auditgraph.retention` flag is on: that is, inside `auditgraph_retain`, a SECURITY DEFINER
function owned by the migration role, with its `search_path` pinned. `run_log` stays
append-only for every role: a deletion is recorded there, never removed from it.

The function refuses a run that is not finished (completed or failed), one that ended
less than `p_days` days ago, one whose case is under legal hold (`legal_hold`, revision
0012), and one whose newest entry in the log of run heads is not its signed deletion
entry: the app appends that entry first, in the same transaction, so no run leaves the
database without the log saying it was deleted by retention. The runtime role gets
EXECUTE on it (`store.roles.grant_runtime`); PUBLIC does not. SQLite is unchanged.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 19:30:00
"""

from __future__ import annotations

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None

_OWNER_ACTS = """(SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID)
               = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)"""
_ERASING = f"(current_setting('auditgraph.erasure', true) = 'on' AND {_OWNER_ACTS})"
_RETAINING = f"""(TG_OP = 'DELETE' AND TG_TABLE_NAME <> 'run_log'
           AND current_setting('auditgraph.retention', true) = 'on' AND {_OWNER_ACTS})"""
"""True only inside `auditgraph_retain`, deleting, and never on the log of run heads."""


def _guards(retaining: bool) -> list[str]:
    """The three trigger functions; without `retaining`, exactly those of revision 0006."""
    allow = (
        f"""IF {_RETAINING} THEN
            RETURN OLD;
        END IF;
        """
        if retaining
        else ""
    )
    return [
        f"""CREATE OR REPLACE FUNCTION auditgraph_append_only() RETURNS trigger AS $$
    BEGIN
        {allow}IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'trace_step' AND {_ERASING}
           AND (to_jsonb(NEW) - ARRAY['input', 'output', 'error'])
               = (to_jsonb(OLD) - ARRAY['input', 'output', 'error']) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'auditgraph: % on % is refused: the audit record is append-only; correct it by appending a new record', TG_OP, TG_TABLE_NAME;
    END $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION auditgraph_run_guard() RETURNS trigger AS $$
    BEGIN
        {allow}IF TG_OP = 'UPDATE'
           AND (to_jsonb(NEW) - ARRAY['status', 'decision', 'error', 'ended', 'head_hash', 'case_json'])
               = (to_jsonb(OLD) - ARRAY['status', 'decision', 'error', 'ended', 'head_hash', 'case_json'])
           AND (NEW.case_json IS NOT DISTINCT FROM OLD.case_json OR {_ERASING}) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'auditgraph: % on run is refused: a run changes only its status, decision, error, end and head, and its case only through auditgraph_erase', TG_OP;
    END $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION auditgraph_escalation_guard() RETURNS trigger AS $$
    BEGIN
        {allow}IF TG_OP = 'UPDATE' AND OLD.status = 'open' AND NEW.status = 'resolved'
           AND (to_jsonb(NEW) - 'status') = (to_jsonb(OLD) - 'status') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'auditgraph: % on escalation is refused: an escalation only goes from open to resolved', TG_OP;
    END $$ LANGUAGE plpgsql""",
    ]


def _retain_function(schema: str) -> str:
    return f"""CREATE OR REPLACE FUNCTION auditgraph_retain(p_run_id text, p_days integer) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = {schema}, pg_temp
    AS $$
    DECLARE
        target run;
        newest text;
    BEGIN
        IF p_days IS NULL OR p_days < 0 THEN
            RAISE EXCEPTION 'auditgraph: a retention period is 0 days or more' USING ERRCODE = '22023';
        END IF;
        SELECT * INTO target FROM run r WHERE r.run_id = p_run_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'auditgraph: no run %', p_run_id USING ERRCODE = 'P0002';
        END IF;
        IF target.status NOT IN ('completed', 'failed') OR target.ended IS NULL
           OR target.ended >= now() - make_interval(days => p_days) THEN
            RAISE EXCEPTION 'auditgraph: run % did not finish more than % days ago', p_run_id, p_days
                USING ERRCODE = '22023';
        END IF;
        IF EXISTS (SELECT 1 FROM legal_hold h WHERE h.case_id = target.case_id AND h.released_at IS NULL) THEN
            RAISE EXCEPTION 'auditgraph: case % is under legal hold', target.case_id USING ERRCODE = '22023';
        END IF;
        SELECT l.status INTO newest FROM run_log l WHERE l.run_id = p_run_id ORDER BY l.seq DESC LIMIT 1;
        IF newest IS DISTINCT FROM 'deleted' THEN
            RAISE EXCEPTION 'auditgraph: the deletion of run % must be logged first', p_run_id
                USING ERRCODE = '22023';
        END IF;
        PERFORM set_config('auditgraph.retention', 'on', true);
        DELETE FROM trace_step WHERE run_id = p_run_id;
        DELETE FROM decision WHERE run_id = p_run_id;
        DELETE FROM review WHERE run_id = p_run_id;
        DELETE FROM escalation WHERE run_id = p_run_id;
        DELETE FROM escalation_lease WHERE run_id = p_run_id;
        DELETE FROM run_dispatch WHERE run_id = p_run_id;
        DELETE FROM submission WHERE run_id = p_run_id;
        DELETE FROM run WHERE run_id = p_run_id;
        PERFORM set_config('auditgraph.retention', 'off', true);
    END $$"""


_SIGNATURE = "auditgraph_retain(text, integer)"


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar_one()
    for statement in (
        *_guards(retaining=True),
        _retain_function(schema),
        f"REVOKE ALL ON FUNCTION {_SIGNATURE} FROM PUBLIC",
    ):
        op.execute(statement)


def downgrade() -> None:
    """Undo this revision (back to the guards of revision 0006)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {_SIGNATURE}")
    for statement in _guards(retaining=False):
        op.execute(statement)
