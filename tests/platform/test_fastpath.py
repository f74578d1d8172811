"""The WSGI fast path (alliances/platform/fastpath.py) replays only what the full stack would answer.

Each test wraps a fresh Django WSGI application in its own FastPath and counts
the requests that reach Django, so "served by the fast path" is observable.
"""

import datetime
import io
import wsgiref.util

import pytest
from django.contrib.auth.models import User
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connections

from alliances.models import Membership
from alliances.platform import fastpath

pytestmark = pytest.mark.django_db

URL = "/api/v1/countries/GB/memberships/?as_of=2020-06-01"


class Counting:
    def __init__(self):
        self.django = WSGIHandler()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.django(environ, start_response)


@pytest.fixture
def app():
    # As Django's test client does: a request must not close the test's transaction's connection.
    # And the connection is not retired for its age (CONN_MAX_AGE) in the middle of a test.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    connection = connections["default"]
    connection.ensure_connection()
    close_at, connection.close_at = connection.close_at, None
    inner = Counting()
    outer = fastpath.FastPath(inner)
    outer.inner = inner
    yield outer
    connection.close_at = close_at
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_a_connection_past_its_age_goes_to_the_full_stack(app):
    connection = connections["default"]
    connection.close_at = 0
    assert fastpath._version() is None
    connection.close_at = None


class Answer:
    def __init__(self, status, headers, body):
        self.status = int(status.split()[0])
        self.header_list = headers
        self.headers = {name.lower(): value for name, value in headers}
        self.body = body


def get(app, url=URL, **extra):
    path, _, query = url.partition("?")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "wsgi.input": io.BytesIO()}
    wsgiref.util.setup_testing_defaults(environ)
    environ.update(extra)
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return Answer(seen["status"], seen["headers"], body)


def test_repeat_is_replayed_with_every_header_of_the_full_answer(app):
    first = get(app)
    second = get(app)
    assert app.inner.calls == 1, "the repeat did not reach Django"
    assert second.status == 200 and second.body == first.body
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    without_x_cache = lambda a: [(n, v) for n, v in a.header_list if n != "X-Cache"]  # noqa: E731
    assert without_x_cache(second) == without_x_cache(first)
    for name in ("etag", "vary", "content-security-policy", "x-frame-options", "x-content-type-options"):
        assert name in second.headers, name


def test_a_write_is_seen_by_the_next_repeat(app):
    before = get(app)
    get(app)
    assert app.inner.calls == 1
    Membership.objects.filter(country__iso2="GB", organization__slug="eu").update(end_date=None)
    after = get(app)
    assert app.inner.calls == 2, "a commit moved the data version: the fast path must not answer"
    assert after.body != before.body and b'"EU"' in after.body


def test_if_none_match_is_replayed_as_304_and_a_stale_tag_is_not(app):
    etag = get(app).headers["etag"]
    assert get(app, HTTP_IF_NONE_MATCH=etag).status == 304
    calls = app.inner.calls
    again = get(app, HTTP_IF_NONE_MATCH=etag)
    assert again.status == 304 and app.inner.calls == calls
    assert again.headers["etag"] == etag
    Membership.objects.filter(country__iso2="GB", organization__slug="eu").update(end_date=None)
    assert get(app, HTTP_IF_NONE_MATCH=etag).status == 200


