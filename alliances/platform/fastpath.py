"""Repeated anonymous API reads answered at the WSGI level, before Django builds a request.

A cached read still had to pay for Django's request object, the signals and
eleven middlewares just to learn that it was a repeat. This wrapper around
the WSGI application (config/wsgi.py) keeps, per process, the exact response
(status line, every header, body) that the full stack gave to an anonymous
read, and gives it again to the next identical request while the checks that
the full stack would make still pass:

- **Never stale.** Every request, hit or not, reads the data version (one
  primary-key lookup, the commit-ordered counter of alliances/store/integrity.py) on
  a raw cursor of the worker's persistent connection; the key contains it and
  today's date, so a hit is the answer computed under the version the database
  holds *now*. There is no time window: a request that arrives after a commit
  sees its version. With read replicas the version is read on the copy the
  request reads (``alliances.platform.replicas.choose``), so the key is the
  version of the data the full stack would answer from there.
- **Throttled.** The anonymous rate limit is counted exactly as the view
  counts it (same throttle class, same counter store); over the limit, the
  answer is the full stack's 429 for the same request and the same Retry-After
  (stored the first time the full stack gave it).
- **Same representation, one entry per answer.** The key is the read's
  (alliances/platform/readkey.py, the response cache's too): path, negotiated
  format, the query as the endpoint reads it, and for a JSON page the scheme
  and host of its links; plus what the stored *headers* depend on: HTTPS (HSTS),
  whether an Origin was sent (CORS; with any origin allowed and no credentials,
  the answer is the same for every origin), and whether If-None-Match matches
  the answer's ETag (the full stack's 304, or its 200). Cookies other than the
  session's, Accept-Encoding (the app compresses nothing) and Accept-Language
  (no locale middleware) change nothing and are not in the key. The host is
  checked against ALLOWED_HOSTS before anything is replayed. Content
  negotiation, host checks, HTTPS redirects and 304s are decided by the full
  stack once per key, and an answer is stored only under the key the stack
  itself cached it under.
- **Bounded in bytes.** Entries live in an LRU store of at most
  ``FASTPATH_MAX_BYTES`` (bodies and headers, counted), per process; an answer
  larger than ``FASTPATH_MAX_ENTRY_BYTES`` is streamed through and not kept
  (its ETag still gives a replayed 304).
- **Same headers.** The stored headers are the ones the whole middleware stack
  produced (Vary, ETag, Cache-Control, CSP, HSTS, X-Frame-Options, ...); only
  ``X-Cache`` says "hit". A response that sets a cookie is never stored.
- **Only for the anonymous for certain.** GET under /api/v1/ without an
  Authorization header and without a session cookie; everything else, and
  every miss, runs the full stack, which decides (through
  ``MarkReplayableMiddleware``) whether its answer may be replayed: only an
  answer the response cache produced (a cacheable read) is.

The database and the cache failing are the full stack's business: any error
here (the version query, the throttle's store) sends the request on to it.
"""

import datetime
import math
import threading
import time
from collections import OrderedDict, namedtuple

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.http import parse_etags

from alliances.platform import prepared, readkey, replicas
from alliances.platform.response_cache import CACHEABLE_FORMATS, READ_KEY_ENV, cache_key
from alliances.platform.throttling import RATE_LIMIT_HEADERS, AnonThrottle, forget_count, rate_limit_headers
from alliances.store import locks

VERSION_ENV = locks.VERSION_ENV  # the version this request reads; audit.request_version() reuses it
OVER_LIMIT_ENV = "alliances.over_limit"  # the fast path's throttle refused: a 429 may be stored
REPLAYABLE_ENV = "alliances.replayable"  # set by MarkReplayableMiddleware: the version the answer is for

# Conditional and partial requests other than If-None-Match go to the full stack.
BYPASS_ENVIRON = (
    "HTTP_AUTHORIZATION",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_RANGE",
)
REPLAYABLE_STATUS = {"200 OK": 200, "304 Not Modified": 304}
# (version, day) pairs kept at once: with read replicas a lagging copy and the primary
# answer under different versions at the same time, and each would empty the other's entries.
MAX_GENERATIONS = 3
# What an entry costs besides its body and header text (the tuples, the str and bytes objects,
# the dict slots), measured with tracemalloc: ~400 bytes, and ~150 a header.
ENTRY_OVERHEAD = 400
HEADER_OVERHEAD = 150
PUBLIC_NO_CACHE = "public, no-cache"
# X-Accel-Expires "@<unix time>": an nginx cache entry that expired in 1970. nginx hides the
# header from clients; other caches ignore it.
NGINX_EXPIRED = "@1"


