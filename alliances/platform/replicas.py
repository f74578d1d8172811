"""Reads from PostgreSQL streaming replicas, writes to the primary, read-your-writes by data version.

``DATABASE_REPLICA_URLS`` (config/settings.py) adds one database alias per
replica (``replica_1``, ``replica_2``, ...). Each request is given one database
to read from before anything reads (``choose``, called by the WSGI fast path and
by ``ReadReplicaMiddleware``), and every read of that request, the data version
included, goes there (``ReplicaRouter``), so the version an answer is cached,
replayed and tagged under is the version of the copy it was computed from.

The primary serves:

- every write, every request with an unsafe method (its reads too), and any
  read inside a transaction or taking a lock (``select_for_update`` is a write);
- the admin, the health check, and any request carrying credentials (a session
  cookie or an Authorization header): curators must see what they edit;
- a read whose client carries a data version (``Data-Version`` request header or
  the ``data_version`` cookie) newer than the replica's: **read-your-writes**.
  A successful write answers with the version it committed (``Data-Version``
  header, ``data_version`` cookie), read from the primary after the commit;
- a read when the replica lags: it has WAL it has not replayed yet and its last
  replayed commit is older than ``REPLICA_MAX_LAG`` seconds (default 0: only a
  replica that has replayed everything it received serves), or it is not
  streaming from the primary at all;
- a read when the replica is down: the failure is logged and that replica is not
  tried again for ``REPLICA_RETRY_SECONDS``.

The checks ride on the version read every request makes anyway: one query on
the replica, and a second one on the primary only when the replica is refused.
Only the published data (the ``alliances`` app's models) is read from replicas;
sessions, users, sign-in attempts and the database cache stay on the primary.
"""

import itertools
import logging
import time
from contextvars import ContextVar

from django.conf import settings
from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, connections
from django.http.cookie import parse_cookie

from alliances.platform import prepared
from alliances.store import locks

logger = logging.getLogger(__name__)

PREFIX = "replica_"
HEADER = "Data-Version"
HEADER_ENVIRON = "HTTP_DATA_VERSION"
COOKIE = "data_version"
ALIAS_ENV = "alliances.read_alias"  # the database this request reads, once chosen
VERSION_ENV = locks.VERSION_ENV  # the version read there
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
APP_LABEL = "alliances"  # the published data: the only models a replica serves
PRIMARY_ONLY_PATHS = ("/admin/", "/healthz")
MAX_COUNTER_DIGITS = 18  # a bigint; a longer "version" from a client is ignored, not an error

# The version row and the replica's own view of how far behind it is, in one round trip.
# The lag is 0 when the replica has replayed all the WAL it has received (it cannot know about
# WAL still on its way); when it has not, the age of its last replayed commit, an upper bound
# (every commit it lacks came after that one; a long transaction elsewhere in the cluster
# makes it large, which only sends reads to the primary); NULL (never serve) when it is not
# streaming from the primary, since then it cannot tell how far behind it is. A server not in
# recovery is never used either: a promoted copy no longer follows the primary's writes.
PROBE_SQL = f"""
SELECT v.version, v.token,
       CASE WHEN NOT pg_is_in_recovery() THEN NULL
            WHEN NOT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN NULL
            WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())
       END
  FROM {locks.VERSION_TABLE} v WHERE v.id = 1
"""

_read_alias: ContextVar[str | None] = ContextVar("alliances_read_alias", default=None)
_down_until: dict[str, float] = {}  # per process: replica alias -> monotonic time it may be tried again
_turn = itertools.count()


def replica_aliases():
    return [alias for alias in connections if alias.startswith(PREFIX)]


def counter_of(version):
    """The commit counter of a data version ("42.3f9c…" or "42"); 0 if it is not one."""
    head = str(version or "").strip().split(".", 1)[0]
    if head.isascii() and head.isdigit() and len(head) <= MAX_COUNTER_DIGITS:
        return int(head)
    return 0


def required_counter(environ):
    """The newest data version this client has seen (header or cookie), as a counter; 0: none."""
    cookie = parse_cookie(environ.get("HTTP_COOKIE", "")).get(COOKIE) if "HTTP_COOKIE" in environ else None
    return max(counter_of(environ.get(HEADER_ENVIRON)), counter_of(cookie))


def primary_only(environ):
    if environ.get("REQUEST_METHOD") not in SAFE_METHODS or "HTTP_AUTHORIZATION" in environ:
        return True
    if environ.get("PATH_INFO", "").startswith(PRIMARY_ONLY_PATHS):
        return True
    cookies = environ.get("HTTP_COOKIE")
    return bool(cookies) and settings.SESSION_COOKIE_NAME in parse_cookie(cookies)


