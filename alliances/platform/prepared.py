"""The reads every request makes, as libpq prepared statements (psycopg 3).

The fast path's data-version read and the replica router's probe run on every
request; prepared once per database session they cost about half the client
CPU of a Django cursor (measured for both).
"""

from psycopg.pq import ExecStatus


def first_row(connection, pgconn, name: bytes, sql: str):
    """The first row of ``sql`` as text values (None for NULL), or None if there is none.

    ``sql`` runs as the prepared statement ``name`` on ``pgconn``, the libpq
    connection under Django's ``connection``; it is prepared again when a
    reconnect brings a new ``pgconn``.
    """
    prepared = connection.__dict__.setdefault("_alliances_prepared", {})
    if prepared.get(name) is not pgconn:
        result = pgconn.prepare(name, sql.encode())
        if result.status != ExecStatus.COMMAND_OK:
            raise RuntimeError(result.error_message)
        prepared[name] = pgconn
    result = pgconn.exec_prepared(name, None)
    if result.status != ExecStatus.TUPLES_OK:
        raise RuntimeError(result.error_message)
    if result.ntuples == 0:
        return None
    values = (result.get_value(0, i) for i in range(result.nfields))
    return [None if value is None else value.decode() for value in values]
