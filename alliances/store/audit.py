"""Audit trail recorded by database triggers, and the data versions derived from it.

The triggers live in the database (see ``trigger_sql``), so every write is
recorded whichever path made it. Python only says *who* is writing:
``acting_as(actor)`` opens a transaction and names the actor for it, in a
transaction-local setting on PostgreSQL and in the one-row ``AuditContext``
table on SQLite (which has a single writer at a time).
"""

import contextlib

from django.db import connection, connections, router, transaction
from django.db.models import Q

from alliances.models import AuditEvent
from alliances.store import locks

AUDITED_TABLES = [
    "alliances_country",
    "alliances_countryalias",
    "alliances_organization",
    "alliances_organization_members_must_belong_to",
    "alliances_organizationalias",
    "alliances_membership",
    "alliances_source",
    "alliances_citation",
]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION alliances_audit() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND to_jsonb(OLD) = to_jsonb(NEW) THEN
        RETURN NULL;
    END IF;
    INSERT INTO alliances_auditevent ("table", row_id, operation, before, after, actor, at)
    VALUES (
        TG_TABLE_NAME,
        CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END,
        lower(TG_OP),
        CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END,
        CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END,
        coalesce(current_setting('alliances.actor', true), ''),
        clock_timestamp()
    );
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

SQLITE_ACTOR = "coalesce((SELECT actor FROM alliances_auditcontext WHERE id = 1), '')"
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def _sqlite_json(alias, columns):
    pairs = ", ".join(f"'{c}', {alias}.\"{c}\"" for c in columns)
    return f"json_object({pairs})"


def trigger_sql(vendor, table, columns):
    """Statements that create the audit triggers of ``table`` (whose columns are ``columns``)."""
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS alliances_audit ON {table}",
            f"CREATE TRIGGER alliances_audit AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION alliances_audit()",
        ]
    old, new = _sqlite_json("OLD", columns), _sqlite_json("NEW", columns)
    insert = 'INSERT INTO alliances_auditevent ("table", row_id, operation, before, after, actor, at) VALUES '
    return [
        f"DROP TRIGGER IF EXISTS {table}_audit_insert",
        f"DROP TRIGGER IF EXISTS {table}_audit_update",
        f"DROP TRIGGER IF EXISTS {table}_audit_delete",
        f"CREATE TRIGGER {table}_audit_insert AFTER INSERT ON {table} BEGIN "
        f"{insert}('{table}', NEW.id, 'insert', NULL, {new}, {SQLITE_ACTOR}, {SQLITE_NOW}); END",
        f"CREATE TRIGGER {table}_audit_update AFTER UPDATE ON {table} WHEN {old} IS NOT {new} BEGIN "
        f"{insert}('{table}', NEW.id, 'update', {old}, {new}, {SQLITE_ACTOR}, {SQLITE_NOW}); END",
        f"CREATE TRIGGER {table}_audit_delete AFTER DELETE ON {table} BEGIN "
        f"{insert}('{table}', OLD.id, 'delete', {old}, NULL, {SQLITE_ACTOR}, {SQLITE_NOW}); END",
    ]


def install_triggers(schema_editor, columns_of):
    """Create (or re-create) every audit trigger; ``columns_of(table)`` lists a table's columns."""
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"Audit triggers are written for PostgreSQL and SQLite, not {vendor}.")
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
    for table in AUDITED_TABLES:
        for statement in trigger_sql(vendor, table, columns_of(table)):
            schema_editor.execute(statement)


def _set_actor(actor):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('alliances.actor', %s, true)", [actor])
        else:
            cursor.execute("INSERT OR REPLACE INTO alliances_auditcontext (id, actor) VALUES (1, %s)", [actor])


@contextlib.contextmanager
def acting_as(actor):
    """Run the block in a transaction whose writes are recorded as made by ``actor``.

    ``actor`` is a user (its username is recorded) or a string such as "loaddata".
    """
    name = getattr(actor, "get_username", lambda: str(actor or ""))()[:150]
    with transaction.atomic():
        _set_actor(name)
        locks.lock_writes()  # before anything is read, so the rules see every earlier commit
        try:
            yield
        finally:
            if connection.vendor == "sqlite" and not connection.needs_rollback:
                _set_actor("")


def data_version(using=None):
    """A value that every committed write to the audited tables changes, in commit order.

    The one-row counter of alliances/store/integrity.py (bumped by triggers inside the
    writing transaction, under a row lock held to commit) with its random token.
    Plain SQL, one primary-key lookup: it runs on every API request. Read from
    the database the request's reads go to (a read replica, if the router chose
    one), so the version names the data the answer is computed from.
    """
    with connections[using or router.db_for_read(AuditEvent)].cursor() as cursor:
        return locks.read_version(cursor)


def request_version(request):
    """The data version ``request`` reads: read once, on the database its reads go to, then kept.

    The one carrier is the request's WSGI environ (``locks.VERSION_ENV``), which
    Django's and DRF's request objects share and the WSGI fast path and the
    replica router see before Django does: whoever asks first reads it, the
    rest reuse it, so one request never answers from two versions.
    """
    environ = request.environ
    version = environ.get(locks.VERSION_ENV)
    if version is None:
        version = environ[locks.VERSION_ENV] = data_version()
    return version


@contextlib.contextmanager
def snapshot(using=None):
    """Reads of several tables that all see one committed state, the data version's.

    A transaction; on PostgreSQL at REPEATABLE READ (read committed would let each
    statement see the commits made since the last). An export that read the version
    first and each table in its own statement mixed versions under one label: its
    memberships.csv lacked a period that its citations.csv cited. SQLite's read
    transaction is a snapshot already. Nested in a transaction of the caller's, it
    reads what that transaction sees.
    """
    alias = using or router.db_for_read(AuditEvent)
    outermost = not connections[alias].in_atomic_block
    with transaction.atomic(using=alias):
        if outermost and connections[alias].vendor == "postgresql":
            with connections[alias].cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def last_change(model, pk):
    """The latest recorded change of the row or of a row that refers to it (an alias, a citation, a period).

    What a stale edit is told about: the lost-update token (alliances/store/concurrency.py)
    covers what the record's page shows, which includes such rows.
    """
    changes = Q(table=model._meta.db_table, row_id=pk)
    for relation in model._meta.related_objects:
        table = relation.related_model._meta.db_table
        if table in AUDITED_TABLES and not relation.many_to_many:
            column = relation.field.column
            changes |= Q(table=table) & (Q(**{f"after__{column}": pk}) | Q(**{f"before__{column}": pk}))
    return AuditEvent.objects.filter(changes).order_by("-id").first()


def row_history(model, pk):
    return AuditEvent.objects.filter(table=model._meta.db_table, row_id=pk).order_by("id")