class _Headers:
    """``request.headers.get`` over a WSGI environ (DRF's get_ident reads X-Forwarded-For there)."""

    __slots__ = ("environ",)

    def __init__(self, environ):
        self.environ = environ

    def get(self, name, default=None):
        return self.environ.get("HTTP_" + name.upper().replace("-", "_"), default)


class _ThrottleRequest:
    """What the throttle reads of a request: its WSGI environ as META and headers, no user (anonymous)."""

    __slots__ = ("META", "headers")
    user = None

    def __init__(self, environ):
        self.META = environ
        self.headers = _Headers(environ)


PG_STATEMENT = b"alliances_fastpath_version"
VERSION_SQL = f"SELECT version, token FROM {locks.VERSION_TABLE} WHERE id = 1"


def _pg_version(connection, pgconn):
    """``locks.read_version`` as a prepared statement: a third of the cursor's cost."""
    row = prepared.first_row(connection, pgconn, PG_STATEMENT, VERSION_SQL)
    return "0" if row is None else f"{row[0]}.{row[1]}"


def _version(alias=DEFAULT_DB_ALIAS):
    """The data version on the worker's own connection, or None (then the full stack handles it)."""
    connection = connections[alias]
    try:
        if connection.connection is None:
            connection.ensure_connection()
        elif connection.close_at is not None and time.monotonic() >= connection.close_at:
            return None  # past CONN_MAX_AGE: the full stack's request_started replaces it
        raw = connection.connection
        if connection.vendor == "postgresql" and hasattr(raw, "pgconn"):
            return _pg_version(connection, raw.pgconn)
        cursor = raw.cursor()
        try:
            return locks.read_version(cursor)
        finally:
            cursor.close()
    except Exception:
        # A broken connection: close it, so the full stack reconnects (or answers 503).
        if not connection.in_atomic_block:
            try:
                connection.close()
            except Exception:
                pass
        return None


Entry = namedtuple("Entry", "status headers body etag size")


def entry_of(status, headers, body):
    etag = next((value for name, value in headers if name.lower() == "etag"), None)
    size = ENTRY_OVERHEAD + len(body) + sum(HEADER_OVERHEAD + len(n) + len(v) for n, v in headers)
    return Entry(status, headers, body, etag, size)


class Store:
    """The fast path's answers: least recently used first out past ``max_bytes``, by (version, day) generation.

    A new generation (a write moved the version, or the day turned) drops the
    oldest past ``MAX_GENERATIONS``; within the budget, the least recently
    replayed entries of the oldest generations go first.
    """

    def __init__(self):
        self.generations = OrderedDict()  # (version, date) -> OrderedDict(key -> Entry), oldest first
        self.bytes = 0
        self.lock = threading.Lock()

    def __len__(self):
        return sum(len(entries) for entries in self.generations.values())

    def get(self, generation, key):
        with self.lock:
            entries = self.generations.get(generation)
            entry = None if entries is None else entries.get(key)
            if entry is not None:
                entries.move_to_end(key)
            return entry

    def put(self, generation, key, entry, max_bytes):
        if entry.size > max_bytes:
            return
        with self.lock:
            entries = self.generations.get(generation)
            if entries is None:
                entries = self.generations[generation] = OrderedDict()
                while len(self.generations) > MAX_GENERATIONS:
                    _, dropped = self.generations.popitem(last=False)
                    self.bytes -= sum(e.size for e in dropped.values())
            old = entries.pop(key, None)
            if old is not None:
                self.bytes -= old.size
            entries[key] = entry
            self.bytes += entry.size
            while self.bytes > max_bytes:
                oldest = next(e for e in self.generations.values() if e)
                _, evicted = oldest.popitem(last=False)
                self.bytes -= evicted.size


