"""Database-level guarantees beside the audit triggers (installed by migration 0008).

**A data version that follows commit order.** ``alliances_dataversion`` holds
one row. A trigger on every audited table bumps it inside the writing
transaction, once per statement (PostgreSQL; per row on SQLite) and only for a
row that really changed, so reloading unchanged fixtures leaves it alone. The bump takes the
row's lock until commit, so two writers are serialized and the later commit
always gets the larger version: a reader can never see a version that a still
uncommitted older transaction will not move (what ``max(audit id)`` did, since
ids are handed out in start order). The token is random, so a rolled-back bump
(a test's transaction, a refused save) never hands its version to other data.

**One lock for cross-row rules.** ``alliances.store.locks.lock_writes()`` takes the
same row at the start of a write's validation, so rules that read other rows
(overlaps, required organizations) see every earlier commit and no later one
can slip in between the check and the save.

**An append-only audit trail.** UPDATE, DELETE and TRUNCATE of
``alliances_auditevent`` are refused by triggers; so is TRUNCATE of an audited
table on PostgreSQL (it would drop rows without an audit event; SQLite has no
TRUNCATE). Maintenance that must bypass this (the test suite's flush between
transactional tests) uses ``maintenance()``: ``session_replication_role =
replica`` on PostgreSQL, which needs a superuser, or dropping and re-creating
the guard triggers on SQLite.

A later migration that adds or removes a column of an audited table must call
``install`` again (with ``install_triggers`` of alliances.store.audit), since the
SQLite triggers name each column.
"""

import contextlib

from alliances.store.audit import AUDITED_TABLES, _sqlite_json
from alliances.store.locks import VERSION_TABLE

AUDIT_TABLE = "alliances_auditevent"
AUDIT_REFUSAL = "The audit trail is append-only: its rows cannot be changed or removed."

PG_CREATE_TABLE = [
    f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
    "(id smallint PRIMARY KEY CHECK (id = 1), version bigint NOT NULL, token text NOT NULL,"
    " tx bigint, stmt timestamptz)",
    f"INSERT INTO {VERSION_TABLE} (id, version, token) "
    "VALUES (1, 0, md5(random()::text || clock_timestamp()::text)) ON CONFLICT (id) DO NOTHING",
]

SQLITE_CREATE_TABLE = [
    f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
    "(id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL, token text NOT NULL)",
    f"INSERT OR IGNORE INTO {VERSION_TABLE} (id, version, token) VALUES (1, 0, lower(hex(randomblob(8))))",
]

PG_FUNCTIONS = [
    f"""
CREATE OR REPLACE FUNCTION alliances_bump_version() RETURNS trigger AS $$
BEGIN
    -- Once per statement: its first changed row takes the row lock (held to
    -- commit) and bumps; the statement's other rows find (tx, stmt) already set.
    -- (Once per statement, not per transaction: a read later in the same
    -- transaction must see a new version too.)
    UPDATE {VERSION_TABLE}
       SET version = version + 1, token = md5(random()::text || clock_timestamp()::text),
           tx = txid_current(), stmt = statement_timestamp()
     WHERE id = 1 AND (tx, stmt) IS DISTINCT FROM (txid_current(), statement_timestamp());
    RETURN NULL;
END
$$ LANGUAGE plpgsql""",
    f"""
CREATE OR REPLACE FUNCTION alliances_refuse_audit_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{AUDIT_REFUSAL} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql""",
    """
CREATE OR REPLACE FUNCTION alliances_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'TRUNCATE of % is refused: it would remove rows without recording them in the audit trail; '
        'DELETE them instead.', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql""",
]

SQLITE_BUMP = f"UPDATE {VERSION_TABLE} SET version = version + 1, token = lower(hex(randomblob(8))) WHERE id = 1; "


def guard_sql(vendor):
    """Triggers that make the audit table append-only."""
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS alliances_append_only ON {AUDIT_TABLE}",
            f"DROP TRIGGER IF EXISTS alliances_append_only_truncate ON {AUDIT_TABLE}",
            f"CREATE TRIGGER alliances_append_only BEFORE UPDATE OR DELETE ON {AUDIT_TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION alliances_refuse_audit_change()",
            f"CREATE TRIGGER alliances_append_only_truncate BEFORE TRUNCATE ON {AUDIT_TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION alliances_refuse_audit_change()",
        ]
    statements = []
    for op in ("update", "delete"):
        name = f"{AUDIT_TABLE}_append_only_{op}"
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} BEFORE {op.upper()} ON {AUDIT_TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{AUDIT_REFUSAL} ({op.upper()} refused)'); END",
        ]
    return statements


def version_sql(vendor, table, columns):
    """Triggers of one audited table: bump the data version; on PostgreSQL, refuse TRUNCATE."""
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS alliances_version ON {table}",
            f"DROP TRIGGER IF EXISTS alliances_version_update ON {table}",
            f"DROP TRIGGER IF EXISTS alliances_no_truncate ON {table}",
            f"CREATE TRIGGER alliances_version AFTER INSERT OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION alliances_bump_version()",
            f"CREATE TRIGGER alliances_version_update AFTER UPDATE ON {table} "
            "FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION alliances_bump_version()",
            f"CREATE TRIGGER alliances_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION alliances_refuse_truncate()",
        ]
    old, new = _sqlite_json("OLD", columns), _sqlite_json("NEW", columns)
    return [
        f"DROP TRIGGER IF EXISTS {table}_version_insert",
        f"DROP TRIGGER IF EXISTS {table}_version_update",
        f"DROP TRIGGER IF EXISTS {table}_version_delete",
        f"CREATE TRIGGER {table}_version_insert AFTER INSERT ON {table} BEGIN {SQLITE_BUMP}END",
        f"CREATE TRIGGER {table}_version_update AFTER UPDATE ON {table} WHEN {old} IS NOT {new} BEGIN {SQLITE_BUMP}END",
        f"CREATE TRIGGER {table}_version_delete AFTER DELETE ON {table} BEGIN {SQLITE_BUMP}END",
    ]


def install(schema_editor, columns_of):
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"The integrity triggers are written for PostgreSQL and SQLite, not {vendor}.")
    # params=None: the PL/pgSQL messages hold "%" placeholders of their own.
    for statement in PG_CREATE_TABLE + PG_FUNCTIONS if vendor == "postgresql" else SQLITE_CREATE_TABLE:
        schema_editor.execute(statement, params=None)
    for table in AUDITED_TABLES:
        for statement in version_sql(vendor, table, columns_of(table)):
            schema_editor.execute(statement)
    for statement in guard_sql(vendor):
        schema_editor.execute(statement)


def uninstall(schema_editor):
    vendor = schema_editor.connection.vendor
    for table in AUDITED_TABLES:
        if vendor == "postgresql":
            for name in ("alliances_version", "alliances_version_update", "alliances_no_truncate"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        else:
            for op in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_version_{op}")
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS alliances_append_only ON {AUDIT_TABLE}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS alliances_append_only_truncate ON {AUDIT_TABLE}")
        for function in ("alliances_bump_version", "alliances_refuse_audit_change", "alliances_refuse_truncate"):
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for op in ("update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_append_only_{op}")
    schema_editor.execute(f"DROP TABLE IF EXISTS {VERSION_TABLE}")


@contextlib.contextmanager
def maintenance(connection):
    """Let the block delete audit rows (the test suite's flush). Superuser only on PostgreSQL."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            try:
                yield
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")
        else:
            for op in ("update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {AUDIT_TABLE}_append_only_{op}")
            try:
                yield
            finally:
                for statement in guard_sql("sqlite"):
                    cursor.execute(statement)
