"""PostgreSQL roles: a migration role that owns the schema, and a runtime role with only
what the application needs.

The runtime role (the credentials in AUDITGRAPH_DATABASE_URL) may:

- read every audit table, and insert into the tables it writes (`RUNTIME_TABLES`);
- update only `run.status`, `run.decision`, `run.error`, `run.ended`, `run.head_hash`
  and `escalation.status` (column privileges; the triggers of revision 0006 check the
  values too);
- create API tokens (`tokens create` runs with the app's settings) and update only a
  token's `last_used_at` and `revoked_at` (the guard of revision 0007 refuses
  un-revoking); never delete one, nor change its digest, name or role;
- claim idempotency keys (`submission`): insert and read, never change or remove one
  (the append-only trigger of revision 0008 says the same to every role);
- take, extend, hold, hand over and give up review leases (`escalation_lease`, revision
  0009): operational data, not the audit record, so SELECT, INSERT, UPDATE and DELETE;
- keep each console user's image preferences (`console_preference`, revision 0010):
  insert and update;
- queue, claim, renew and finish runs for the workers (`run_dispatch`, revision 0011):
  operational data, insert and update;
- set and release legal holds (`legal_hold`, revision 0012): insert and update, never
  delete, so a hold is never lost, only released (and the release is chained);
- execute `auditgraph_erase`, the one way to replace trace content and a run's copy of
  its case, which appends the erasure record to the chain in the same call;
- execute `auditgraph_retain` (revision 0013), the one way to delete a run's record: a
  finished run past the retention period, not held, whose deletion is logged first;
- read and write LangGraph's checkpoint tables (runs resume from them; an erasure
  deletes them).

It owns nothing, may not create objects in the schema, and has no DELETE (leases aside),
TRUNCATE, TRIGGER or REFERENCES privilege on the audit tables: it can neither remove
audit rows nor disable, drop or replace a trigger. The migration role owns the tables, the trigger
functions, `auditgraph_erase` and `auditgraph_retain`; it runs `auditgraph db migrate`, never the app.

SQLite has no roles: none of this applies there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

__all__ = [
    "CHECKPOINT_TABLES",
    "ERASE_FUNCTION",
    "RETAIN_FUNCTION",
    "RUNTIME_TABLES",
    "Login",
    "RoleReport",
    "TableGrant",
    "check_role",
    "create_roles",
    "grant_runtime",
    "login_of",
    "may_migrate",
]


@dataclass(frozen=True)
class TableGrant:
    """What the runtime role may do with one table."""

    privileges: tuple[str, ...]
    """Table privileges, e.g. ("SELECT", "INSERT")."""
    update_columns: tuple[str, ...] = ()
    """Columns it may UPDATE (column privileges); none: no UPDATE at all."""


RUNTIME_TABLES: dict[str, TableGrant] = {
    "run": TableGrant(("SELECT", "INSERT"), ("status", "decision", "error", "ended", "head_hash")),
    "trace_step": TableGrant(("SELECT", "INSERT")),
    "decision": TableGrant(("SELECT", "INSERT")),
    "review": TableGrant(("SELECT", "INSERT")),
    "escalation": TableGrant(("SELECT", "INSERT"), ("status",)),
    "run_log": TableGrant(("SELECT", "INSERT")),
    "seller": TableGrant(("SELECT", "INSERT")),
    "api_token": TableGrant(("SELECT", "INSERT"), ("last_used_at", "revoked_at")),
    "submission": TableGrant(("SELECT", "INSERT")),
    "escalation_lease": TableGrant(("SELECT", "INSERT", "UPDATE", "DELETE")),
    "console_preference": TableGrant(("SELECT", "INSERT", "UPDATE")),
    "run_dispatch": TableGrant(("SELECT", "INSERT", "UPDATE")),
    "legal_hold": TableGrant(
        ("SELECT", "INSERT"),
        ("held_by", "reason", "held_at", "released_by", "release_reason", "released_at"),
    ),
    "alembic_version": TableGrant(("SELECT",)),
}
"""The audit tables (and Alembic's revision table) and the runtime role's rights on them."""

CHECKPOINT_TABLES: dict[str, TableGrant] = {
    "checkpoints": TableGrant(("SELECT", "INSERT", "UPDATE", "DELETE")),
    "checkpoint_blobs": TableGrant(("SELECT", "INSERT", "UPDATE", "DELETE")),
    "checkpoint_writes": TableGrant(("SELECT", "INSERT", "UPDATE", "DELETE")),
    "checkpoint_migrations": TableGrant(("SELECT",)),
}
"""LangGraph's checkpoint tables: resumable state, not the audit record."""

ERASE_FUNCTION = "auditgraph_erase(text, jsonb, jsonb, jsonb)"
"""The SECURITY DEFINER function of revision 0006: the only door to erased content."""
RETAIN_FUNCTION = "auditgraph_retain(text, integer)"
"""The SECURITY DEFINER function of revision 0013: the only door to deleting a run's record."""

_OWNED_FUNCTIONS = (
    "auditgraph_append_only()",
    "auditgraph_run_guard()",
    "auditgraph_escalation_guard()",
    "auditgraph_api_token_guard()",
    ERASE_FUNCTION,
    RETAIN_FUNCTION,
)
_FORBIDDEN = ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")


@dataclass(frozen=True)
class Login:
    """A role that logs in, and its password (None: set none, e.g. for certificate or peer auth)."""

    name: str
    password: str | None = None


def login_of(url: str) -> Login:
    """The role and password a database URL connects with.

    Raises:
        ValueError: the URL names no user.
    """
    parsed = make_url(url)
    if not parsed.username:
        raise ValueError(f"the URL {parsed.render_as_string(hide_password=True)!r} names no user")
    return Login(parsed.username, parsed.password)


def _q(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _in(conn: Connection, schema: str, name: str) -> str:
    return f"{_q(conn, schema)}.{_q(conn, name)}"


def create_roles(admin: Engine, *, migration: Login, runtime: Login, schema: str = "public") -> None:
    """Create or update both roles and the schema's rights, as a DBA (`admin`); idempotent.

    The migration role gets the schema (created for it when missing, else CREATE on it)
    and every auditgraph object already in it; the runtime role gets USAGE on the schema
    and exactly the rights above on the objects already there (`auditgraph db migrate`
    grants them again on what later migrations add). CREATE on the schema is revoked
    from PUBLIC, so the runtime role cannot create objects there.
    """
    if migration.name == runtime.name:
        raise ValueError(f"the migration and runtime roles must differ (both are {runtime.name!r})")
    with admin.begin() as conn:
        superuser = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
        for login in (migration, runtime):
            _ensure_login(conn, login)
        if superuser:
            conn.execute(
                text(
                    f"ALTER ROLE {_q(conn, runtime.name)} NOSUPERUSER NOCREATEDB NOCREATEROLE "
                    "NOREPLICATION NOBYPASSRLS"
                )
            )
        conn.execute(text(f"REVOKE {_q(conn, migration.name)} FROM {_q(conn, runtime.name)}"))
        mig, rt, sch = _q(conn, migration.name), _q(conn, runtime.name), _q(conn, schema)
        exists = conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}).scalar()
        if exists:
            conn.execute(text(f"GRANT USAGE, CREATE ON SCHEMA {sch} TO {mig}"))
        else:
            conn.execute(text(f"CREATE SCHEMA {sch} AUTHORIZATION {mig}"))
        conn.execute(text(f"REVOKE CREATE ON SCHEMA {sch} FROM PUBLIC"))
        conn.execute(text(f"REVOKE ALL ON SCHEMA {sch} FROM {rt}"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA {sch} TO {rt}"))
        _hand_over(conn, schema, migration.name)
        grant_runtime(conn, runtime.name, schema=schema)


def _ensure_login(conn: Connection, login: Login) -> None:
    found = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": login.name}).scalar()
    statement = f"{'ALTER' if found else 'CREATE'} ROLE {_q(conn, login.name)} WITH LOGIN"
    if login.password is not None:
        # A utility statement takes no bind parameters: the server quotes the literal.
        quoted = conn.execute(text("SELECT quote_literal(:p)"), {"p": login.password}).scalar_one()
        statement += f" PASSWORD {quoted}"
    conn.exec_driver_sql(statement)


def _hand_over(conn: Connection, schema: str, owner: str) -> None:
    """Make `owner` the owner of every auditgraph table and function in `schema`
    (a database migrated before the roles existed belongs to the old app role)."""
    for table in (*RUNTIME_TABLES, *CHECKPOINT_TABLES):
        if _exists(conn, schema, table):
            conn.execute(text(f"ALTER TABLE {_in(conn, schema, table)} OWNER TO {_q(conn, owner)}"))
    for function in _OWNED_FUNCTIONS:
        name, args = function.split("(", 1)
        if conn.execute(
            text("SELECT to_regprocedure(:f)"), {"f": f"{_in(conn, schema, name)}({args}"}
        ).scalar():
            conn.execute(text(f"ALTER FUNCTION {_in(conn, schema, name)}({args} OWNER TO {_q(conn, owner)}"))


def _exists(conn: Connection, schema: str, table: str) -> bool:
    return conn.execute(text("SELECT to_regclass(:t)"), {"t": _in(conn, schema, table)}).scalar() is not None


def grant_runtime(conn: Connection, role: str, *, schema: str) -> None:
    """Give `role` exactly the runtime rights on the objects now in `schema`: everything
    it had on them is revoked first, so running this again after a migration is exact.

    Run as the objects' owner (the migration role) or a superuser.
    """
    who = _q(conn, role)
    for table, grant in {**RUNTIME_TABLES, **CHECKPOINT_TABLES}.items():
        if not _exists(conn, schema, table):
            continue
        where = _in(conn, schema, table)
        conn.execute(text(f"REVOKE ALL ON {where} FROM {who}"))  # column privileges too
        conn.execute(text(f"GRANT {', '.join(grant.privileges)} ON {where} TO {who}"))
        if grant.update_columns:
            columns = ", ".join(_q(conn, c) for c in grant.update_columns)
            conn.execute(text(f"GRANT UPDATE ({columns}) ON {where} TO {who}"))
    sequence = (
        conn.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": _in(conn, schema, "decision")}
        ).scalar()
        if _exists(conn, schema, "decision")
        else None
    )
    if sequence:
        conn.execute(text(f"GRANT USAGE ON SEQUENCE {sequence} TO {who}"))
    for signature in (ERASE_FUNCTION, RETAIN_FUNCTION):
        name, args = signature.split("(", 1)
        function = f"{_in(conn, schema, name)}({args}"
        if conn.execute(text("SELECT to_regprocedure(:f)"), {"f": function}).scalar():
            conn.execute(text(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC"))
            conn.execute(text(f"GRANT EXECUTE ON FUNCTION {function} TO {who}"))


def may_migrate(conn: Connection) -> bool:
    """Whether the connected role can change the schema: CREATE on it, and (once there is
    one) membership in the owner of Alembic's revision table."""
    return bool(
        conn.execute(
            text(
                "SELECT has_schema_privilege(current_schema(), 'CREATE') AND coalesce("
                "(SELECT pg_has_role(c.relowner, 'USAGE') FROM pg_class c"
                " WHERE c.oid = to_regclass(quote_ident(current_schema()) || '.alembic_version')), true)"
            )
        ).scalar()
    )


@dataclass
class RoleReport:
    """Who the app connects as on PostgreSQL, and the rights it should not have."""

    role: str
    """The role the connection logs in as."""
    schema: str
    """The schema it works in (the first of its search_path)."""
    problems: list[str] = field(default_factory=list)
    """Rights a runtime role should not have, one sentence each; empty when it has none."""


def check_role(engine: Engine) -> RoleReport:
    """The connected role's rights in its schema, against the runtime role's (`RUNTIME_TABLES`)."""
    with engine.connect() as conn:
        role, schema, superuser = conn.execute(
            text("SELECT current_user, current_schema(), rolsuper FROM pg_roles WHERE rolname = current_user")
        ).one()
        report = RoleReport(role, schema)
        if superuser:
            report.problems.append(f"{role!r} is a superuser: it bypasses every privilege and trigger")
        if conn.execute(text("SELECT has_schema_privilege(current_schema(), 'CREATE')")).scalar():
            report.problems.append(f"{role!r} may create objects in schema {schema!r}")
        owned = conn.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND pg_has_role(c.relowner, 'USAGE') "
                "AND c.relkind IN ('r', 'p') ORDER BY c.relname"
            )
        ).scalars()
        if owned := list(owned):
            report.problems.append(f"{role!r} owns (or acts as the owner of) {', '.join(owned)}")
        for table, grant in RUNTIME_TABLES.items():
            report.problems.extend(_extra_rights(conn, role, schema, table, grant))
    return report


def _extra_rights(conn: Connection, role: str, schema: str, table: str, grant: TableGrant) -> list[str]:
    if not _exists(conn, schema, table):
        return []
    where = _in(conn, schema, table)
    found = [
        p
        for p in _FORBIDDEN
        if p not in grant.privileges
        and conn.execute(text("SELECT has_table_privilege(:t, :p)"), {"t": where, "p": p}).scalar()
    ]
    if "UPDATE" not in found and "UPDATE" not in grant.privileges:
        columns = conn.execute(
            text(
                "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(:t) AND attnum > 0 "
                "AND NOT attisdropped AND has_column_privilege(:t, attname, 'UPDATE') ORDER BY attnum"
            ),
            {"t": where},
        ).scalars()
        extra = [c for c in columns if c not in grant.update_columns]
        if extra:
            found.append(f"UPDATE of {', '.join(extra)}")
    return [f"{role!r} has {p} on {table}" for p in found]