def not_modified(if_none_match, etag):
    """Whether Django's ConditionalGetMiddleware answers 304 to this If-None-Match for an answer tagged ``etag``."""
    if not etag:
        return False
    etags = parse_etags(if_none_match)
    if etags == ["*"]:
        return True
    return etag.removeprefix("W/") in (tag.removeprefix("W/") for tag in etags)


class FastPath:
    """WSGI middleware: replays stored answers to repeated anonymous reads (see the module docstring)."""

    def __init__(self, application, prefix="/api/v1/"):
        self.application = application
        self.prefix = prefix
        self.store = Store()

    def eligible(self, environ):
        if environ.get("REQUEST_METHOD") != "GET" or not environ.get("PATH_INFO", "").startswith(self.prefix):
            return False
        for name in BYPASS_ENVIRON:
            if name in environ:
                return False
        cookie = environ.get("HTTP_COOKIE")
        return not (cookie and settings.SESSION_COOKIE_NAME in cookie)

    def allowed(self, environ):
        """None if within the rate limit, else the seconds to wait (as the 429's Retry-After says)."""
        throttle = AnonThrottle()
        try:
            if throttle.allow_request(_ThrottleRequest(environ), None):
                return None
            return math.ceil(throttle.wait())
        except Exception:
            return -1  # the full stack applies the limit (or reports the failure)

    def origin(self, environ):
        """What of the Origin header the CORS headers depend on: with every origin allowed and no
        credentials, whether there is one (they say ``*``); otherwise the origin itself."""
        origin = environ.get("HTTP_ORIGIN")
        if getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False) and not getattr(settings, "CORS_ALLOW_CREDENTIALS", None):
            return origin is not None
        return origin

    def __call__(self, environ, start_response):
        if not self.eligible(environ):
            return self.application(environ, start_response)
        forget_count()
        read = readkey.of_environ(environ)
        if read is None or read.format not in CACHEABLE_FORMATS:
            return self.application(environ, start_response)  # not a stored read, or a refused host
        # The copy this request reads (a replica or the primary) and the version read there: the key
        # is the version of the database the full stack would compute the answer from.
        alias, version = replicas.choose(environ)
        if version is None:
            version = _version(alias)
        if version is None:
            return self.application(environ, start_response)
        generation = (version, datetime.date.today())
        key = (cache_key(read, version), read.secure, self.origin(environ))
        entry = self.store.get(generation, (*key, 200))
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None:
            # The full stack's 304 if it matches the answer's ETag, else its 200: two entries at most.
            known = entry or self.store.get(generation, (*key, 304))
            matches = known is not None and not_modified(if_none_match, known.etag)
            entry = self.store.get(generation, (*key, 304)) if matches else entry
        if entry is not None:
            wait = self.allowed(environ)
            if wait is not None:
                # Over the limit: the full stack's 429 for this request and this Retry-After,
                # replayed (a client hammering past its limit costs no more than a hit).
                key = (*key, 429, wait)
                entry = self.store.get(generation, key) if wait > 0 else None
                environ[OVER_LIMIT_ENV] = wait
        if entry is not None:
            # Stored without the RateLimit fields: this request's own, from the throttle just counted.
            start_response(entry.status, [*entry.headers, *rate_limit_headers()])
            return [entry.body]
        environ[VERSION_ENV] = version
        return self.run_and_store(environ, start_response, key, generation)

    def run_and_store(self, environ, start_response, key, generation):
        seen = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.application(environ, capture)
        status = seen.get("status", "")
        if environ.get(OVER_LIMIT_ENV):
            replayable = status.startswith("429") and (("Retry-After", str(key[-1])) in seen["headers"])
        else:
            # Only an answer the stack computed for this version and cached under this very key.
            replayable = (
                environ.get(REPLAYABLE_ENV) == generation[0]
                and environ.get(READ_KEY_ENV) == key[0]
                and status in REPLAYABLE_STATUS
            )
            key = (*key, REPLAYABLE_STATUS.get(status))
        if not replayable or any(name.lower() == "set-cookie" for name, _ in seen["headers"]):
            return result
        headers = [(n, "hit" if n == "X-Cache" else v) for n, v in seen["headers"] if n not in RATE_LIMIT_HEADERS]
        return Passing(result, lambda body: self.keep(generation, key, seen["status"], headers, body))

    def keep(self, generation, key, status, headers, body):
        self.store.put(generation, key, entry_of(status, headers, body), settings.FASTPATH_MAX_BYTES)


