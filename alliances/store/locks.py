"""The lock every write takes before it validates rules that read other rows.

Rules such as "a B9 member is a NATO member on every day" or "periods do not
overlap" read rows the write does not change. Two transactions that each check
and then save could both pass and together break the rule (one ends a NATO
period while the other adds a B9 one). So every write path takes one lock, on
the data version row (alliances/store/integrity.py), before it reads: writers are
serialized, each validation sees every earlier commit, and the row-lock order
is also the order of the data versions. The triggers take the same row at the
first change anyway, so this serializes nothing that was not serialized already.

On PostgreSQL: ``SELECT ... FOR UPDATE``, held until the transaction ends.
On SQLite: a no-op UPDATE, which takes the database's write lock now rather
than at the first real write (a reader that upgrades later can deadlock).
Outside a transaction a lock would end with the statement, so nothing is done.
"""

from django.db import DEFAULT_DB_ALIAS, connections

VERSION_TABLE = "alliances_dataversion"  # created by migration 0008 (alliances/store/integrity.py)
# Where a request keeps the data version it reads (its WSGI environ): the fast path and the replica
# router set it before Django sees the request; audit.request_version() reads or sets it after.
VERSION_ENV = "alliances.data_version"


def read_version(cursor):
    """The data version: the counter and random token of the one version row (see data_version())."""
    cursor.execute(f"SELECT version, token FROM {VERSION_TABLE} WHERE id = 1")
    row = cursor.fetchone()
    return f"{row[0]}.{row[1]}" if row else "0"


def lock_writes(using=DEFAULT_DB_ALIAS):
    connection = connections[using]
    if not connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT version FROM {VERSION_TABLE} WHERE id = 1 FOR UPDATE")
        else:
            cursor.execute(f"UPDATE {VERSION_TABLE} SET id = id WHERE id = 1")