def test_the_throttle_still_applies_to_replayed_answers(app, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": None}}
    answers = [get(app) for _ in range(6)]
    assert [a.status for a in answers] == [200, 200, 200, 429, 429, 429]
    limited = answers[3]
    assert int(limited.headers["retry-after"]) > 0 and b"throttled" in limited.body
    assert "content-security-policy" in limited.headers
    # The first 429 came from the full stack; later ones with the same Retry-After are replayed.
    assert app.inner.calls in (2, 3), "a 429 for the same request and Retry-After is replayed"
    assert all(
        a.body == limited.body for a in answers[4:] if a.headers["retry-after"] == limited.headers["retry-after"]
    )


def test_the_throttle_counts_per_client_address(app, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": None}}
    assert [get(app, REMOTE_ADDR="10.0.0.1").status for _ in range(3)] == [200, 200, 429]
    assert get(app, REMOTE_ADDR="10.0.0.2").status == 200


def test_content_negotiation_is_part_of_the_key(app):
    as_json = get(app, HTTP_ACCEPT="application/json")
    as_csv = get(app, HTTP_ACCEPT="text/csv")
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert get(app, HTTP_ACCEPT="text/csv").body == as_csv.body
    assert get(app, HTTP_ACCEPT="application/json").body == as_json.body
    assert app.inner.calls == 2


def test_the_browsable_api_is_never_replayed(app):
    for _ in range(2):
        assert get(app, HTTP_ACCEPT="text/html").headers["content-type"].startswith("text/html")
    assert app.inner.calls == 2


def test_signed_in_clients_go_to_the_full_stack(app, client):
    get(app)
    client.force_login(User.objects.create_superuser("fp", password="pw-for-tests-only"))
    cookie = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
    assert get(app, HTTP_COOKIE=cookie).status == 200
    assert get(app, HTTP_COOKIE=cookie).status == 200
    assert app.inner.calls == 3
    import base64

    basic = "Basic " + base64.b64encode(b"fp:pw-for-tests-only").decode()
    get(app, HTTP_AUTHORIZATION=basic)
    assert app.inner.calls == 4


def test_hosts_and_schemes_are_checked_by_the_full_stack(app, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    get(app)
    assert get(app, HTTP_HOST="evil.example").status == 400
    assert get(app, HTTP_HOST="evil.example").status == 400
    assert app.inner.calls == 3
    # Another scheme is another key: HTTPS redirects and HSTS are decided by the full stack.
    secure = get(app, **{"wsgi.url_scheme": "https", "SERVER_PORT": "443"})
    assert secure.status == 200 and app.inner.calls == 4


def test_writes_and_other_paths_are_not_intercepted(app):
    get(app, URL.replace("/api/v1/", "/api/"))
    get(app, URL.replace("/api/v1/", "/api/"))
    assert app.inner.calls == 2
    get(app, REQUEST_METHOD="HEAD")
    assert app.inner.calls == 3


def test_a_new_day_is_a_new_key(app, monkeypatch):
    get(app, "/api/v1/organizations/nato/members/")

    class Tomorrow(datetime.date):
        @classmethod
        def today(cls):
            return datetime.date(2999, 1, 1)

    monkeypatch.setattr(fastpath.datetime, "date", Tomorrow)
    get(app, "/api/v1/organizations/nato/members/")
    assert app.inner.calls == 2


def test_a_broken_database_connection_goes_to_the_full_stack(app, monkeypatch):
    get(app)

    def broken(cursor):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(fastpath.locks, "read_version", broken)
    monkeypatch.setattr(fastpath, "_pg_version", lambda connection, pgconn: broken(None))
    assert fastpath._version() is None
    calls = app.inner.calls
    monkeypatch.undo()
    get(app)
    assert app.inner.calls == calls  # the connection still works: replayed again


def test_process_counters_keep_each_window_apart(monkeypatch):
    from alliances.platform import throttling

    counters = throttling.ProcessCounters(None, {})
    monkeypatch.setattr(throttling.time, "time", lambda: 1000.0)
    assert [counters.count("hour", 3600.0) for _ in range(2)] == [1, 2]
    assert counters.count("minute", 1020.0) == 1
    monkeypatch.setattr(throttling.time, "time", lambda: 1030.0)
    assert counters.count("minute", 1080.0) == 1, "a new minute starts from zero"
    assert counters.count("hour", 3600.0) == 3, "the hour's count survives the minute's turn"


def test_the_fast_version_read_is_the_data_version(app):  # app: the connection does not age out
    from alliances.store import audit

    assert fastpath._version() == audit.data_version()
    Membership.objects.filter(country__iso2="GB", organization__slug="eu").update(end_date=None)
    assert fastpath._version() == audit.data_version()


@pytest.fixture
def private_redis():
    """A redis-server of this test's own on a free port (never the shared one)."""
    import shutil
    import socket
    import subprocess
    import time

    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
    )
    try:
        import redis

        client = redis.Redis(port=port)
        for _ in range(50):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def test_the_redis_throttle_counts_in_one_shared_counter(private_redis, settings):
    from django.core.cache import caches

    from alliances.platform import throttling

    settings.CACHES = {
        **settings.CACHES,
        "redis-test": {"BACKEND": "alliances.platform.cache.RedisCache", "LOCATION": private_redis},
    }
    settings.THROTTLE_CACHE_ALIAS = "redis-test"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": None}}
    request = fastpath._ThrottleRequest({"REMOTE_ADDR": "10.1.1.1"})
    assert [throttling.AnonThrottle().allow_request(request, None) for _ in range(4)] == [True, True, True, False]
    cache = caches["redis-test"]
    key = cache.make_key(f"throttle:anon:10.1.1.1:{int(throttling.time.time() // 60)}")
    client = cache._cache.get_client(key)
    assert int(client.get(key)) == 4 and 0 < client.ttl(key) <= 61
    # Redis gone: the throttle falls back to the cache API (whose failure handling decides).
    client.shutdown(nosave=True)
    assert throttling._redis_count(cache, "throttle:anon:x", 61) is None


def test_public_reads_say_how_shared_caches_may_keep_them(app, client, settings):
    first, again = get(app), get(app)
    assert first.headers["cache-control"] == again.headers["cache-control"] == "public, no-cache"
    assert first.headers["etag"].startswith('"')  # strong: a hash of the body
    # nginx stores "no-cache" answers only when told they are already expired, and
    # 1.22 reads whichever of the two headers comes first (tests/platform/test_nginx_proxy.py).
    not_modified = get(app, HTTP_IF_NONE_MATCH=first.headers["etag"])
    assert not_modified.status == 304
    for answer in (first, again, not_modified):
        names = [name.lower() for name, _ in answer.header_list]
        assert answer.headers["x-accel-expires"] == "@1"
        assert names.index("x-accel-expires") < names.index("cache-control")
    settings.PUBLIC_CACHE_MAX_AGE, settings.PUBLIC_CACHE_STALE_WHILE_REVALIDATE = 5, 30
    with_max_age = get(app, URL + "&status=all")
    assert with_max_age.headers["cache-control"] == "public, max-age=5, stale-while-revalidate=30"
    assert "x-accel-expires" not in with_max_age.headers  # nginx follows max-age itself
    client.force_login(User.objects.create_superuser("cc", password="pw-for-tests-only"))
    private = client.get(URL)
    assert private["Cache-Control"] == "private, no-cache"
    assert not private.has_header("X-Accel-Expires")
