"""A database that stops answering (packets dropped, not refused) gives a 503 in bounded time.

A refused connection is easy: the kernel says so at once. A peer that silently
drops packets sends no RST, so without timeouts of our own a worker waits until
gunicorn kills it. Here gunicorn runs in one network namespace and reaches
PostgreSQL through a forwarder in another; taking the link between them down
drops every packet, exactly like a dead network path. Both namespaces, their link
and their addresses are made by this test and removed after it.
"""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integrity_support import needs_postgresql
from tests.platform.test_operations import manage, postgres_available, psql

REPO = Path(__file__).resolve().parents[2]
PG_SOCKET = "/var/run/postgresql/.s.PGSQL.5432"
CONNECT_TIMEOUT, STATEMENT_MS = 2, 2000


def _missing():
    if not postgres_available():
        return "PostgreSQL is not reachable"
    if os.geteuid() != 0 or not shutil.which("ip"):
        return "needs root and iproute2 to make network namespaces"
    if not os.path.exists(PG_SOCKET):
        return f"PostgreSQL's Unix socket {PG_SOCKET} is missing"
    return None


@pytest.fixture
def requirements():
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the packet-drop test: {reason}.")
        pytest.skip(reason)


def ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True)


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def get(sock_path, url, timeout=40):
    started = time.monotonic()
    connection = UnixHTTPConnection(sock_path, timeout)
    connection.request("GET", url, headers={"Host": "localhost"})
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()
    return response.status, body, time.monotonic() - started


@pytest.mark.slow
@needs_postgresql
def test_dropped_packets_give_503_within_the_timeouts_then_recover(requirements, tmp_path):
    tag = f"{os.getpid() % 100000}"
    app_ns, db_ns = f"alliances-app-{tag}", f"alliances-db-{tag}"
    app_if, db_if = f"alla{tag}", f"alld{tag}"
    net = f"10.213.{os.getpid() % 250}"
    pg_name = f"alliances_drop_{tag}"
    sock_path = str(tmp_path / "gunicorn.sock")
    processes = []
    psql(f"DROP DATABASE IF EXISTS {pg_name}")
    psql(f"CREATE DATABASE {pg_name}")
    try:
        manage("migrate", "-v0", env={"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{pg_name}"})
        manage("load_fixtures", "-v0", env={"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{pg_name}"})
        ip("netns", "add", app_ns)
        ip("netns", "add", db_ns)
        ip("link", "add", app_if, "netns", app_ns, "type", "veth", "peer", "name", db_if, "netns", db_ns)
        ip("-n", app_ns, "addr", "add", f"{net}.1/30", "dev", app_if)
        ip("-n", db_ns, "addr", "add", f"{net}.2/30", "dev", db_if)
        for ns, dev in ((app_ns, app_if), (db_ns, db_if), (app_ns, "lo"), (db_ns, "lo")):
            ip("-n", ns, "link", "set", dev, "up")

        forwarder = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                db_ns,
                sys.executable,
                str(REPO / "tests/platform/tools/forward.py"),
                f"{net}.2",
                "6543",
                f"unix:{PG_SOCKET}",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        processes.append(forwarder)
        assert forwarder.stdout.readline().strip() == "ready"

        env = {
            **{k: v for k, v in os.environ.items() if k not in ("DJANGO_ENV", "REDIS_URL")},
            "DATABASE_URL": f"postgres://postgres@{net}.2:6543/{pg_name}",
            "DB_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
            "DB_STATEMENT_TIMEOUT_MS": str(STATEMENT_MS),
            "BIND": f"unix:{sock_path}",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_TIMEOUT": "60",
            "GUNICORN_ACCESS_LOG": "/dev/null",
        }
        server = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                app_ns,
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                "gunicorn.conf.py",
                "config.wsgi",
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(server)
        for _ in range(200):
            if os.path.exists(sock_path):
                break
            time.sleep(0.05)
        status, body, _ = get(sock_path, "/api/v1/organizations/nato/members/?as_of=2021-12-30")
        assert (status, body["count"]) == (200, 30)

        ip("-n", db_ns, "link", "set", db_if, "down")  # from now on every packet is dropped
        budget = CONNECT_TIMEOUT + STATEMENT_MS / 1000 + 1.5
        for url in ("/api/v1/organizations/nato/members/?as_of=2001-01-01", "/api/v1/countries/RO/", "/healthz"):
            status, body, elapsed = get(sock_path, url)
            assert status == 503, (url, status, body)
            assert body["database"] == "unavailable"
            assert elapsed < budget, f"{url} took {elapsed:.1f}s, more than {budget:.1f}s"
        assert server.poll() is None  # the worker answered; nothing hung until gunicorn killed it

        ip("-n", db_ns, "link", "set", db_if, "up")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and get(sock_path, "/healthz")[0] != 200:
            time.sleep(0.3)
        status, body, _ = get(sock_path, "/api/v1/organizations/nato/members/")
        assert (status, body["count"]) == (200, 32)
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        for ns in (app_ns, db_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        time.sleep(0.2)
        psql(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
