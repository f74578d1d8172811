"""Rate limits per client, counted in the cache named by THROTTLE_CACHE_ALIAS.

With Redis that is the shared cache, so every worker sees the same count. Without
Redis (the default set-up) it is a per-process memory cache: each worker counts
on its own, so a client may get up to (workers x rate) in a window. A database
cache write per request made the limit cost more than the answer it guards.

DRF's own throttles keep a list of every request's time in the window and
rewrite it on each request, so their cost grows with the allowed rate. These
count per fixed window with one atomic increment, so a limit of 100 or of
100,000 a minute costs the same.
"""

import threading
import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class FixedWindowThrottle(SimpleRateThrottle):
    def get_rate(self):
        # Read per request, so settings overrides (tests, an operator's environment) take effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{ident}:{window}"
        cache = caches[settings.THROTTLE_CACHE_ALIAS]
        if isinstance(cache, ProcessCounters):
            return cache.count(key, self.window_ends) <= self.num_requests
        if isinstance(cache, RedisCache):
            count = _redis_count(cache, key, self.duration + 1)
            if count is not None:
                return count <= self.num_requests
        cache.add(key, 0, timeout=self.duration + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=self.duration + 1)
            count = 1
        return count <= self.num_requests

    def wait(self):
        return max(1.0, self.window_ends - time.time())


COUNT_LUA = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n"
_scripts = {}


def _redis_count(cache, key, timeout):
    """INCR (and EXPIRE on the window's first request) in one server-side script: one round trip,
    and a third of the client CPU of a pipeline (the cache API's add + incr took three round trips).

    None if Redis fails: the caller then goes through the cache API, whose
    failure handling (fail-soft, circuit breaker) decides.
    """
    breaker = getattr(cache, "breaker", None)
    if breaker is not None and not breaker.closed():
        return None  # Redis failed a moment ago: no round trip per request until the breaker retries
    try:
        redis_key = cache.make_key(key)
        client = cache._cache.get_client(redis_key, write=True)
        script = _scripts.get(id(client))
        if script is None:
            script = _scripts[id(client)] = client.register_script(COUNT_LUA)  # reloads after NOSCRIPT
        return int(script(keys=[redis_key], args=[timeout]))
    except Exception:
        return None


class AnonThrottle(FixedWindowThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)  # absent when called from CachedReadMiddleware
        if user is not None and user.is_authenticated:
            return None
        return f"throttle:anon:{self.get_ident(request)}"


class UserThrottle(FixedWindowThrottle):
    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None  # anonymous clients are limited by AnonThrottle
        return f"throttle:user:{request.user.pk}"


class ProcessCounters(BaseCache):
    """A cache backend for the rate-limit counters of one process (the default set-up without Redis).

    The throttle counts with ``count(key, window_ends)``: a plain dict of integers,
    emptied when a new window starts, with no pickling or key validation (the
    generic cache API through LocMemCache cost half of a replayed answer). The
    rest of the cache API is there only so ``clear()`` and the like work.
    """

    def __init__(self, location, params):
        super().__init__(params)
        self._counts = {}
        self._window_ends = set()
        self._lock = threading.Lock()

    def count(self, key, window_ends):
        """Count one request against ``key`` in the window that ends at ``window_ends``; the new total."""
        with self._lock:
            if window_ends not in self._window_ends:
                # A window not seen yet: the counts of windows that have ended are dropped.
                now = time.time()
                self._counts = {slot: n for slot, n in self._counts.items() if slot[1] > now}
                self._window_ends = {end for end in self._window_ends if end > now} | {window_ends}
            slot = (key, window_ends)
            count = self._counts.get(slot, 0) + 1
            self._counts[slot] = count
            return count

    def add(self, key, value, timeout=None, version=None):
        return False

    def get(self, key, default=None, version=None):
        return default

    def set(self, key, value, timeout=None, version=None):
        pass

    def delete(self, key, version=None):
        return False

    def touch(self, key, timeout=None, version=None):
        return False

    def clear(self):
        with self._lock:
            self._counts = {}
            self._window_ends = set()
