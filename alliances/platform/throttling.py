"""Rate limits per client, counted in the cache named by THROTTLE_CACHE_ALIAS.

With Redis that is the shared cache, so every worker sees the same count. Without
Redis (the default set-up) it is a per-process memory cache: each worker counts
on its own, so a client may get up to (workers x rate) in a window. A database
cache write per request made the limit cost more than the answer it guards.

DRF's own throttles keep a list of every request's time in the window and
rewrite it on each request, so their cost grows with the allowed rate. These
count per fixed window with one atomic increment, so a limit of 100 or of
100,000 a minute costs the same.

Every answer a throttle counted says where its client stands, in the fields of the
IETF draft "RateLimit header fields for HTTP" (draft-ietf-httpapi-ratelimit-headers,
its separate-fields form, as GitHub and many others send them):
``RateLimit-Limit`` (requests allowed in the window), ``RateLimit-Remaining`` (left
in this window) and ``RateLimit-Reset`` (seconds until the window ends); a 429 adds
``Retry-After`` (DRF's). The throttle that counted records them for the request in a
context variable (the view, the cached-read middleware and the WSGI fast path each
call a throttle on their own request objects); ``RateLimitHeadersMiddleware`` and
the fast path write them.
"""

import contextvars
import math
import threading
import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
# (limit, count, window end) of the last request counted in this context; None before any.
_counted = contextvars.ContextVar("alliances_rate_limit", default=None)


def forget_count():
    """Start a request with nothing counted (a thread serves many requests one after another)."""
    _counted.set(None)


def rate_limit_headers():
    """``[(name, value)]`` of the RateLimit fields for the request counted last in this context; [] if none was."""
    counted = _counted.get()
    if counted is None:
        return []
    limit, count, window_ends = counted
    reset = max(0, math.ceil(window_ends - time.time()))
    return list(zip(RATE_LIMIT_HEADERS, (str(limit), str(max(0, limit - count)), str(reset)), strict=True))


class RateLimitHeadersMiddleware:
    """Adds the RateLimit fields to every answer whose request a throttle counted.

    Outside the cached-read middleware, so an answer from the response cache gets
    them too and none is ever stored with them (they change with every request).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        forget_count()
        response = self.get_response(request)
        for name, value in rate_limit_headers():
            response[name] = value
        return response


class FixedWindowThrottle(SimpleRateThrottle):
    def get_rate(self):
        # Read per request, so settings overrides (tests, an operator's environment) take effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        count = self.count_request(request, view)
        if count is None:
            return True
        _counted.set((self.num_requests, count, self.window_ends))
        return count <= self.num_requests

    def count_request(self, request, view):
        """This request's number in its client's window (counted now), or None if it is not limited."""
        self.rate = self.get_rate()
        if self.rate is None:
            return None
        self.num_requests, self.duration = self.parse_rate(self.rate)
        ident = self.get_cache_key(request, view)
        if ident is None:
            return None
        now = time.time()
        window = int(now // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{ident}:{window}"
        cache = caches[settings.THROTTLE_CACHE_ALIAS]
        if isinstance(cache, ProcessCounters):
            return cache.count(key, self.window_ends)
        if isinstance(cache, RedisCache):
            count = _redis_count(cache, key, self.duration + 1)
            if count is not None:
                return count
        cache.add(key, 0, timeout=self.duration + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=self.duration + 1)
            count = 1
        return count

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
