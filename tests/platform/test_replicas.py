"""Reads from a real PostgreSQL streaming replica (alliances/platform/replicas.py), PostgreSQL only.

``scripts/pg_replica.py`` copies the primary with ``pg_basebackup -R`` and
starts the copy on a port of its own; the test database is part of the copy,
and the tests add it as the alias ``replica_1``. Lag is made by pausing WAL
replay on the replica (``pg_wal_replay_pause()``): a write on the primary then
reaches the replica but is not applied, so an answer holding the old value can
only have come from the replica, and one holding the new value from the primary.

The tests commit (a replica only sees committed data): they run outside the
per-test transaction, add one source and one user of their own and remove them
afterwards, so the rest of the suite finds the data as tests/conftest.py left it.
"""

import base64
import copy
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client, override_settings
from rest_framework.test import APIClient

from alliances.models import AuditEvent, Source
from alliances.platform import fastpath, replicas
from alliances.store import audit, integrity
from tests.platform.test_fastpath import get

pytestmark = [
    # One worker runs the module (pytest-xdist --dist loadgroup), so the replica starts once.
    pytest.mark.xdist_group("replica"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (set DATABASE_URL=postgres://...): it streams to a real replica",
    ),
    pytest.mark.slow,
]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pg_replica.py"
PORTS = range(55440, 55460)  # this test's range on the shared machine
ALIAS = "replica_1"
SLUG = "replica-probe"
URL = f"/api/v1/sources/{SLUG}/"
PASSWORD = "replica-writer-password"


def _free_port(skip=()):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    offset = int(worker[2:]) if worker[2:].isdigit() else 0
    for port in [*PORTS[offset:], *PORTS[:offset]]:
        if port in skip:
            continue
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as PostgreSQL binds
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    return None


def _script(*args):
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    env = {**os.environ, "PRIMARY_HOST": primary["HOST"] or "127.0.0.1", "PRIMARY_PORT": str(primary["PORT"] or 5432)}
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120, env=env)


class Replica:
    """The running copy: its port, its directory and a connection of its own to watch it."""

    def __init__(self, port, directory, dbname):
        self.port, self.dir, self.dbname = port, directory, dbname
        self.watch = None

    def sql(self, query):
        if self.watch is None or self.watch.closed:
            self.watch = psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=self.dbname)
            self.watch.autocommit = True
        return self.watch.execute(query).fetchone()

    def counter(self):
        return self.sql(f"SELECT version FROM {integrity.VERSION_TABLE} WHERE id = 1")[0]

    def wait_for(self, condition, what, timeout=30):
        # The replica replays the whole cluster's WAL: another database's bulk load delays it.
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"the replica did not {what} within {timeout} s"
            time.sleep(0.01)

    def catch_up(self):
        """Wait until the replica has applied every commit of the primary so far; returns the seconds it took."""
        began, target = time.monotonic(), primary_counter()
        self.wait_for(lambda: self.counter() >= target, "catch up")
        return time.monotonic() - began

    def wait_received(self):
        """Wait until the primary's WAL so far has reached the (paused) replica."""
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            lsn = cursor.fetchone()[0]
        self.wait_for(lambda: self.sql(f"SELECT pg_last_wal_receive_lsn() >= '{lsn}'::pg_lsn")[0], "receive the WAL")

    def pause(self):
        self.sql("SELECT pg_wal_replay_pause()")

    def resume(self):
        self.sql("SELECT pg_wal_replay_resume()")

    def close(self):
        if self.watch is not None:
            self.watch.close()


def primary_counter():
    return replicas.counter_of(audit.data_version(using=DEFAULT_DB_ALIAS))


def publisher(answer):
    return json.loads(answer.body)["publisher"]


@pytest.fixture(scope="module")
def replica(django_db_setup, django_db_blocker):
    port = _free_port()
    result = _script("start", "--port", str(port)) if port else None
    if result is not None and result.returncode != 0:
        # Once more on another port: on a shared machine another program may have taken it meanwhile.
        port = _free_port(skip={port})
        result = _script("start", "--port", str(port)) if port else None
    if result is None or result.returncode != 0:
        why = result.stderr if result is not None else f"no free port in {PORTS.start}-{PORTS.stop - 1}"
        message = f"could not start a streaming replica with {SCRIPT.name}:\n{why}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    started = json.loads(result.stdout)
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    copy_of_test_db = copy.deepcopy(primary)
    copy_of_test_db.update(HOST="127.0.0.1", PORT=port, TEST={**primary["TEST"], "MIRROR": DEFAULT_DB_ALIAS})
    connections.settings[ALIAS] = copy_of_test_db
    # A paused replica serves anonymous reads unless a test lowers this.
    routing = override_settings(
        DATABASE_ROUTERS=["alliances.platform.replicas.ReplicaRouter"], REPLICA_MAX_LAG=3600, REPLICA_RETRY_SECONDS=60
    )
    routing.enable()
    with django_db_blocker.unblock():
        source = Source.objects.create(slug=SLUG, title="Replica probe", kind="secondary", publisher="original")
        User.objects.create_superuser("replica-writer", password=PASSWORD)
    the_replica = Replica(port, started["dir"], primary["NAME"])
    the_replica.started = started
    try:
        with django_db_blocker.unblock():
            the_replica.catch_up()
        yield the_replica
    finally:
        the_replica.close()
        connections[ALIAS].close()
        del connections[ALIAS]
        del connections.settings[ALIAS]
        routing.disable()
        _script("stop", "--dir", started["dir"])
        with django_db_blocker.unblock():
            Source.objects.filter(pk=source.pk).delete()
            User.objects.filter(username="replica-writer").delete()
            with integrity.maintenance(connections[DEFAULT_DB_ALIAS]):
                AuditEvent.objects.filter(table=Source._meta.db_table, row_id=source.pk).delete()


