"""nginx as a caching reverse proxy in front of gunicorn, with deploy/nginx/alliances.conf.template itself.

Two stacks, each a gunicorn worker behind its own nginx, over one copy of the
test database (so a write through either is seen by both):

- ``fresh``: the default ``Cache-Control: public, no-cache``. nginx stores public
  reads but revalidates every use with If-None-Match, so nothing it serves is
  older than the last commit;
- ``offload``: ``PUBLIC_CACHE_MAX_AGE=1``, ``PUBLIC_CACHE_STALE_WHILE_REVALIDATE=30``:
  nginx serves from its cache without asking the app, for as long as the app said.

What reached the app is read from gunicorn's access log, which records the
headers nginx passed on. Throughput is measured in `make bench`, not here.
"""

import base64
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, connections

from bench.nginx_proxy import Nginx, nginx_binary
from tests.api.test_api_read import ROMANIA_2021

REPO = Path(__file__).resolve().parents[2]
# The ports these servers take (the benchmark uses 18000-18999).
PORTS = range(19400, 19600)
# Served from nginx's cache for 1 s, then for 30 s more while a background request refreshes it.
OFFLOAD = {"PUBLIC_CACHE_MAX_AGE": "1", "PUBLIC_CACHE_STALE_WHILE_REVALIDATE": "30"}
CURATOR, PASSWORD = "nginx-curator", "Tq8-vlorn-Ex4mple-pw"
BARRIER = "/healthz"  # asked of gunicorn directly, never through nginx
# One access-log line per request that reached the app: what nginx sent it.
LOG_FIELDS = ("method", "path", "query", "status", "xff", "proto", "inm")
LOG_FORMAT = "\t".join(
    ["%(m)s", "%(U)s", "%(q)s", "%(s)s", "%({x-forwarded-for}i)s", "%({x-forwarded-proto}i)s", "%({if-none-match}i)s"]
)

pytestmark = [
    # One worker runs the module (pytest-xdist --dist loadgroup), so its servers start once.
    pytest.mark.xdist_group("nginx"),
    # Only for pytest-django to set the test database up (the module's copy is made from it).
    pytest.mark.django_db,
    pytest.mark.slow,
    pytest.mark.skipif(
        nginx_binary() is None and not os.environ.get("CI"),
        reason="needs nginx (apt-get install nginx); CI must have it, and then this test must run",
    ),
]


def free_port(taken=()):
    for port in random.sample(PORTS, len(PORTS)):
        if port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


def memberships_of_romania(day):
    """A distinct public read per test (its own cache entry)."""
    return f"/api/v1/countries/RO/memberships/?as_of={day}"


class Answer:
    def __init__(self, response):
        self.status = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        self.body = response.read()

    @property
    def cache_status(self):
        return self.headers.get("x-cache-status")

    def json(self):
        return json.loads(self.body)


def request(port, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        return Answer(conn.getresponse())
    finally:
        conn.close()


def basic(username=CURATOR, password=PASSWORD):
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


class AppServer:
    """gunicorn with gunicorn.conf.py, one sync worker, its access log in ``directory``."""

    def __init__(self, directory, database_url, ports_taken, **settings):
        self.port = free_port(ports_taken)
        self.log = Path(directory) / f"access-{self.port}.log"
        self.errors = Path(directory) / f"errors-{self.port}.log"
        env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ENV", "REDIS_URL", "DATABASE_URL")}
        env.update(
            DATABASE_URL=database_url,
            DJANGO_SETTINGS_MODULE="tests.app_settings",
            BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY="1",
            GUNICORN_ACCESS_LOG=str(self.log),
            TRUSTED_PROXY_COUNT="1",  # as the template's header says
            # Every request comes from one address; the limits are tested elsewhere.
            THROTTLE_ANON="100000/minute",
            THROTTLE_USER="100000/minute",
            **settings,
        )
        with self.errors.open("w") as errors:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "config.wsgi"]
                + ["--access-logformat", LOG_FORMAT],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.errors.read_text()[-3000:]}")
            try:
                if request(self.port, "GET", "/healthz").status == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer /healthz")

    def lines(self):
        if not self.log.exists():
            return []
        # gunicorn escapes the quotes of header values (an ETag is quoted).
        text = self.log.read_text().replace('\\"', '"')
        return [dict(zip(LOG_FIELDS, line.split("\t"), strict=True)) for line in text.splitlines()]

    def settled_lines(self):
        """Every request so far, once logged: gunicorn writes a line after sending the answer, and
        its one sync worker takes requests in turn, so once a request of ours straight to it
        is answered, every earlier one is in the log."""
        assert request(self.port, "GET", BARRIER).status == 200
        return [line for line in self.lines() if line["path"] != BARRIER]

    def mark(self):
        return len(self.settled_lines())

    def seen_since(self, mark, path=None):
        """The requests that reached the app since ``mark`` (only those to ``path`` if given)."""
        seen = self.settled_lines()[mark:]
        if path is not None:
            want_path, _, want_query = path.partition("?")
            seen = [line for line in seen if line["path"] == want_path and line["query"] == want_query]
        return seen

    def wait(self):
        self.process.wait(15)


