"""Redis fails soft: a real redis-server of our own (private port) is killed mid-test and restarted.

Reads keep answering from the database and a local cache, quickly; throttling
stays on (local counters); /healthz says "degraded"; when Redis is back it is
used again. In process (settings override) and through gunicorn. Also: the
database cache table exists whatever CACHES said at migrate time.
"""

import datetime
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tests.platform.test_operations import free_port, manage_steps

# One worker runs the module (pytest-xdist --dist loadgroup), so its migrated database is made once.
pytestmark = pytest.mark.xdist_group("redis-outage")

REPO = Path(__file__).resolve().parents[2]
READ = "/api/v1/organizations/nato/members/?as_of=2021-12-30"


def read(i):
    """A different read each ``i`` (a cache miss), a valid one: unknown query parameters are a 400."""
    return f"/api/v1/organizations/nato/members/?as_of={datetime.date(2021, 12, 30) - datetime.timedelta(days=i)}"


needs_redis = pytest.mark.skipif(
    shutil.which("redis-server") is None and not os.environ.get("CI"),
    reason="needs redis-server (apt-get install redis-server); CI must have it",
)


class RedisServer:
    """A throw-away redis-server on 127.0.0.1:<free port>, never the shared one on 6379."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *options):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.dir), *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return self
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self):
        self.process.kill()
        self.process.wait(5)

    def keys(self):
        return redis.Redis(port=self.port).dbsize()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    if server.process.poll() is None:
        server.kill()


def redis_caches(url, retry_seconds):
    options = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25, "RETRY_SECONDS": retry_seconds}
    backend = {"BACKEND": "alliances.platform.cache.RedisCache", "LOCATION": url, "OPTIONS": options}
    return {"default": backend, "responses": {**backend, "KEY_PREFIX": "responses"}}


# The same two caches in this process's memory: what a read costs with no Redis in the way.
LOCAL_ONLY_CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "baseline"},
    "responses": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "baseline-responses"},
}


def timed_get(client, url):
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


def hang_bound():
    """Seconds a read may take with Redis failing: one uncached read's cost on this machine now, plus one
    short Redis timeout and a margin. A read that waited on Redis (no timeout, or a timeout per call)
    takes far longer; a read on a loaded machine is slow with or without Redis, so the bound scales
    with a read measured here and now, against the local cache only, rather than being a fixed time."""
    from django.test import override_settings

    with override_settings(CACHES=LOCAL_ONLY_CACHES, THROTTLE_CACHE_ALIAS="default"):
        _, baseline = timed_get(APIClient(), read(900))
    return 1.0 + 2 * baseline


@needs_redis
@pytest.mark.django_db
def test_reads_and_throttling_survive_a_redis_outage_and_use_redis_again(redis_server, settings):
    settings.CACHES = redis_caches(redis_server.url, retry_seconds=1)
    settings.THROTTLE_CACHE_ALIAS = "default"  # as config/settings.py has it with REDIS_URL
    client = APIClient()

    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert client.get(READ)["X-Cache"] == "miss"
    assert client.get(READ)["X-Cache"] == "hit"
    assert redis_server.keys() > 0

    redis_server.kill()
    slowest = 0.0
    for i in range(5):
        response, elapsed = timed_get(client, read(i))
        assert response.status_code == 200 and response.json()["count"] == 30
        slowest = max(slowest, elapsed)
    assert slowest < 1.0, f"a read took {slowest:.2f}s with Redis down"
    assert client.get(read(0))["X-Cache"] == "hit"  # from the local cache
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "degraded", "database": "ok", "cache": "unavailable"}

    # Throttling stays on: counted in the local cache.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"}}
    statuses = [client.get(f"/api/v1/organizations/?page_size={i + 1}").status_code for i in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None}}

    redis_server.start()  # same port
    time.sleep(1.1)  # the breaker's retry period
    assert client.get(READ).status_code == 200
    assert redis_server.keys() > 0, "Redis is used again once it is back"
    assert client.get("/healthz").json()["status"] == "ok"


@needs_redis
@pytest.mark.django_db
def test_redis_never_up_costs_one_short_timeout_per_retry_period(settings):
    # Nothing listens on this port: every read still answers, and quickly.
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{free_port()}/0", retry_seconds=5)
    settings.THROTTLE_CACHE_ALIAS = "default"  # as config/settings.py has it with REDIS_URL
    client = APIClient()
    bound = hang_bound()
    timings = []
    for i in range(10):
        response, elapsed = timed_get(client, read(i))
        assert response.status_code == 200
        timings.append(elapsed)
    assert max(timings) < bound, (timings, bound)
    health = client.get("/healthz")
    assert (health.status_code, health.json()["status"], health.json()["cache"]) == (200, "degraded", "unavailable")


def assert_reads_answer_and_health_is_degraded(client):
    bound = hang_bound()
    for i in range(5):
        response, elapsed = timed_get(client, read(i))
        assert response.status_code == 200 and response.json()["count"] == 30
        assert elapsed < bound, (elapsed, bound)
    signed_in = APIClient()
    signed_in.force_authenticate(User.objects.get_or_create(username="reader")[0])
    assert signed_in.get(READ).status_code == 200
    health = client.get("/healthz")
    assert (health.status_code, health.json()) == (
        200,
        {"status": "degraded", "database": "ok", "cache": "unavailable"},
    )


@needs_redis
@pytest.mark.django_db
def test_a_redis_out_of_memory_degrades_like_an_outage(redis_server, tmp_path, settings):
    """At maxmemory, Redis's default policy refuses every write ("OOM command not allowed") but answers PING."""
    full = RedisServer(tmp_path / "full")
    full.dir.mkdir()
    full.start("--maxmemory", "4mb", "--maxmemory-policy", "noeviction")
    try:
        filler = redis.Redis(port=full.port)
        with pytest.raises(redis.exceptions.ResponseError, match="maxmemory"):
            for n in range(200):
                filler.set(f"filler:{n}", b"x" * 100_000)
        # The first refused value was 100 kB: a small write (the health check's probe) could still fit once
        # the filler's buffers are freed, and on a slow machine the breaker's 1 s has passed by the time
        # /healthz probes. Half the memory in use as the limit refuses every write, whatever its size.
        filler.config_set("maxmemory", filler.info("memory")["used_memory"] // 2)
        with pytest.raises(redis.exceptions.ResponseError, match="maxmemory"):
            filler.set("probe-sized", b"x")
        assert filler.ping()
        settings.CACHES = redis_caches(full.url, retry_seconds=1)
        settings.THROTTLE_CACHE_ALIAS = "default"
        assert_reads_answer_and_health_is_degraded(APIClient())
    finally:
        full.kill()


@needs_redis
@pytest.mark.django_db
def test_a_read_only_redis_after_a_failover_degrades_like_an_outage(redis_server, tmp_path, settings):
    """A replica answers reads and PING but refuses writes with READONLY."""
    replica = RedisServer(tmp_path / "replica")
    replica.dir.mkdir()
    replica.start("--replicaof", "127.0.0.1", str(redis_server.port))
    try:
        with pytest.raises(redis.exceptions.ReadOnlyError):
            redis.Redis(port=replica.port).set("probe", b"1")
        settings.CACHES = redis_caches(replica.url, retry_seconds=1)
        settings.THROTTLE_CACHE_ALIAS = "default"
        assert_reads_answer_and_health_is_degraded(APIClient())
    finally:
        replica.kill()


def http_get(url, timeout=10):
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read()), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), time.monotonic() - started


