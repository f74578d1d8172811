"""Every cache of answers stays within a byte budget, however many ways a client spells one request.

The caches were bounded by their number of entries, and the key held parts that
do not change the answer (``page=`` on a CSV that ignores it, the raw Accept
header, and for the fast path any cookie or Accept-Encoding): 4,500 spellings
of the 368 KB memberships CSV took three workers from 325 MB to 2,985 MB, and
Redis from 0.9 MB to 565 MB. Now every layer keys on the normalised read
(alliances/platform/readkey.py) and holds at most its byte budget. Checked in
process (the response cache and the fast path), through a real gunicorn worker
(its RSS) and with a real redis-server (``INFO memory``).
"""

import http.client
import io
import os
import random
import subprocess
import sys
import time
import wsgiref.util
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django.test import Client

from alliances.platform import cache as cache_backends
from alliances.platform import fastpath, readkey, response_cache
from tests.platform.test_fastpath import app  # noqa: F401 (the fixture: a FastPath around Django)
from tests.platform.test_nginx_proxy import copy_of_test_database
from tests.platform.test_operations import free_port
from tests.platform.test_redis_outage import RedisServer, needs_redis

REPO = Path(__file__).resolve().parents[2]
LARGEST = "/api/v1/memberships/"  # its CSV, every period with its citations: the largest answer (~1.3 MB)
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


# --- One key per answer ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_spelling_of_the_csv_has_the_key_the_view_caches_under(client):
    """The middleware (before the view, from the raw request) and the view (after negotiation) agree."""
    keys = set()
    for query, headers in spellings(12):  # each kind of spelling twice (each one a miss of a 1.3 MB CSV)
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


# --- The response cache: bounded in bytes --------------------------------------------------------------


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
            "OPTIONS": {"MAX_BYTES": 3 * MB, "MAX_ENTRY_BYTES": 2 * MB},
        },
    }
    client = Client()
    sizes = []
    for year in range(1996, 2025, 2):
        response = client.get(f"{LARGEST}?format=csv&as_of={year}-06-01")
        sizes.append(len(body_of(response)))
        assert caches["responses"].bytes <= 3 * MB
    assert sum(sizes) > 3 * 3 * MB, "more answers than the budget holds"
    assert client.get(f"{LARGEST}?format=csv&as_of=2024-06-01")["X-Cache"] == "hit"  # the most recent kept
    assert client.get(f"{LARGEST}?format=csv&as_of=1996-06-01")["X-Cache"] == "miss"  # the oldest evicted