class Stack:
    """nginx in front of one app server."""

    def __init__(self, app, proxy):
        self.app, self.proxy = app, proxy

    def stored(self):
        """How many answers nginx holds in its cache directory."""
        return sum(1 for path in (self.proxy.dir / "cache").rglob("*") if path.is_file())

    def get(self, path, headers=None):
        return request(self.proxy.port, "GET", path, headers)

    def send(self, method, path, headers=None, body=None):
        return request(self.proxy.port, method, path, headers, body)


def copy_of_test_database(directory):
    """A database other processes can open, holding what the test database holds now (the fixtures).

    SQLite's test database lives in this process's memory: its online backup writes
    it to a file. On PostgreSQL, CREATE DATABASE ... TEMPLATE copies it (no
    session may be connected to it meanwhile). Returns the URL and how to drop it.
    """
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        path = Path(directory) / "db.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return f"sqlite:///{path}", lambda: None
    name = f"{settings['NAME']}_nginx"
    connections.close_all()
    admin = psycopg.connect(
        dbname="postgres",
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    )

    def drop():
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{settings["NAME"]}"')
    credentials = quote(settings["USER"] or "", safe="")
    if settings["PASSWORD"]:
        credentials += ":" + quote(settings["PASSWORD"], safe="")
    host = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{name}", drop


@pytest.fixture(scope="module")
def stacks(django_db_setup, django_db_blocker, tmp_path_factory):
    directory = tmp_path_factory.mktemp("nginx")
    with django_db_blocker.unblock():
        # The curator exists only in the copy: created, copied, removed from the test database.
        call_command("create_curator", CURATOR, password=PASSWORD, verbosity=0, stdout=open(os.devnull, "w"))
        try:
            database_url, drop = copy_of_test_database(directory)
        finally:
            User.objects.filter(username=CURATOR).delete()
    apps, proxies, taken = {}, [], set()
    try:
        # Both app servers boot at once (Django's start-up is most of this fixture's time).
        for name, settings in (("fresh", {}), ("offload", OFFLOAD)):
            apps[name] = AppServer(directory, database_url, taken, **settings)
            taken.add(apps[name].port)
        result = {}
        for name, app in apps.items():
            app.wait_ready()
            port = free_port(taken)
            taken.add(port)
            proxies.append(Nginx(directory / f"nginx-{name}", port, f"127.0.0.1:{app.port}"))
            result[name] = Stack(app, proxies[-1].start())
        yield result
    finally:
        for proxy in proxies:
            proxy.stop()
        for app in apps.values():
            app.process.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown (SIGTERM waits for workers)
        for app in apps.values():
            app.wait()
        with django_db_blocker.unblock():
            drop()


@pytest.fixture
def fresh(stacks):
    return stacks["fresh"]


@pytest.fixture
def offload(stacks):
    return stacks["offload"]


def romania_nato_id(stack):
    answer = stack.get("/api/v1/memberships/?country=RO&organization=nato&status=member")
    assert answer.status == 200, answer.body
    [row] = answer.json()["results"]
    return row["id"]


def edit_own_status(stack, text):
    """A curator's write through the proxy (the period's own status, a public field): PATCH with If-Match,
    as the API requires."""
    url = f"/api/v1/memberships/{romania_nato_id(stack)}/"
    current = stack.get(url, basic())
    assert current.status == 200 and current.cache_status == "BYPASS", (current.status, current.body)
    headers = {**basic(), "If-Match": current.headers["etag"], "Content-Type": "application/json"}
    # A 428 here would mean nginx dropped If-Match (proxy_cache does by default).
    written = stack.send("PATCH", url, headers, json.dumps({"own_status": text}))
    assert written.status == 200, written.body
    assert written.json()["own_status"] == text
    return written


