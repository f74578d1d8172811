"""Every cache of answers stays within a byte budget, however many ways a client spells one request.

The caches were bounded by their number of entries, and the key held parts that
do not change the answer (``page=`` on a CSV that ignores it, the raw Accept
header): 4,500 spellings of the 368 KB memberships CSV took three workers from
325 MB to 2,985 MB, and Redis from 0.9 MB to 565 MB. Now the response cache
keys on the normalised read (alliances/platform/readkey.py) and holds at most
its byte budget. Checked in process and with a real redis-server (``INFO memory``).
"""

import random
import time
from urllib.parse import urlencode

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django.test import Client

from alliances.platform import cache as cache_backends
from alliances.platform import readkey, response_cache
from tests.platform.test_redis_outage import RedisServer, needs_redis

LARGEST = "/api/v1/memberships/"  # its CSV, every period with its citations: the largest answer (~370 KB)

SPELLINGS = 3000

MB = 1024 * 1024


def spellings(count, seed=0):
    """``count`` distinct ways (query, headers) to ask for the memberships CSV, as an attacker would vary them:
    ``page``/``page_size`` (which a CSV ignores), repeated and reordered parameters, the format asked by
    Accept instead of ``format``, and cookie names, Accept-Encoding, Accept-Language and Origin values."""
    rng = random.Random(seed)
    for i in range(count):
        kind = i % 6
        headers = {}
        if kind == 0:
            query = [("format", "csv"), ("page", str(i + 1))]
        elif kind == 1:
            query = [("page_size", str(1 + i % 500)), ("format", "csv"), ("page", "0" * (i % 3) + str(i + 1))]
        elif kind == 2:
            query = [("format", "json"), ("format", "csv")] * (1 + i % 3) + [("page", "last")]
        elif kind == 3:
            query = [("page", str(i))] if i % 2 else []
            headers["Accept"] = f"text/csv, application/x-spelling-{i}"
        elif kind == 4:
            query = [("format", "csv")]
            headers["Accept"] = f"application/json; q=0.{i % 10}, text/x-{i}"
        else:
            query = [("format", "csv"), ("page_size", str(i % 500 + 1)), ("page_size", "50")]
        headers["Cookie"] = f"spelling{i}={rng.getrandbits(32)}"
        headers["Accept-Encoding"] = f"gzip;q=0.{i % 10}, br, x-enc-{i}"
        if i % 3 == 0:
            headers["Accept-Language"] = f"en-{i};q=0.5"
        if i % 5 == 0:
            headers["Origin"] = f"https://site-{i}.example"
        yield urlencode(query), headers


def meta(headers):
    """Request headers as the Django test client takes them."""
    return {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def stored(alias=None):
    """The response cache's LocMemCache storage: key -> pickled value."""
    backend = caches[alias or settings.RESPONSE_CACHE_ALIAS]
    return backend._cache


@pytest.mark.django_db
def test_every_spelling_of_the_csv_has_the_key_the_view_caches_under(client):
    """The middleware (before the view, from the raw request) and the view (after negotiation) agree."""
    keys = set()
    for query, headers in spellings(60):
        caches[settings.RESPONSE_CACHE_ALIAS].clear()
        response = client.get(f"{LARGEST}?{query}", **meta(headers))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv"), query
        body_of(response)
        request = response.wsgi_request
        assert request.response_cache_missed == request.environ[response_cache.READ_KEY_ENV], query
        keys.add(request.environ[response_cache.READ_KEY_ENV])
    assert len(keys) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "one, other",
    [
        ("?format=csv", "?format=csv&as_of=2020-01-01"),  # a filter
        ("?format=csv", "?format=json"),  # the format
        ("?page=2&page_size=10", "?page=3&page_size=10"),  # a JSON page
        ("?page_size=10", "?page_size=11"),
        ("?status=member,observer", "?status=observer,member"),  # the statuses are listed in the order given
        ("?format=json", "?format=json&as_of=2020-01-01&as_of=2021-01-01"),
    ],
)
def test_different_answers_have_different_keys(one, other):
    request_of = Client().get
    keys = []
    for query in (one, other):
        response = request_of(LARGEST + query)
        assert response.status_code == 200
        body_of(response)
        keys.append(response.wsgi_request.environ[response_cache.READ_KEY_ENV])
    assert keys[0] != keys[1]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "one, other",
    [
        ("?page_size=10&page=02&as_of=2020-01-01", "?as_of=2019-01-01&as_of=2020-01-01&page=2&page_size=10"),
        ("?page_size=50", ""),
        ("?page=1", ""),
        ("?status=member&status=member,observer", "?status=member,observer"),
        ("?status=all&status=member", "?status=all"),
    ],
)
def test_spellings_of_one_json_page_are_one_entry_with_the_same_links(one, other):
    client = Client()
    first, second = client.get(LARGEST + one), client.get(LARGEST + other)
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert first.content == second.content and first["Link"] == second["Link"]
    assert first["ETag"] == second["ETag"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, status",
    [
        ("?format=csv&page=0", 400),
        ("?format=csv&page=abc", 400),
        ("?format=csv&page_size=501", 400),
        ("?format=csv&page=9999999999999", 404),
        ("?format=csv&bogus=1", 400),
        ("?format=xml", 404),
    ],
)
def test_what_the_key_leaves_out_never_turns_an_error_into_a_cached_answer(query, status, client):
    body_of(client.get(LARGEST + "?format=csv"))
    assert client.get(LARGEST + "?format=csv")["X-Cache"] == "hit"
    assert client.get(LARGEST + query).status_code == status


