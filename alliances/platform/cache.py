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

Bounded in bytes: a cache of answers bounded by its number of entries holds
anything from kilobytes to gigabytes. ``BoundedLocMemCache`` (the in-process
response cache, and the local fallback of ``RedisCache``) counts the bytes it
holds and evicts the least recently used entries past ``MAX_BYTES``; a value
larger than ``MAX_ENTRY_BYTES`` is not kept. ``RedisCache`` does not send Redis
a value past ``MAX_ENTRY_BYTES`` either; Redis itself must run with
``maxmemory`` and ``maxmemory-policy allkeys-lru`` (README, "Failure modes").
"""

import logging
import pickle
import threading
import time

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

logger = logging.getLogger(__name__)

# What counts as "Redis is down": unreachable, stopped or stalled (refused, reset, timed out), and
# also a Redis that answers with an error: out of memory under the noeviction policy ("OOM command
# not allowed"), a replica after a failover ("READONLY"). A cache that refuses writes must not
# turn every read into a 500; RedisError is the base of all of these.
REDIS_DOWN = (redis.exceptions.RedisError, OSError)


# What an entry costs besides its key and pickled value (the key's str object, the bytes object,
# the OrderedDict and expiry slots, the float), so a cache of many small entries is counted too.
ENTRY_OVERHEAD = 256

# Per cache name, as LocMemCache keeps its data: key -> bytes counted, and the total.
_sizes = {}
_totals = {}


class BoundedLocMemCache(LocMemCache):
    """Django's LocMemCache, bounded in bytes as well as entries.

    OPTIONS: ``MAX_BYTES`` (default 64 MB), the most it holds, counted as each
    entry's key, pickled value and ``ENTRY_OVERHEAD``; past it the least recently
    used entries are evicted. ``MAX_ENTRY_BYTES`` (default a quarter of
    ``MAX_BYTES``): a larger value is not kept (``set`` stores nothing and drops
    the key's old value, ``add`` returns False). ``MAX_ENTRIES`` still applies.
    """

    def __init__(self, name, params):
        super().__init__(name, params)
        options = params.get("OPTIONS", {})
        self.max_bytes = int(options.get("MAX_BYTES", 64 * 1024 * 1024))
        self.max_entry_bytes = min(int(options.get("MAX_ENTRY_BYTES", self.max_bytes // 4)), self.max_bytes)
        self._sizes = _sizes.setdefault(name, {})
        self._total = _totals.setdefault(name, [0])  # a list, so every instance of this name shares it

    @property
    def bytes(self):
        """The bytes held now, as counted."""
        return self._total[0]

    def _size(self, key, pickled):
        return len(key) + len(pickled) + ENTRY_OVERHEAD

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        pickled = pickle.dumps(value, self.pickle_protocol)
        if self._size(key, pickled) > self.max_entry_bytes:
            return False
        with self._lock:
            if self._has_expired(key):
                self._set(key, pickled, timeout)
                return True
            return False

    def _set(self, key, value, timeout=DEFAULT_TIMEOUT):
        size = self._size(key, value)
        self._delete(key)
        if size > self.max_entry_bytes:
            return  # too large to keep: the old value is gone, as a set would have replaced it
        super()._set(key, value, timeout)
        self._sizes[key] = size
        self._total[0] += size
        while self._total[0] > self.max_bytes and len(self._cache) > 1:
            self._delete(next(reversed(self._cache)))  # the least recently used (LocMemCache keeps it last)

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._delete(key)
                raise ValueError(f"Key '{key}' not found")
            expires = self._expire_info[key]
            value = pickle.loads(self._cache[key]) + delta
            self._set(key, pickle.dumps(value, self.pickle_protocol))
            if key in self._expire_info:
                self._expire_info[key] = expires  # incr keeps the expiry
        return value

    def _delete(self, key):
        deleted = super()._delete(key)
        if deleted:
            self._total[0] -= self._sizes.pop(key, 0)
        return deleted

    def _cull(self):
        if self._cull_frequency == 0:
            self._clear()
        else:
            for _ in range(len(self._cache) // self._cull_frequency):
                self._delete(next(reversed(self._cache)))

    def _clear(self):
        self._cache.clear()
        self._expire_info.clear()
        self._sizes.clear()
        self._total[0] = 0

    def clear(self):
        with self._lock:
            self._clear()


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
    max_entry_bytes = None  # set by RedisCache: a larger value is not sent to Redis

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def _fits(self, value):
        return self.max_entry_bytes is None or len(value) <= self.max_entry_bytes

    def add(self, key, value, timeout):
        if not self._fits(self._serializer.dumps(value)):
            return False
        return super().add(key, value, timeout)

    def set(self, key, value, timeout):
        pickled = self._serializer.dumps(value)
        if self._fits(pickled):
            client = self.get_client(key, write=True)
            if timeout == 0:
                client.delete(key)
            else:
                client.set(key, pickled, ex=timeout)
        else:
            self.get_client(key, write=True).delete(key)  # too large to keep: the old value goes

    def set_many(self, data, timeout):
        kept = {key: value for key, value in data.items() if self._fits(self._serializer.dumps(value))}
        if len(kept) < len(data):
            self.delete_many([key for key in data if key not in kept])
        if kept:
            super().set_many(kept, timeout)

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
        local_max_bytes = int(options.pop("LOCAL_MAX_BYTES", 16 * 1024 * 1024))
        # A value larger than this is neither sent to Redis nor kept locally (None: only the local budget).
        max_entry_bytes = options.pop("MAX_ENTRY_BYTES", None)
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = type("ReusingRedisCacheClient", (ReusingRedisCacheClient,), {"max_entry_bytes": max_entry_bytes})
        self.breaker = Breaker.of(server)
        local_params = {k: v for k, v in params.items() if k not in ("BACKEND", "LOCATION", "OPTIONS")}
        local_options = {"MAX_ENTRIES": local_max_entries, "MAX_BYTES": local_max_bytes}
        if max_entry_bytes is not None:
            local_options["MAX_ENTRY_BYTES"] = max_entry_bytes
        # LocMemCache's storage is per name and per process, shared by threads.
        self.local = BoundedLocMemCache(f"redis-fallback:{self.key_prefix}", {**local_params, "OPTIONS": local_options})

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