def test_a_public_read_is_stored_and_every_use_revalidated_by_etag(fresh):
    path = memberships_of_romania("2021-12-01")
    mark = fresh.app.mark()
    first = fresh.get(path)
    second = fresh.get(path)
    assert (first.status, first.cache_status) == (200, "MISS")
    assert (second.status, second.cache_status) == (200, "REVALIDATED")
    assert second.body == first.body and second.headers["etag"] == first.headers["etag"]
    assert first.headers["cache-control"] == "public, no-cache"
    assert "x-accel-expires" not in first.headers  # meant for nginx only
    # The second use reached the app as a conditional request, and the app said 304: no body sent.
    seen = fresh.app.seen_since(mark, path)
    assert [(line["status"], line["inm"]) for line in seen] == [("200", "-"), ("304", first.headers["etag"])]

    # A client's own If-None-Match: nginx revalidates, then answers 304 itself.
    mark = fresh.app.mark()
    conditional = fresh.get(path, {"If-None-Match": first.headers["etag"]})
    assert (conditional.status, conditional.cache_status, conditional.body) == (304, "REVALIDATED", b"")
    assert [line["status"] for line in fresh.app.seen_since(mark, path)] == ["304"]


def test_the_read_after_a_write_through_the_proxy_is_the_new_answer(fresh):
    path = memberships_of_romania("2021-12-02")
    before = fresh.get(path)
    assert fresh.get(path).cache_status == "REVALIDATED"
    note = f"nginx {uuid.uuid4().hex}"  # the own status holds 60 characters
    edit_own_status(fresh, note)

    after = fresh.get(path)
    assert (after.status, after.cache_status) == (200, "EXPIRED")  # revalidated: the app sent the new body
    assert note.encode() in after.body and note.encode() not in before.body
    assert after.headers["etag"] != before.headers["etag"]
    again = fresh.get(path)
    assert (again.cache_status, again.body, again.headers["etag"]) == ("REVALIDATED", after.body, after.headers["etag"])


@pytest.mark.parametrize(
    "credentials, day",
    [
        (basic(), "2021-11-10"),
        ({"Cookie": "sessionid=abc123"}, "2021-11-11"),
        ({"Cookie": "theme=dark; csrftoken=abc123"}, "2021-11-12"),
    ],
    ids=["authorization", "session-cookie", "csrf-cookie"],
)
def test_signed_in_requests_are_never_answered_from_or_stored_in_the_cache(fresh, credentials, day):
    path = memberships_of_romania(day)
    mark, stored = fresh.app.mark(), fresh.stored()
    signed_in = [fresh.get(path, credentials) for _ in range(2)]
    assert [(a.status, a.cache_status) for a in signed_in] == [(200, "BYPASS"), (200, "BYPASS")]
    assert [line["status"] for line in fresh.app.seen_since(mark, path)] == ["200", "200"]
    if "Authorization" in credentials:
        assert signed_in[0].headers["cache-control"] == "private, no-cache"
    # Nothing was stored (a cookie that signs no one in gets the public answer, which the
    # app's Vary alone would keep apart; nginx does not even store it).
    assert fresh.stored() == stored

    # The first anonymous read is a miss, and is stored; a signed-in read still goes to the
    # app, and the reader's own If-None-Match with it.
    assert fresh.get(path).cache_status == "MISS"
    assert fresh.stored() == stored + 1
    etag = fresh.get(path).headers["etag"]
    mark = fresh.app.mark()
    conditional = fresh.get(path, {**credentials, "If-None-Match": etag})
    assert (conditional.status, conditional.cache_status) == (304, "BYPASS")
    assert [(line["status"], line["inm"]) for line in fresh.app.seen_since(mark, path)] == [("304", etag)]


def test_writes_are_never_answered_from_or_stored_in_the_cache(fresh):
    path = memberships_of_romania("2021-12-04")
    assert fresh.get(path).status == 200  # the read is stored
    mark = fresh.app.mark()
    body = json.dumps({"note": "x"})
    writes = [fresh.send("POST", path, {"Content-Type": "application/json"}, body) for _ in range(2)]
    # The app's own refusal, each time (anonymous), in its JSON error format; never the stored read.
    assert [w.status for w in writes] == [writes[0].status] * 2 and writes[0].status in (403, 405)
    assert all("detail" in w.json() and w.cache_status is None for w in writes)
    assert [line["method"] for line in fresh.app.seen_since(mark, path)] == ["POST", "POST"]
    assert fresh.get(path).cache_status == "REVALIDATED"  # the stored read is untouched


def test_representations_of_one_url_never_mix(fresh):
    path = memberships_of_romania("2021-12-05")
    kinds = {"text/csv": "text/csv; charset=utf-8", "application/json": "application/json"}
    for round_ in ("MISS", "REVALIDATED"):
        for accept, content_type in kinds.items():
            answer = fresh.get(path, {"Accept": accept})
            assert (answer.cache_status, answer.headers["content-type"]) == (round_, content_type)
            json_count = len(ROMANIA_2021)  # Romania's groups in December 2021
            assert answer.body.startswith(b"id,") if accept == "text/csv" else answer.json()["count"] == json_count
    # nginx stores a variant per value of a header the app's Vary names (here Cookie).
    vary = fresh.get(path).headers["vary"]
    assert "Cookie" in vary
    assert fresh.get(path, {"Cookie": "theme=dark"}).cache_status == "MISS"
    assert fresh.get(path, {"Cookie": "theme=dark"}).cache_status == "REVALIDATED"