@pytest.mark.django_db
def test_an_accept_nothing_satisfies_is_still_a_406(client):
    assert client.get(LARGEST, HTTP_ACCEPT="text/csv").status_code == 200
    assert client.get(LARGEST, HTTP_ACCEPT="image/png").status_code == 406


@pytest.mark.django_db
def test_a_json_indent_is_another_answer(client):
    plain = client.get(LARGEST + "?page_size=2", HTTP_ACCEPT="application/json")
    indented = client.get(LARGEST + "?page_size=2", HTTP_ACCEPT="application/json; indent=4")
    assert indented["X-Cache"] == "miss" and b"\n    " in indented.content and b"\n" not in plain.content


@pytest.mark.django_db
def test_the_etag_of_a_download_does_not_change_at_midnight_unless_its_answer_does(client, monkeypatch):
    import datetime

    first = client.get(LARGEST + "?format=csv")
    body_of(first)
    members = "/api/v1/organizations/nato/members/?format=csv"
    assert client.get(members)["X-Cache"] == "miss"

    class Tomorrow(datetime.date):
        @classmethod
        def today(cls):
            return datetime.date(2999, 1, 1)

    monkeypatch.setattr(readkey.datetime, "date", Tomorrow)
    again = client.get(LARGEST + "?format=csv&page=7")  # every period, whatever the day: the same answer
    assert again["X-Cache"] == "hit" and again["ETag"] == first["ETag"]
    assert client.get(members)["X-Cache"] == "miss"  # today's members: another day, another answer


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
def test_thousands_of_spellings_of_the_largest_answer_keep_the_response_cache_small(client):
    """(a) In process: 3,000 spellings of the memberships CSV are one entry, far under the byte budget."""
    budget = settings.RESPONSE_CACHE_MAX_BYTES
    first = client.get(LARGEST + "?format=csv")
    answer = body_of(first)
    assert len(answer) > 300_000, "the largest answer"
    started = time.monotonic()
    for query, headers in spellings(SPELLINGS):
        response = client.get(f"{LARGEST}?{query}", **meta(headers))
        assert response.status_code == 200, (query, headers)
        assert response["X-Cache"] == "hit" and response.content == answer and response["ETag"] == first["ETag"]
    elapsed = time.monotonic() - started
    cache = caches[settings.RESPONSE_CACHE_ALIAS]
    held = sum(len(key) + len(value) for key, value in stored().items())
    print(f"\n{SPELLINGS} spellings in {elapsed:.1f} s: {len(stored())} entries, {held / MB:.2f} MB held")
    assert len(stored()) == 1
    assert held < 2 * len(answer) and cache.bytes <= budget


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


def used_memory(server):
    return redis.Redis(port=server.port).info("memory")["used_memory"]


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
@pytest.mark.django_db
def test_redis_stays_within_its_budget_under_thousands_of_spellings(redis_with_maxmemory, settings):
    """(c) A redis-server with maxmemory 32mb, allkeys-lru: thousands of spellings of the largest answer
    are one key, and Redis's memory grows by about one answer, far under its maxmemory."""
    settings.CACHES = redis_caches_as_deployed(redis_with_maxmemory.url)
    settings.THROTTLE_CACHE_ALIAS = "default"
    client = Client()
    before = used_memory(redis_with_maxmemory)
    first = client.get(LARGEST + "?format=csv")
    answer = body_of(first)
    count = SPELLINGS * 2 // 3
    started = time.monotonic()
    for query, headers in spellings(count, seed=3):
        response = client.get(f"{LARGEST}?{query}", **meta(headers))
        assert response.status_code == 200 and response["X-Cache"] == "hit" and response.content == answer
    after = used_memory(redis_with_maxmemory)
    keys = redis_with_maxmemory.keys()
    print(
        f"\nRedis used_memory {before / MB:.2f} MB -> {after / MB:.2f} MB, {keys} keys, after {count} spellings "
        f"in {time.monotonic() - started:.1f} s"
    )
    assert keys <= 2  # the answer (and the health probe's key, if any)
    assert after < REDIS_MAXMEMORY and after - before < 2 * len(answer)
    client_redis = redis.Redis(port=redis_with_maxmemory.port)
    [key] = [k for k in client_redis.keys() if b"resp3:" in k]
    assert 0 < client_redis.ttl(key) <= settings.RESPONSE_CACHE_SECONDS


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