@pytest.fixture
def live(replica, django_db_blocker):
    """Committed reads and writes on the primary, the replica caught up and its failures forgotten."""
    with django_db_blocker.unblock():
        Source.objects.filter(slug=SLUG).update(publisher="original")
        replica.catch_up()
        replicas._down_until.clear()
        yield replica


@pytest.fixture
def paused(live):
    live.pause()
    try:
        yield live
    finally:
        live.resume()


@pytest.fixture
def app():
    """The production stack: the WSGI fast path in front of Django."""
    return fastpath.FastPath(WSGIHandler())


@pytest.fixture
def writer():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"replica-writer:{PASSWORD}".encode()).decode())
    return client


def write_publisher(writer, text):
    etag = writer.get(URL)["ETag"]
    response = writer.patch(URL, {"publisher": text}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    return response


def test_reads_are_served_by_the_replica_and_keyed_by_its_version(paused, app):
    replica_version = audit.data_version(using=ALIAS)
    Source.objects.filter(slug=SLUG).update(publisher="changed on the primary")
    first = get(app, URL)
    assert first.status == 200
    assert publisher(first) == "original", "only the paused replica still holds the old publisher"
    assert first.headers["data-version"] == replica_version
    assert replicas.counter_of(replica_version) < primary_counter()
    again = get(app, URL)
    assert again.headers["x-cache"] == "hit" and publisher(again) == "original"


def test_a_replica_lagging_more_than_allowed_is_not_used(paused, app, settings):
    settings.REPLICA_MAX_LAG = 0
    Source.objects.filter(slug=SLUG).update(publisher="changed on the primary")
    paused.wait_received()  # the replica knows it has WAL it has not applied
    answer = get(app, URL)
    assert publisher(answer) == "changed on the primary"
    assert answer.headers["data-version"] == audit.data_version(using=DEFAULT_DB_ALIAS)


def test_a_writer_reads_its_write_while_the_replica_lags(paused, app, writer):
    written = write_publisher(writer, "written by the client")
    # The write went to the primary (a replica refuses writes: it is read-only).
    assert Source.objects.using(DEFAULT_DB_ALIAS).get(slug=SLUG).publisher == "written by the client"
    version = written["Data-Version"]
    assert version == audit.data_version(using=DEFAULT_DB_ALIAS)
    cookie = written.cookies[replicas.COOKIE].value
    assert cookie == str(replicas.counter_of(version))

    assert publisher(get(app, URL)) == "original", "a client without the version is served by the replica"
    with_cookie = get(app, URL, HTTP_COOKIE=f"{replicas.COOKIE}={cookie}")
    assert publisher(with_cookie) == "written by the client"
    assert with_cookie.headers["data-version"] == version
    assert publisher(get(app, URL, HTTP_DATA_VERSION=version)) == "written by the client"
    assert json.loads(writer.get(URL).content)["publisher"] == "written by the client", "signed in: the primary"


def test_once_caught_up_the_replica_serves_the_writer_again(live, app, writer):
    live.pause()
    try:
        cookie = write_publisher(writer, "written by the client").cookies[replicas.COOKIE].value
        assert publisher(get(app, URL)) == "original"
    finally:
        live.resume()
    live.catch_up()
    live.pause()
    try:
        # Only the replica can still say what the client wrote: the primary has moved on.
        Source.objects.filter(slug=SLUG).update(publisher="changed later by someone else")
        answer = get(app, URL, HTTP_COOKIE=f"{replicas.COOKIE}={cookie}")
        assert publisher(answer) == "written by the client"
    finally:
        live.resume()


def test_the_admin_and_signed_in_readers_read_the_primary(paused):
    Source.objects.filter(slug=SLUG).update(publisher="changed on the primary")
    curator = Client()
    curator.force_login(User.objects.get(username="replica-writer"))
    source = Source.objects.get(slug=SLUG)
    page = curator.get(f"/admin/alliances/source/{source.pk}/change/")
    assert page.status_code == 200 and b"changed on the primary" in page.content
    assert json.loads(curator.get(URL).content)["publisher"] == "changed on the primary"


def test_a_replica_that_is_down_gives_way_to_the_primary(live, app, writer, monkeypatch):
    assert publisher(get(app, URL)) == "original"  # the replica's connection is open
    assert _script("stop", "--dir", live.dir, "--keep").returncode == 0
    live.close()
    try:
        probes = []
        real_probe = replicas.probe
        monkeypatch.setattr(replicas, "probe", lambda alias: probes.append(alias) or real_probe(alias))
        Source.objects.filter(slug=SLUG).update(publisher="changed while the replica is down")
        answer = get(app, URL)
        assert answer.status == 200 and publisher(answer) == "changed while the replica is down"
        assert get(app, URL).status == 200
        assert probes == [ALIAS], "a replica that failed is left alone for REPLICA_RETRY_SECONDS"
        assert write_publisher(writer, "written while the replica is down").status_code == 200
    finally:
        restarted = _script("start", "--port", str(live.port), "--dir", live.dir)
        assert restarted.returncode == 0, restarted.stderr


# ``db``: this module's other tests commit outside pytest-django's transactions, so without
# one test asking for the database pytest-django would not create it when the module runs alone.
def test_the_replica_is_a_read_only_copy_of_the_test_database(db, replica):
    assert replica.sql(f"SELECT publisher FROM alliances_source WHERE slug = '{SLUG}'") == ("original",)
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        replica.sql(f"UPDATE alliances_source SET publisher = 'x' WHERE slug = '{SLUG}'")