def test_static_files_are_served_from_the_cache_even_to_curators(fresh):
    path = "/static/admin/css/base.css"
    mark = fresh.app.mark()
    answers = [fresh.get(path, {"Cookie": "sessionid=abc123"}) for _ in range(2)]
    assert [(a.status, a.cache_status) for a in answers] == [(200, "MISS"), (200, "HIT")]
    assert answers[1].body == answers[0].body and b"body" in answers[0].body
    assert len(fresh.app.seen_since(mark, path)) == 1


def test_the_app_sees_the_client_and_scheme_nginx_saw(fresh):
    mark = fresh.app.mark()
    spoofed = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    answer = fresh.get("/api/v1/memberships/?page_size=1", spoofed)
    assert answer.status == 200
    [line] = fresh.app.seen_since(mark, "/api/v1/memberships/?page_size=1")
    # TRUSTED_PROXY_COUNT=1 takes the last address: the one nginx saw, not the client's claim.
    assert line["xff"] == "203.0.113.9, 127.0.0.1"
    assert line["proto"] == "http"  # overwritten: a client cannot claim HTTPS
    # The Host header keeps the port, so the app's links point back through nginx.
    assert f"http://127.0.0.1:{fresh.proxy.port}/api/v1/memberships/?page=2" in answer.headers["link"]


def test_a_body_over_the_limit_is_refused_by_nginx_in_json(fresh):
    mark = fresh.app.mark()
    answer = fresh.send("POST", "/api/v1/sources/", {"Content-Type": "application/json"}, b"x" * (4 * 1024 * 1024))
    assert answer.status == 413
    assert answer.json() == {"detail": "The request body is too large."}
    assert fresh.app.seen_since(mark) == []


def test_with_max_age_public_reads_are_served_without_the_app_for_that_long(offload):
    path = memberships_of_romania("2021-12-06")
    mark = offload.app.mark()
    first, second = offload.get(path), offload.get(path)
    assert (first.cache_status, second.cache_status) == ("MISS", "HIT")
    assert first.headers["cache-control"] == "public, max-age=1, stale-while-revalidate=30"
    assert second.body == first.body
    assert len(offload.app.seen_since(mark, path)) == 1  # the hit never reached the app

    # A client that says which data version it has seen (read-your-writes with read replicas)
    # is never given a stored answer, which may be older.
    assert offload.get(path, {"Data-Version": "999999.x"}).cache_status == "MISS"

    # The trade-off PUBLIC_CACHE_MAX_AGE buys: after a write, the stored answer is served until
    # it expires (max-age), then once more while one background request fetches the new one.
    note = f"max-age {uuid.uuid4().hex}"
    edit_own_status(offload, note)
    written = time.monotonic()
    mark = offload.app.mark()
    served = []
    while time.monotonic() - written < 6:
        answer = offload.get(path)
        served.append((answer.cache_status, note.encode() in answer.body, time.monotonic() - written))
        if served[-1][1]:
            break
        time.sleep(0.1)
    assert served[-1][1], f"the new answer never came: {served}"
    assert served[0][:2] in {("HIT", False), ("STALE", False)}
    assert all(status in ("HIT", "STALE", "UPDATING") for status, new, _ in served[:-1])
    assert any(status == "STALE" for status, _, _ in served), served  # a background refresh happened
    # max-age 1 s counts whole seconds in nginx: stored at t, fresh until t+1 inclusive.
    assert served[-1][2] < 3.5, served
    # The app saw only the background refreshes, never a client's request.
    assert all(line["method"] == "GET" for line in offload.app.seen_since(mark, path))
    assert len(offload.app.seen_since(mark, path)) <= sum(status == "STALE" for status, _, _ in served)


def test_an_app_that_is_down_is_a_json_503(tmp_path):
    # Nothing listens upstream: nginx's own answer, in the API's error format, with a retry hint.
    nobody = free_port()
    proxy = Nginx(tmp_path / "nginx-down", free_port({nobody}), f"127.0.0.1:{nobody}").start()
    try:
        answer = request(proxy.port, "GET", memberships_of_romania("2021-12-07"))
    finally:
        proxy.stop()
    assert (answer.status, answer.headers["content-type"], answer.headers["retry-after"]) == (
        503,
        "application/json",
        "5",
    )
    assert answer.json() == {"detail": "The service is unavailable; try again in a few seconds."}
