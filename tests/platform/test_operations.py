"""Production settings, round trips between engines, and behaviour when the database is away.

These start real processes (manage.py, gunicorn) with their own environment,
so they exercise the settings and the WSGI stack as deployed.
"""

import json
import os
import runpy
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.integrity_support import needs_postgresql
from tests.platform.tools.forward import pipe

REPO = Path(__file__).resolve().parents[2]
PG_BASE = os.environ.get("PG_URL_BASE", "postgres://postgres@127.0.0.1:5432")
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "k" * 30 + "-production-test-key-with-enough-entropy-" + "z9" * 10,
    "ALLOWED_HOSTS": "alliances.example.org",
    "DATABASE_URL": "sqlite:///:memory:",
}


def manage(*args, env=None, check=True, timeout=120):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ENV", "SECRET_KEY", "DATABASE_URL")}
    full_env.update(env or {})
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=full_env, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


STEPS_SCRIPT = """
import json, sys, django
django.setup()
from django.core.management import call_command
for args in json.loads(sys.argv[1]):
    call_command(*args)
"""


def manage_steps(*commands, database_url, extra_env=None):
    """Run several manage.py commands, in order, in one process against ``database_url``."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ENV", "SECRET_KEY", "DATABASE_URL")}
    full_env.update({"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings", **(extra_env or {})})
    result = subprocess.run(
        [sys.executable, "-c", STEPS_SCRIPT, json.dumps(commands)],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise AssertionError(f"{commands} failed:\n{result.stdout}\n{result.stderr}")
    return result


def test_deploy_check_is_clean_in_production():
    result = manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION_ENV)
    assert "no issues" in result.stdout


def test_production_without_secret_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = manage("check", env=env, check=False)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def psql(sql):
    subprocess.run(["psql", f"{PG_BASE}/postgres", "-qc", sql], check=True, capture_output=True)


def postgres_available():
    try:
        psql("SELECT 1")
        return True
    except (OSError, subprocess.CalledProcessError):
        return False


SNAPSHOT_URLS = [
    "/api/v1/countries/RO/memberships/?as_of=2021-12-30",
    "/api/v1/countries/GB/memberships/?history=true&status=all",
    "/api/v1/organizations/nato/members/?as_of=2021-12-30",
    "/api/v1/organizations/eu/members/?as_of=2020-01-31",
    "/api/v1/organizations/osce/members/",
    "/api/v1/organizations/b9/members/",
    "/api/v1/organizations/eu/changes/?from=2019-01-01&to=2021-01-01",
    "/api/v1/countries/?member_of=eu&not_member_of=nato&as_of=2021-12-30",
    "/api/v1/organizations/",
    "/api/v1/sources/?page_size=100",
]

SNAPSHOT_SCRIPT = """
import json, sys, django
django.setup()
from django.test import Client
client = Client()
def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value
print(json.dumps({url: strip(client.get(url).json()) for url in json.loads(sys.argv[1])}, sort_keys=True))
"""


def snapshot(database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DJANGO_ENV", None)
    result = subprocess.run(
        [sys.executable, "-c", SNAPSHOT_SCRIPT, json.dumps(SNAPSHOT_URLS)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(result.stdout)


@pytest.mark.slow
@needs_postgresql
def test_dumpdata_round_trip_between_engines_gives_the_same_answers(tmp_path):
    sqlite_a = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    sqlite_b = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    pg_name = f"alliances_roundtrip_{os.getpid()}"
    pg = f"{PG_BASE}/{pg_name}"
    dump_1, dump_2 = tmp_path / "from-sqlite.json", tmp_path / "from-postgres.json"
    exclude = ["--exclude", "alliances.auditevent", "--exclude", "alliances.auditcontext"]
    psql(f"DROP DATABASE IF EXISTS {pg_name}")
    psql(f"CREATE DATABASE {pg_name}")
    dump = ["dumpdata", "alliances", *exclude, "--natural-foreign", "--natural-primary", "-o"]
    try:
        # One process per database (starting Django is most of a command's cost here). Each dump is read
        # back by load_fixtures, which takes dumpdata's natural-key output and checks every rule on the way
        # in; Django's loaddata reads the same files a row at a time (a minute on PostgreSQL), and
        # tests/domain/test_fixtures.py covers it.
        manage_steps(["migrate", "-v0"], ["load_fixtures", "-v0"], [*dump, str(dump_1)], database_url=sqlite_a)
        # SQLite -> PostgreSQL
        manage_steps(["migrate", "-v0"], ["load_fixtures", "-v0", str(dump_1)], [*dump, str(dump_2)], database_url=pg)
        # PostgreSQL -> SQLite
        manage_steps(["migrate", "-v0"], ["load_fixtures", "-v0", str(dump_2)], database_url=sqlite_b)

        original = snapshot(sqlite_a)
        assert original["/api/v1/organizations/nato/members/?as_of=2021-12-30"]["count"] == 30
        assert snapshot(pg) == original
        assert snapshot(sqlite_b) == original
    finally:
        psql(f"DROP DATABASE IF EXISTS {pg_name}")


class Switchable(threading.Thread):
    """A TCP proxy to PostgreSQL that can be cut and restored, to play an outage."""

    def __init__(self, target_port=5432):
        super().__init__(daemon=True)
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(50)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.stopped = False
        self.connections = []

    def run(self):
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pipe, args=(a, b), daemon=True).start()

    def cut(self):
        self.up = False
        for s in self.connections:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self.connections = []

    def restore(self):
        self.up = True

    def stop(self):
        self.cut()
        self.stopped = True


def get(url, timeout=10):
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read()), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), time.monotonic() - started


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@needs_postgresql
def test_database_outage_gives_503_then_recovers():
    pg_name = f"alliances_fault_{os.getpid()}"
    psql(f"DROP DATABASE IF EXISTS {pg_name}")
    psql(f"CREATE DATABASE {pg_name}")
    proxy = Switchable()
    proxy.start()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_ENV",)},
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{proxy.port}/{pg_name}",
        "DB_CONNECT_TIMEOUT": "2",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESS_LOG": "/dev/null",
    }
    server = None
    try:
        manage("migrate", "-v0", env={"DATABASE_URL": env["DATABASE_URL"]})
        manage("load_fixtures", "-v0", env={"DATABASE_URL": env["DATABASE_URL"]})
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "config.wsgi"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if get(f"{base}/healthz")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        assert get(f"{base}/api/v1/organizations/nato/")[0] == 200

        proxy.cut()
        for url in ("/healthz", "/api/v1/organizations/nato/", "/api/v1/countries/RO/memberships/"):
            status, body, elapsed = get(base + url)
            assert status == 503, (url, status, body)
            assert body["database"] == "unavailable"
            assert elapsed < 5, f"{url} took {elapsed:.1f}s"

        proxy.restore()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and get(f"{base}/healthz")[0] != 200:
            time.sleep(0.2)
        status, body, _ = get(f"{base}/api/v1/organizations/nato/members/")
        assert status == 200 and body["count"] == 32
    finally:
        if server:
            server.terminate()
            server.wait(10)
        proxy.stop()
        time.sleep(0.2)
        psql(f"DROP DATABASE IF EXISTS {pg_name}")


@pytest.mark.parametrize(
    ("env", "starts"),
    [
        ({"BIND": "0.0.0.0:8123"}, False),
        ({"BIND": "[::]:8123"}, False),
        ({"BIND": "0.0.0.0:8123", "TRUSTED_PROXY_COUNT": "1"}, True),
        ({"BIND": "0.0.0.0:8123", "ALLOW_DIRECT_BIND": "1"}, True),
        ({"BIND": "127.0.0.1:8123"}, True),
        ({}, True),
    ],
)
def test_gunicorn_refuses_to_serve_beyond_this_machine_with_no_proxy_in_front(env, starts, monkeypatch):
    """Slow clients hold sync workers; the shipped nginx reads them first, so it must be in front."""
    for name in ("BIND", "TRUSTED_PROXY_COUNT", "ALLOW_DIRECT_BIND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if starts:
        runpy.run_path(os.fspath(REPO / "gunicorn.conf.py"))
    else:
        with pytest.raises(SystemExit, match="no proxy in front"):
            runpy.run_path(os.fspath(REPO / "gunicorn.conf.py"))
