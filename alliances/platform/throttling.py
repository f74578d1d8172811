"""Rate limits per client, counted in the shared cache so every worker sees the same count.

DRF's own throttles keep a list of every request's time in the window and
rewrite it on each request, so their cost grows with the allowed rate. These
count per fixed window with one atomic increment, so a limit of 100 or of
100,000 a minute costs the same.
"""

import time

from django.core.cache import cache
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
        cache.add(key, 0, timeout=self.duration + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=self.duration + 1)
            count = 1
        return count <= self.num_requests

    def wait(self):
        return max(1.0, self.window_ends - time.time())


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