class Passing:
    """The full stack's answer handed on chunk by chunk; its whole body is kept once it is all sent,
    if it is small enough.

    A large download is never held whole: what was kept of it is dropped once it
    passes ``FASTPATH_MAX_ENTRY_BYTES``. A client that disconnects keeps nothing.
    """

    def __init__(self, result, keep):
        self.result = result
        self.keep = keep

    def __iter__(self):
        limit = settings.FASTPATH_MAX_ENTRY_BYTES
        kept, size = [], 0
        for chunk in self.result:
            if kept is not None:
                size += len(chunk)
                if size <= limit:
                    kept.append(chunk)
                else:
                    kept = None
            yield chunk
        if kept is not None:
            self.keep(b"".join(kept))

    def close(self):
        if hasattr(self.result, "close"):
            self.result.close()  # Django's request_finished


class MarkReplayableMiddleware:
    """Tells ``FastPath`` that this answer came from the response cache's path and may be replayed.

    Sits just outside ``CachedReadMiddleware``: an answer carrying ``X-Cache`` is
    a cacheable anonymous-or-not read (json/csv, status 200) computed under
    the request's data version; only anonymous-for-certain requests reach
    ``FastPath``'s store anyway. Anything else (errors, 429s, the browsable
    API, writes) is never replayed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The cached-read middleware answers before CommonMiddleware validates the Host
        # header; validate it here (DisallowedHost: 400), so no answer, stored or
        # replayed, goes to a host that ALLOWED_HOSTS refuses.
        request.get_host()
        response = self.get_response(request)
        version = request.environ.get(VERSION_ENV)
        if (
            version is not None
            and response.status_code == 200
            and response.has_header("X-Cache")
            and not response.cookies
            and not _carries_credentials(request)
        ):
            request.environ[REPLAYABLE_ENV] = version
            if not response.has_header("Cache-Control"):
                response["Cache-Control"] = public_cache_control()
        elif request.method == "GET" and not response.has_header("Cache-Control"):
            # Signed-in answers, the browsable API: never stored by a shared cache.
            response["Cache-Control"] = "private, no-cache"
        return response


def _carries_credentials(request):
    """Signed in, or could be: a hit the view serves from the cache runs before DRF authenticates,
    so Django's request.user alone would call a signed-in reader anonymous."""
    user = getattr(request, "user", None)
    return (
        "HTTP_AUTHORIZATION" in request.META
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or (user is not None and user.is_authenticated)
    )


def public_cache_control():
    """What shared caches (a CDN, nginx) may do with a public read; the ETag is strong (a content hash).

    By default "no-cache": they may store it but must revalidate every use with
    If-None-Match (a 304 costs the origin a replayed answer), so no client gets
    an answer older than the last commit. PUBLIC_CACHE_MAX_AGE (seconds) and
    PUBLIC_CACHE_STALE_WHILE_REVALIDATE let an operator trade that for offload:
    a shared cache then serves answers up to that old.
    """
    max_age = getattr(settings, "PUBLIC_CACHE_MAX_AGE", 0)
    if not max_age:
        return PUBLIC_NO_CACHE
    swr = getattr(settings, "PUBLIC_CACHE_STALE_WHILE_REVALIDATE", 0)
    return f"public, max-age={max_age}" + (f", stale-while-revalidate={swr}" if swr else "")


class NginxRevalidateMiddleware:
    """Lets nginx store "public, no-cache" answers and revalidate every use, as no-cache means.

    nginx never stores an answer whose Cache-Control says no-cache (it treats it
    as no-store), so the proxy of deploy/nginx/ would pass every read on whole.
    Its own X-Accel-Expires overrides Cache-Control when it comes first (nginx 1.22
    reads whichever of the two comes first): an entry that expired in 1970 is
    stored and revalidated with If-None-Match on every use. Outside Django's
    ConditionalGetMiddleware, so its 304s carry the header too: nginx answers a
    client's own If-None-Match with a 304 only when the app's 304 does.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Cache-Control") == PUBLIC_NO_CACHE:
            del response["Cache-Control"]
            response["X-Accel-Expires"] = NGINX_EXPIRED
            response["Cache-Control"] = PUBLIC_NO_CACHE
        return response


def wrap(application):
    return FastPath(application)