@pytest.fixture(scope="module")
def database_migrated_with_redis(tmp_path_factory):
    """A SQLite database migrated (and loaded) while REDIS_URL pointed at a running Redis."""
    tmp = tmp_path_factory.mktemp("redis-migrated")
    server = RedisServer(tmp).start()
    url = f"sqlite:///{tmp / 'db.sqlite3'}"
    try:
        env = {"REDIS_URL": server.url}
        manage_steps(["migrate", "-v0"], ["load_fixtures", "-v0"], database_url=url, extra_env=env)
    finally:
        server.kill()
    return url


@pytest.mark.slow
@needs_redis
def test_cache_table_exists_whatever_caches_said_at_migrate_time(database_migrated_with_redis):
    # Migrated with Redis as the cache; now run without REDIS_URL (the database cache).
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "c = Client()\n"
        f"print(c.get({READ!r}).status_code, c.get('/healthz').status_code)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ENV", "REDIS_URL")}
    env.update({"DATABASE_URL": database_migrated_with_redis, "DJANGO_SETTINGS_MODULE": "config.settings"})
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["200", "200"], result.stderr[-2000:]


@pytest.mark.slow
@needs_redis
def test_gunicorn_keeps_answering_through_a_redis_outage(database_migrated_with_redis, tmp_path):
    server = RedisServer(tmp_path).start()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_ENV",)},
        "DATABASE_URL": database_migrated_with_redis,
        "REDIS_URL": server.url,
        "REDIS_RETRY_SECONDS": "1",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESS_LOG": "/dev/null",
        "THROTTLE_ANON": "1000/minute",
    }
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "config.wsgi"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if http_get(f"{base}/healthz")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        status, body, _ = http_get(base + "/healthz")
        assert (status, body["status"], body["cache"]) == (200, "ok", "ok")
        assert http_get(base + READ)[0] == 200
        assert server.keys() > 0

        server.kill()
        for i in range(5):
            status, body, elapsed = http_get(f"{base}{read(i)}")
            assert status == 200 and body["count"] == 30, (status, body)
            assert elapsed < 1.5, f"read {i} took {elapsed:.2f}s with Redis down"
        status, body, elapsed = http_get(base + "/healthz")
        assert (status, body) == (200, {"status": "degraded", "database": "ok", "cache": "unavailable"})

        server.start()
        time.sleep(1.1)
        assert http_get(f"{base}{read(99)}")[0] == 200
        assert server.keys() > 0, "Redis is used again once it is back"
        assert http_get(base + "/healthz")[1]["status"] == "ok"
    finally:
        gunicorn.terminate()
        gunicorn.wait(10)
        if server.process.poll() is None:
            server.kill()