@pytest.mark.django_db
def test_an_answer_past_the_per_entry_cap_is_streamed_again_and_still_gives_304s(settings, client):
    settings.RESPONSE_CACHE_MAX_ENTRY_BYTES = 100_000
    first = client.get(LARGEST + "?format=csv")
    body = body_of(first)
    assert len(body) > 100_000 and len(stored()) == 0
    again = client.get(LARGEST + "?format=csv")
    assert again["X-Cache"] == "miss" and body_of(again) == body and again["ETag"] == first["ETag"]
    assert client.get(LARGEST + "?format=csv", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


# --- The fast path: one entry per answer, bounded in bytes ---------------------------------------------


def wsgi_get(application, url, headers=()):
    path, _, query = url.partition("?")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "wsgi.input": io.BytesIO()}
    wsgiref.util.setup_testing_defaults(environ)
    environ.update(meta(dict(headers)))
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(response_headers)

    result = application(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return seen["status"], seen["headers"], body


@pytest.mark.django_db
def test_the_fast_path_keeps_one_entry_for_every_spelling(app):  # noqa: F811
    status, headers, answer = wsgi_get(app, LARGEST + "?format=csv")
    assert status == "200 OK"
    for query, extra in spellings(600, seed=1):
        status, headers, body = wsgi_get(app, f"{LARGEST}?{query}", extra)
        assert status == "200 OK" and body == answer, (query, extra)
    # An Origin adds CORS headers: one entry with them, one without; nothing else adds any.
    assert len(app.store) == 2 and app.inner.calls == 2
    assert app.store.bytes <= 2 * len(answer) + 20_000


@pytest.mark.django_db
def test_the_fast_path_replays_the_304_of_a_matching_tag_and_the_200_of_any_other(app):  # noqa: F811
    status, headers, _ = wsgi_get(app, LARGEST + "?format=csv")
    for n in range(50):
        assert wsgi_get(app, LARGEST + "?format=csv", {"If-None-Match": f'"other-{n}"'})[0] == "200 OK"
        assert wsgi_get(app, LARGEST + "?format=csv", {"If-None-Match": headers["ETag"]})[0] == "304 Not Modified"
    assert len(app.store) == 2 and app.inner.calls == 2


@pytest.mark.django_db
def test_computing_the_key_leaves_the_request_as_the_server_gave_it(app):  # noqa: F811
    """A WSGI server gives PATH_INFO as the Latin-1 text of the raw bytes, which Django decodes (UTF-8)
    once; building a request to compute the key must not leave it decoded for the full stack."""

    def as_served(path):
        return path.encode().decode("latin-1")

    answer = wsgi_get(app, as_served("/api/v1/countries/Côte d'Ivoire/memberships/"))
    assert answer[0] == "200 OK" and "Côte d'Ivoire".encode() in answer[2]
    missing = wsgi_get(app, as_served("/api/v1/countries/\U00072c88/"))
    assert missing[0] == "404 Not Found" and "\U00072c88".encode() in missing[2]


def test_the_fast_path_store_evicts_the_least_recently_used_past_its_budget():
    store = fastpath.Store()
    generation = ("1.a", "2025-01-01")
    for n in range(100):
        store.put(
            generation, ("key", n), fastpath.entry_of("200 OK", [("Content-Type", "text/csv")], b"x" * 50_000), MB
        )
        store.get(generation, ("key", 0))  # used: kept
        assert store.bytes <= MB
    assert store.get(generation, ("key", 0)) is not None and store.get(generation, ("key", 1)) is None
    assert store.bytes == sum(entry.size for entries in store.generations.values() for entry in entries.values())
    store.put(generation, "too big", fastpath.entry_of("200 OK", [], b"x" * (MB + 1)), MB)
    assert store.get(generation, "too big") is None
    for version in range(10):  # a new data version each time: only the last MAX_GENERATIONS are kept
        store.put((f"{version}.b", "2025-01-01"), "k", fastpath.entry_of("200 OK", [], b"y"), MB)
    assert len(store.generations) == fastpath.MAX_GENERATIONS
    assert store.bytes == sum(entry.size for entries in store.generations.values() for entry in entries.values())


@pytest.mark.django_db
def test_a_large_answer_goes_through_the_fast_path_unstored(app, settings):  # noqa: F811
    settings.FASTPATH_MAX_ENTRY_BYTES = 100_000
    _, headers, body = wsgi_get(app, LARGEST + "?format=csv")
    assert len(body) > 100_000 and len(app.store) == 0
    assert wsgi_get(app, LARGEST + "?format=csv")[2] == body
    assert wsgi_get(app, LARGEST + "?format=csv", {"If-None-Match": headers["ETag"]})[0] == "304 Not Modified"


# --- A real gunicorn worker: its memory ------------------------------------------------------------------


def children(pid):
    """The processes ``pid`` started (gunicorn's workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def rss(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def raw_get(port, url, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", url, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


# Each cache's budget in the worker under test: small, so a leak past them shows quickly.
WORKER_BUDGETS = {"RESPONSE_CACHE_MAX_BYTES": 8 * MB, "FASTPATH_MAX_BYTES": 8 * MB}


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """One gunicorn sync worker (config.wsgi: the fast path included) over a copy of the test database."""
    directory = tmp_path_factory.mktemp("budget")
    with django_db_blocker.unblock():
        database_url, drop = copy_of_test_database(directory)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ENV", "REDIS_URL", "DATABASE_URL")}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="tests.app_settings",
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        GUNICORN_ACCESS_LOG="/dev/null",
        GUNICORN_MAX_REQUESTS="100000",  # the same worker throughout
        THROTTLE_ANON="10000000/minute",
        **{name: str(value) for name, value in WORKER_BUDGETS.items()},
    )
    errors = directory / "errors.log"
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "config.wsgi"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if raw_get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{errors.read_text()[-3000:]}")
            time.sleep(0.1)
        [worker_pid] = children(process.pid)
        yield port, worker_pid
    finally:
        process.terminate()
        process.wait(15)
        with django_db_blocker.unblock():
            drop()


@pytest.mark.slow
@pytest.mark.xdist_group("cache-budget")
@pytest.mark.django_db
def test_a_gunicorn_worker_stays_within_its_budgets_under_thousands_of_spellings(worker):
    """(b) RSS after thousands of spellings of the largest answer <= RSS after the first + the caches' budgets."""
    port, pid = worker
    status, headers, answer = raw_get(port, LARGEST + "?format=csv")
    assert status == 200 and len(answer) > 300_000
    for _ in range(20):  # warm: the fast path's and the response cache's entry, the memo, the allocator
        raw_get(port, LARGEST + "?format=csv")
    before = rss(pid)
    budget = sum(WORKER_BUDGETS.values())
    started, sent = time.monotonic(), 0
    for query, extra in spellings(SPELLINGS, seed=2):
        if time.monotonic() - started > 12:
            break
        status, response_headers, body = raw_get(port, f"{LARGEST}?{query}", extra)
        assert status == 200 and len(body) == len(answer), (query, extra, status)
        sent += 1
    after = rss(pid)
    print(
        f"\nworker RSS {before / MB:.1f} MB -> {after / MB:.1f} MB after {sent} spellings "
        f"in {time.monotonic() - started:.1f} s (budget: +{budget / MB:.0f} MB)"
    )
    assert sent >= 500, "too few requests to say anything"  # unfixed, 268 requests added 192 MB
    assert after - before <= budget
    assert response_headers.get("X-Cache") == "hit"


# --- A real Redis: its memory and its keys ---------------------------------------------------------------


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
