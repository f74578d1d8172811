"""Every cache of answers stays within a byte budget.

The caches were bounded by their number of entries, which holds anything from
kilobytes to gigabytes: 4,500 spellings of the 368 KB memberships CSV took three
workers from 325 MB to 2,985 MB, and Redis from 0.9 MB to 565 MB. The in-process
response cache (and Redis's local fallback) now holds at most its byte budget,
and an answer past the per-entry cap is kept nowhere, Redis included.
"""

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client

from alliances.platform import cache as cache_backends
from tests.platform.test_redis_outage import RedisServer, needs_redis

LARGEST = "/api/v1/memberships/"  # its CSV, every period with its citations: the largest answer (~370 KB)


MB = 1024 * 1024


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def stored(alias=None):
    """The response cache's LocMemCache storage: key -> pickled value."""
    backend = caches[alias or settings.RESPONSE_CACHE_ALIAS]
    return backend._cache


def test_the_bounded_cache_evicts_the_least_recently_used_past_its_budget():
    cache = cache_backends.BoundedLocMemCache(
        "budget-unit", {"OPTIONS": {"MAX_BYTES": MB, "MAX_ENTRY_BYTES": 300_000, "MAX_ENTRIES": 10_000}}
    )
    cache.clear()
    value = b"x" * 100_000
    for n in range(200):
        cache.set(f"k{n}", value)
        if n >= 5:
            assert cache.get("k0") is not None  # used: kept
        assert cache.bytes <= MB
    assert cache.get("k1") is None and cache.get("k199") == value
    assert cache.bytes == sum(len(k) + len(v) + cache_backends.ENTRY_OVERHEAD for k, v in cache._cache.items())
    assert cache.bytes <= MB and len(cache._cache) <= MB // 100_000

    cache.set("k199", b"y" * 400_000)  # past the per-entry cap: not kept, and the old value is gone
    assert cache.get("k199") is None and cache.add("big", b"y" * 400_000) is False
    cache.set("n", 1, timeout=60)
    assert cache.incr("n", 41) == 42 and cache.get("n") == 42
    assert cache.bytes == sum(len(k) + len(v) + cache_backends.ENTRY_OVERHEAD for k, v in cache._cache.items())
    cache.clear()
    assert cache.bytes == 0


@pytest.mark.django_db
def test_distinct_answers_past_the_budget_are_evicted(settings):
    """However many different answers there are, the cache holds at most its budget."""
    settings.CACHES = {
        **settings.CACHES,
        "responses": {
            "BACKEND": "alliances.platform.cache.BoundedLocMemCache",
            "LOCATION": "budget-distinct",
            "OPTIONS": {"MAX_BYTES": MB, "MAX_ENTRY_BYTES": 512 * 1024},
        },
    }
    client = Client()
    sizes = []
    for year in range(1995, 2025):
        response = client.get(f"{LARGEST}?format=csv&as_of={year}-06-01")
        sizes.append(len(body_of(response)))
        assert caches["responses"].bytes <= MB
    assert sum(sizes) > 3 * MB, "more answers than the budget holds"
    assert client.get(f"{LARGEST}?format=csv&as_of=2024-06-01")["X-Cache"] == "hit"  # the most recent kept
    assert client.get(f"{LARGEST}?format=csv&as_of=1995-06-01")["X-Cache"] == "miss"  # the oldest evicted


@pytest.mark.django_db
def test_an_answer_past_the_per_entry_cap_is_streamed_again_and_still_gives_304s(settings, client):
    settings.RESPONSE_CACHE_MAX_ENTRY_BYTES = 100_000
    first = client.get(LARGEST + "?format=csv")
    body = body_of(first)
    assert len(body) > 100_000 and len(stored()) == 0
    again = client.get(LARGEST + "?format=csv")
    assert again["X-Cache"] == "miss" and body_of(again) == body and again["ETag"] == first["ETag"]
    assert client.get(LARGEST + "?format=csv", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


REDIS_MAXMEMORY = 32 * MB


@pytest.fixture
def redis_with_maxmemory(tmp_path):
    server = RedisServer(tmp_path).start("--maxmemory", str(REDIS_MAXMEMORY), "--maxmemory-policy", "allkeys-lru")
    yield server
    server.kill()


def redis_caches_as_deployed(url):
    """CACHES as config/settings.py gives them with REDIS_URL set."""
    options = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25, "RETRY_SECONDS": 5}
    backend = {"BACKEND": "alliances.platform.cache.RedisCache", "LOCATION": url, "OPTIONS": options}
    responses = {
        **backend,
        "KEY_PREFIX": "responses",
        "TIMEOUT": settings.RESPONSE_CACHE_SECONDS,
        "OPTIONS": {
            **options,
            "MAX_ENTRY_BYTES": settings.RESPONSE_CACHE_MAX_ENTRY_BYTES,
            "LOCAL_MAX_BYTES": settings.RESPONSE_CACHE_MAX_BYTES,
        },
    }
    return {"default": backend, "responses": responses}


@pytest.mark.slow
@needs_redis
@pytest.mark.xdist_group("cache-budget")
def test_redis_is_not_sent_an_answer_past_the_per_entry_cap(redis_with_maxmemory, settings):
    caches_setting = redis_caches_as_deployed(redis_with_maxmemory.url)
    caches_setting["responses"]["OPTIONS"]["MAX_ENTRY_BYTES"] = 100_000
    settings.CACHES = caches_setting
    cache = caches["responses"]
    cache.set("small", b"x" * 1000)
    cache.set("large", b"x" * 200_000)
    assert cache.get("small") == b"x" * 1000 and cache.get("large") is None
    assert cache.add("large", b"x" * 200_000) is False
    cache.set_many({"a": b"x", "b": b"x" * 200_000})
    assert cache.get("a") == b"x" and cache.get("b") is None
    assert redis_with_maxmemory.keys() == 2
    cache.set("small", b"x" * 200_000)  # a set too large to keep drops the old value
    assert cache.get("small") is None
