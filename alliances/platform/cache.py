"""Django's Redis cache, failing soft, and reusing one client object per connection pool.

Failing soft: Redis is an accelerator (shared throttle counters, shared cached
responses), never a dependency a read must wait for. Every call has short socket
timeouts (OPTIONS ``socket_timeout``, ``socket_connect_timeout``: ``REDIS_TIMEOUT``
in the settings); when one fails, a circuit breaker sends every call of every
cache on that Redis, in this process, to a local in-process cache for
``RETRY_SECONDS`` (``REDIS_RETRY_SECONDS``), then tries Redis again. So during an outage reads answer
from the database and the local cache, throttling keeps counting (per process),
and no request pays more than one short timeout per retry period.

Reusing the client: the stock client builds a new ``redis.Redis`` for every
operation, and its constructor (a table of ~170 response callbacks) cost as much
as the network round trip; every API request makes two to four cache calls
(throttle, cached response). The pool and its connections were already shared;
now so is the client.
"""

import logging
import threading
import time

import redis
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

logger = logging.getLogger(__name__)

# What counts as "Redis is down": unreachable, stopped or stalled (refused, reset, timed out), and
# also a Redis that answers with an error: out of memory under the noeviction policy ("OOM command
# not allowed"), a replica after a failover ("READONLY"). A cache that refuses writes must not
# turn every read into a 500; RedisError is the base of all of these.
REDIS_DOWN = (redis.exceptions.RedisError, OSError)


class Breaker:
    """Per Redis location and per process: "skip Redis until ``open_until``"."""

    _all = {}
    _lock = threading.Lock()

    def __init__(self):
        self.open_until = 0.0

    @classmethod
    def of(cls, location):
        with cls._lock:
            return cls._all.setdefault(location, cls())

    def closed(self):
        return time.monotonic() >= self.open_until

    def trip(self, seconds, error):
        if self.closed():
            logger.warning("Redis unavailable (%s): using the local cache for %.0f s", error, seconds)
        self.open_until = time.monotonic() + seconds

    def reset(self):
        self.open_until = 0.0


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


def _fail_soft(name):
    def operation(self, *args, **kwargs):
        if self.breaker.closed():
            try:
                return getattr(super(RedisCache, self), name)(*args, **kwargs)
            except REDIS_DOWN as error:
                self.breaker.trip(self.retry_seconds, error)
        return getattr(self.local, name)(*args, **kwargs)

    operation.__name__ = name
    return operation


class RedisCache(DjangoRedisCache):
    """A Redis cache that falls back to a local in-process cache while Redis is away.

    Every operation Django's RedisCache implements itself is wrapped; the rest
    (decr, get_or_set, ...) are built on these by BaseCache.
    """

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        options.setdefault("socket_connect_timeout", 0.25)
        options.setdefault("socket_timeout", 0.25)
        self.retry_seconds = float(options.pop("RETRY_SECONDS", 5))
        local_max_entries = options.pop("LOCAL_MAX_ENTRIES", 5000)
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusingRedisCacheClient
        self.breaker = Breaker.of(server)
        local_params = {k: v for k, v in params.items() if k not in ("BACKEND", "LOCATION", "OPTIONS")}
        # LocMemCache's storage is per name and per process, shared by threads.
        self.local = LocMemCache(
            f"redis-fallback:{self.key_prefix}", {**local_params, "OPTIONS": {"MAX_ENTRIES": local_max_entries}}
        )

    add, get, set, touch, delete = (_fail_soft(n) for n in ("add", "get", "set", "touch", "delete"))
    get_many, has_key, incr = (_fail_soft(n) for n in ("get_many", "has_key", "incr"))
    set_many, delete_many, clear = (_fail_soft(n) for n in ("set_many", "delete_many", "clear"))

    def ping(self):
        """Whether Redis takes a write now (bypassing the breaker, which this closes or opens).

        A write, not a PING: a Redis out of memory or a read-only replica still answers PING.
        """
        try:
            self._cache.get_client(write=True).set(self.make_and_validate_key("healthz:probe"), b"1", ex=10)
        except REDIS_DOWN as error:
            self.breaker.trip(self.retry_seconds, error)
            return False
        self.breaker.reset()
        return True