PROBE_STATEMENT = b"alliances_replica_probe"


def probe(alias):
    """(data version, lag in seconds or None) of one replica, on its persistent connection."""
    connection = connections[alias]
    close_at = connection.close_at
    if connection.connection is not None and close_at is not None and time.monotonic() >= close_at:
        connection.close()  # past CONN_MAX_AGE (the fast path runs before Django's request_started)
    connection.ensure_connection()
    pgconn = getattr(connection.connection, "pgconn", None)
    if pgconn is not None and not connection.in_atomic_block:
        row = prepared.first_row(connection, pgconn, PROBE_STATEMENT, PROBE_SQL)
    else:
        with connection.cursor() as cursor:
            cursor.execute(PROBE_SQL)
            row = cursor.fetchone()
    if row is None:
        return None, None
    return f"{row[0]}.{row[1]}", (None if row[2] is None else float(row[2]))


def _replica_for(replicas, wanted):
    """A replica that is up, current within REPLICA_MAX_LAG and at ``wanted`` or later, with its version."""
    now = time.monotonic()
    candidates = [alias for alias in replicas if _down_until.get(alias, 0) <= now]
    if not candidates:
        return None, None
    alias = candidates[next(_turn) % len(candidates)]
    try:
        version, lag = probe(alias)
    except Exception as error:  # refused, timed out, not migrated: the primary answers instead
        retry = settings.REPLICA_RETRY_SECONDS
        _down_until[alias] = now + retry
        logger.warning("Read replica %s failed (%s); reading from the primary for %s s.", alias, error, retry)
        try:
            connections[alias].close()
        except Exception:
            pass
        return None, None
    if version is None or lag is None or lag > settings.REPLICA_MAX_LAG or counter_of(version) < wanted:
        return None, None
    return alias, version


def choose(environ):
    """The database this request reads, and the data version read there (None: read it from the primary).

    Decided once per request: the fast path decides for the requests it sees and
    the middleware reuses its choice.
    """
    if ALIAS_ENV in environ:
        return environ[ALIAS_ENV], environ.get(VERSION_ENV)
    alias, version = None, None
    replicas = replica_aliases()
    if replicas and not primary_only(environ):
        alias, version = _replica_for(replicas, required_counter(environ))
    alias = alias or DEFAULT_DB_ALIAS
    environ[ALIAS_ENV] = alias
    if version is not None:
        environ[VERSION_ENV] = version
    return alias, version


class ReplicaRouter:
    """Reads to the request's chosen database; writes, transactions and migrations to the primary."""

    def db_for_read(self, model, **hints):
        alias = _read_alias.get()
        if alias is None or alias == DEFAULT_DB_ALIAS:
            return None
        if model._meta.app_label != APP_LABEL:
            # Sessions, users, the database cache, sign-in attempts: state of the service, not
            # the published data; a copy behind the primary could log a user out or miss a count.
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS  # a transaction reads what it is about to write, on the primary
        return alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias holds the same rows: an object read from a replica may be related to one on the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replicas are read-only copies; the primary's schema reaches them by replication.
        return False if db.startswith(PREFIX) else None


class ReadReplicaMiddleware:
    """Sets the request's read database, and hands writers the version their write committed.

    Without replicas configured it does nothing. Reads get a ``Data-Version``
    header (the version their answer was computed from), so a client may send it
    back to never read an older one; successful writes get the primary's version
    after the commit, as header and cookie, so the writer's next reads are served
    from a copy that has its write.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_aliases():
            return self.get_response(request)
        alias, version = choose(request.environ)
        _read_alias.set(alias)  # until request_finished: a streamed answer reads after this returns
        response = self.get_response(request)
        if request.method in SAFE_METHODS:
            version = request.environ.get(VERSION_ENV) or version
            if version and not response.has_header(HEADER):
                response[HEADER] = version
        elif response.status_code < 400:
            self.give_version(response)
        return response

    def give_version(self, response):
        try:
            with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                version = locks.read_version(cursor)
        except Exception:
            return  # the write's own answer stands; the writer may read from a lagging copy
        response[HEADER] = version
        response.set_cookie(
            COOKIE, str(counter_of(version)), httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE
        )


def _forget_alias(**kwargs):
    _read_alias.set(None)


request_finished.connect(_forget_alias, dispatch_uid="alliances.platform.replicas")
