"""On PostgreSQL: erasure only through `auditgraph_erase`, and guards on `run` and `escalation`.

Before this revision any role could open the erasure door (`SET LOCAL auditgraph.erasure
= 'on'`) and then rewrite step content. Now the triggers let step content (and a run's
copy of its case) change only while `current_user` owns the table and the flag is on:
that is, inside `auditgraph_erase`, a SECURITY DEFINER function owned by the role that
migrates (the schema's owner), with its `search_path` pinned to this schema. The
function does the whole erasure in one call and refuses one without its erasure record,
so every erasure lands in the chain. The runtime role gets EXECUTE on it
(`store.roles.grant_runtime`); PUBLIC does not.

`run` may change only in its status, decision, error, end time and head; `escalation`
only from open to resolved; neither may lose a row. SQLite is unchanged.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 07:30:00
"""

from __future__ import annotations

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_ERASING = """(current_setting('auditgraph.erasure', true) = 'on'
           AND (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID)
               = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user))"""
"""True only inside `auditgraph_erase`: the flag is on and the table's owner is acting."""

_APPEND_ONLY = f"""CREATE OR REPLACE FUNCTION auditgraph_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'trace_step' AND {_ERASING}
           AND (to_jsonb(NEW) - ARRAY['input', 'output', 'error'])
               = (to_jsonb(OLD) - ARRAY['input', 'output', 'error']) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'auditgraph: % on % is refused: the audit record is append-only; correct it by appending a new record', TG_OP, TG_TABLE_NAME;
    END $$ LANGUAGE plpgsql"""

_RUN_GUARD = f"""CREATE OR REPLACE FUNCTION auditgraph_run_guard() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE'
           AND (to_jsonb(NEW) - ARRAY['status', 'decision', 'error', 'ended', 'head_hash', 'case_json'])
               = (to_jsonb(OLD) - ARRAY['status', 'decision', 'error', 'ended', 'head_hash', 'case_json'])
           AND (NEW.case_json IS NOT DISTINCT FROM OLD.case_json OR {_ERASING}) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'auditgraph: % on run is refused: a run changes only its status, decision, error, end and head, and its case only through auditgraph_erase', TG_OP;
    END $$ LANGUAGE plpgsql"""

_ESCALATION_GUARD = """CREATE OR REPLACE FUNCTION auditgraph_escalation_guard() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.status = 'open' AND NEW.status = 'resolved'
           AND (to_jsonb(NEW) - 'status') = (to_jsonb(OLD) - 'status') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'auditgraph: % on escalation is refused: an escalation only goes from open to resolved', TG_OP;
    END $$ LANGUAGE plpgsql"""


def _erase_function(schema: str) -> str:
    return f"""CREATE OR REPLACE FUNCTION auditgraph_erase(
        p_run_id text, p_contents jsonb, p_case jsonb, p_record jsonb
    ) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = {schema}, pg_temp
    AS $$
    DECLARE
        erasure trace_step;
        head text;
        step_id text;
        fields jsonb;
    BEGIN
        IF p_record IS NULL OR jsonb_typeof(p_record) <> 'object' THEN
            RAISE EXCEPTION 'auditgraph: an erasure needs its erasure record' USING ERRCODE = '22023';
        END IF;
        erasure := jsonb_populate_record(NULL::trace_step, p_record);
        IF erasure.run_id IS DISTINCT FROM p_run_id OR erasure.kind IS DISTINCT FROM 'erasure'
           OR erasure.hash IS NULL OR erasure.hash = '' THEN
            RAISE EXCEPTION 'auditgraph: the erasure record must be a hashed erasure step of run %', p_run_id
                USING ERRCODE = '22023';
        END IF;
        SELECT r.head_hash INTO head FROM run r WHERE r.run_id = p_run_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'auditgraph: no run %', p_run_id USING ERRCODE = 'P0002';
        END IF;
        IF erasure.prev_hash IS DISTINCT FROM coalesce(head, '') THEN
            RAISE EXCEPTION 'auditgraph: the erasure record of run % must follow its head', p_run_id
                USING ERRCODE = '22023';
        END IF;
        IF jsonb_typeof(coalesce(p_contents, '{{}}'::jsonb)) <> 'object' THEN
            RAISE EXCEPTION 'auditgraph: erased contents must be an object by step id' USING ERRCODE = '22023';
        END IF;
        PERFORM set_config('auditgraph.erasure', 'on', true);
        FOR step_id, fields IN SELECT key, value FROM jsonb_each(coalesce(p_contents, '{{}}'::jsonb)) LOOP
            IF jsonb_typeof(fields) <> 'object'
               OR EXISTS (SELECT 1 FROM jsonb_object_keys(fields) k WHERE k NOT IN ('input', 'output', 'error'))
               OR NOT coalesce((p_record -> 'output' -> 'steps') ? step_id, false) THEN
                RAISE EXCEPTION 'auditgraph: step % is not named by the erasure record, or its fields are not content', step_id
                    USING ERRCODE = '22023';
            END IF;
            UPDATE trace_step t SET
                input = CASE WHEN fields ? 'input' THEN fields -> 'input' ELSE t.input END,
                output = CASE WHEN fields ? 'output' THEN fields -> 'output' ELSE t.output END,
                error = CASE WHEN fields ? 'error' THEN fields ->> 'error' ELSE t.error END
            WHERE t.id = step_id AND t.run_id = p_run_id;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'auditgraph: run % has no step %', p_run_id, step_id USING ERRCODE = '22023';
            END IF;
        END LOOP;
        INSERT INTO trace_step SELECT erasure.*;
        UPDATE run SET case_json = p_case, head_hash = erasure.hash WHERE run_id = p_run_id;
        PERFORM set_config('auditgraph.erasure', 'off', true);
    END $$"""


_SIGNATURE = "auditgraph_erase(text, jsonb, jsonb, jsonb)"


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar_one()
    for statement in (
        _APPEND_ONLY,
        _RUN_GUARD,
        _ESCALATION_GUARD,
        "CREATE OR REPLACE TRIGGER run_guard BEFORE UPDATE OR DELETE ON run "
        "FOR EACH ROW EXECUTE FUNCTION auditgraph_run_guard()",
        "CREATE OR REPLACE TRIGGER escalation_guard BEFORE UPDATE OR DELETE ON escalation "
        "FOR EACH ROW EXECUTE FUNCTION auditgraph_escalation_guard()",
        _erase_function(schema),
        # Functions are executable by PUBLIC unless revoked; this one is granted by name.
        f"REVOKE ALL ON FUNCTION {_SIGNATURE} FROM PUBLIC",
    ):
        op.execute(statement)


def downgrade() -> None:
    """Undo this revision (back to the erasure flag of revision 0001)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in (
        f"DROP FUNCTION IF EXISTS {_SIGNATURE}",
        "DROP TRIGGER IF EXISTS escalation_guard ON escalation",
        "DROP TRIGGER IF EXISTS run_guard ON run",
        "DROP FUNCTION IF EXISTS auditgraph_escalation_guard()",
        "DROP FUNCTION IF EXISTS auditgraph_run_guard()",
        """CREATE OR REPLACE FUNCTION auditgraph_append_only() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'trace_step'
               AND current_setting('auditgraph.erasure', true) = 'on'
               AND (to_jsonb(NEW) - ARRAY['input', 'output', 'error'])
                   = (to_jsonb(OLD) - ARRAY['input', 'output', 'error']) THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'auditgraph: % on % is refused: the audit record is append-only; correct it by appending a new record', TG_OP, TG_TABLE_NAME;
        END $$ LANGUAGE plpgsql""",
    ):
        op.execute(statement)
