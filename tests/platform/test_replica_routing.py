"""The read-replica rules (alliances/platform/replicas.py) without a replica: both engines.

The replica's answers are stood in for by replacing ``probe`` (what a replica
says about itself); the real streaming replica is in tests/platform/test_replicas.py.
"""

import base64
import importlib
import os

import pytest
from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, transaction
from rest_framework.test import APIClient

import config.settings
from alliances.models import AuditEvent, Membership, Source
from alliances.platform import replicas
from alliances.store import audit
from tests.platform.test_fastpath import app, get  # noqa: F401 (app: a fixture)

REPLICA = "replica_1"
URL = "/api/v1/countries/GB/memberships/?as_of=2020-06-01"


def environ(method="GET", path="/api/v1/countries/RO/", **extra):
    return {"REQUEST_METHOD": method, "PATH_INFO": path, **extra}


@pytest.fixture(autouse=True)
def _fresh_state():
    replicas._down_until.clear()
    token = replicas._read_alias.set(None)
    yield
    replicas._read_alias.reset(token)
    replicas._down_until.clear()


class FakeReplica:
    """What ``probe`` would read on a replica: its data version and lag; counts the probes."""

    def __init__(self, monkeypatch, version="10.abc", lag=0.0, error=None):
        self.version, self.lag, self.error, self.probes = version, lag, error, 0
        monkeypatch.setattr(replicas, "replica_aliases", lambda: [REPLICA])
        monkeypatch.setattr(replicas, "probe", self)

    def __call__(self, alias):
        assert alias == REPLICA
        self.probes += 1
        if self.error:
            raise self.error
        return self.version, self.lag


def test_a_data_version_counter_is_read_leniently():
    assert replicas.counter_of("42.3f9c") == 42
    assert replicas.counter_of(" 42 ") == 42
    for junk in (None, "", "abc", "-3", "4 2", "١٢", "9" * 30, ".5"):
        assert replicas.counter_of(junk) == 0, junk


def test_the_client_version_comes_from_the_header_or_the_cookie_whichever_is_newer():
    assert replicas.required_counter(environ()) == 0
    assert replicas.required_counter(environ(HTTP_DATA_VERSION="7.x")) == 7
    assert replicas.required_counter(environ(HTTP_COOKIE="a=b; data_version=9")) == 9
    assert replicas.required_counter(environ(HTTP_DATA_VERSION="12", HTTP_COOKIE="data_version=9")) == 12
    assert replicas.required_counter(environ(HTTP_COOKIE="data_version=nonsense")) == 0


def test_writes_signed_in_users_the_admin_and_the_health_check_read_the_primary():
    assert replicas.primary_only(environ("POST"))
    assert replicas.primary_only(environ("PATCH"))
    assert replicas.primary_only(environ(HTTP_AUTHORIZATION="Basic eDp5"))
    assert replicas.primary_only(environ(HTTP_COOKIE="sessionid=abc"))
    assert replicas.primary_only(environ(path="/admin/alliances/source/"))
    assert replicas.primary_only(environ(path="/healthz"))
    assert not replicas.primary_only(environ())
    assert not replicas.primary_only(environ("HEAD", path="/countries/ro/", HTTP_COOKIE="data_version=3"))


def test_without_replicas_every_request_reads_the_primary():
    env = environ()
    assert replicas.choose(env) == (DEFAULT_DB_ALIAS, None)
    assert env[replicas.ALIAS_ENV] == DEFAULT_DB_ALIAS


def test_a_current_replica_serves_and_its_version_is_the_requests(monkeypatch):
    fake = FakeReplica(monkeypatch, version="10.abc")
    env = environ()
    assert replicas.choose(env) == (REPLICA, "10.abc")
    assert env[replicas.VERSION_ENV] == "10.abc"
    assert replicas.choose(env) == (REPLICA, "10.abc") and fake.probes == 1, "decided once per request"


def test_a_client_that_wrote_a_newer_version_reads_the_primary(monkeypatch):
    fake = FakeReplica(monkeypatch, version="10.abc")
    assert replicas.choose(environ(HTTP_COOKIE="data_version=11")) == (DEFAULT_DB_ALIAS, None)
    assert replicas.choose(environ(HTTP_DATA_VERSION="11.def")) == (DEFAULT_DB_ALIAS, None)
    assert replicas.choose(environ(HTTP_COOKIE="data_version=10")) == (REPLICA, "10.abc")
    assert replicas.choose(environ(HTTP_DATA_VERSION="3")) == (REPLICA, "10.abc")
    assert fake.probes == 4


def test_a_lagging_replica_serves_only_within_the_allowed_lag(monkeypatch, settings):
    FakeReplica(monkeypatch, lag=2.5)
    settings.REPLICA_MAX_LAG = 0
    assert replicas.choose(environ())[0] == DEFAULT_DB_ALIAS
    settings.REPLICA_MAX_LAG = 3
    assert replicas.choose(environ())[0] == REPLICA
    settings.REPLICA_MAX_LAG = 2
    assert replicas.choose(environ())[0] == DEFAULT_DB_ALIAS


def test_a_replica_that_does_not_know_its_lag_never_serves(monkeypatch, settings):
    settings.REPLICA_MAX_LAG = 3600
    FakeReplica(monkeypatch, lag=None)  # not streaming from the primary
    assert replicas.choose(environ())[0] == DEFAULT_DB_ALIAS


def test_primary_only_requests_do_not_ask_the_replica(monkeypatch):
    fake = FakeReplica(monkeypatch)
    assert replicas.choose(environ("POST")) == (DEFAULT_DB_ALIAS, None)
    assert replicas.choose(environ(path="/admin/")) == (DEFAULT_DB_ALIAS, None)
    assert fake.probes == 0


def test_a_failing_replica_is_left_alone_for_the_retry_time(monkeypatch, settings, caplog):
    settings.REPLICA_RETRY_SECONDS = 60
    fake = FakeReplica(monkeypatch, error=RuntimeError("connection refused"))
    assert replicas.choose(environ()) == (DEFAULT_DB_ALIAS, None)
    assert "replica_1 failed" in caplog.text
    assert replicas.choose(environ()) == (DEFAULT_DB_ALIAS, None)
    assert fake.probes == 1, "a replica that just failed is not tried on every request"
    settings.REPLICA_RETRY_SECONDS = 0
    replicas._down_until.clear()
    fake.error = None
    assert replicas.choose(environ()) == (REPLICA, "10.abc")


def test_the_router_sends_writes_and_service_state_to_the_primary():
    router = replicas.ReplicaRouter()
    assert router.db_for_read(Membership) is None, "outside a request that chose, Django's default"
    replicas._read_alias.set(REPLICA)
    assert router.db_for_read(Membership) == REPLICA
    assert router.db_for_read(AuditEvent) == REPLICA
    assert router.db_for_read(User) == DEFAULT_DB_ALIAS, "sessions and users stay on the primary"
    assert router.db_for_write(Membership) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(REPLICA, "alliances") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "alliances") is None
    replicas._read_alias.set(DEFAULT_DB_ALIAS)
    assert router.db_for_read(Membership) is None


def test_reads_inside_a_transaction_go_to_the_primary(db):  # db: the test runs in a transaction
    router = replicas.ReplicaRouter()
    replicas._read_alias.set(REPLICA)
    with transaction.atomic():
        assert router.db_for_read(Membership) == DEFAULT_DB_ALIAS


def test_settings_add_one_mirrored_alias_per_replica_url(monkeypatch):
    monkeypatch.setenv("DATABASE_REPLICA_URLS", "postgres://u@db1:5433/a, postgres://u@db2/a")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@primary/a")
    try:
        module = importlib.reload(config.settings)
        assert list(module.DATABASES) == ["default", "replica_1", "replica_2"]
        assert (module.DATABASES["replica_1"]["HOST"], module.DATABASES["replica_1"]["PORT"]) == ("db1", 5433)
        assert module.DATABASES["replica_2"]["TEST"] == {"MIRROR": "default"}
        assert (
            module.DATABASES["replica_2"]["OPTIONS"]["connect_timeout"]
            == module.DATABASES["default"]["OPTIONS"]["connect_timeout"]
        )
        assert module.DATABASE_ROUTERS == ["alliances.platform.replicas.ReplicaRouter"]
    finally:
        monkeypatch.undo()
        vars(config.settings).pop("DATABASE_ROUTERS", None)  # a reload keeps names it does not assign
        module = importlib.reload(config.settings)
    assert "replica_1" not in module.DATABASES and not hasattr(module, "DATABASE_ROUTERS")
    assert os.environ.get("DATABASE_REPLICA_URLS") is None


@pytest.fixture
def writer(db):
    User.objects.create_superuser("writer", password="writer-password")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"writer:writer-password").decode())
    return client


def test_a_write_answers_with_the_version_it_committed(writer, monkeypatch):
    fake = FakeReplica(monkeypatch, error=AssertionError("a write never asks a replica"))
    path = "/api/v1/sources/seed-article-2021-12/"
    etag = writer.get(path)["ETag"]
    response = writer.patch(path, {"note": "checked"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and fake.probes == 0
    version = audit.data_version(using=DEFAULT_DB_ALIAS)
    assert response["Data-Version"] == version
    assert response.cookies["data_version"].value == str(replicas.counter_of(version))
    assert response.cookies["data_version"]["httponly"]
    assert Source.objects.get(slug="seed-article-2021-12").note == "checked"
    refused = writer.patch(path, {"published": "not a date"}, format="json", HTTP_IF_MATCH=response["ETag"])
    assert refused.status_code == 400 and "data_version" not in refused.cookies


def test_a_read_says_which_version_it_was_computed_from(db, client, monkeypatch):
    FakeReplica(monkeypatch, lag=None)  # refused: the primary answers
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Data-Version"] == audit.data_version(using=DEFAULT_DB_ALIAS)


def test_without_replicas_answers_carry_no_version_header(db, client):
    assert "Data-Version" not in client.get(URL)


def test_the_fast_path_keeps_the_answers_of_a_replica_and_of_the_primary_side_by_side(db, app, monkeypatch):  # noqa: F811
    # A lagging replica (version A) and the primary (version B) answer at the same time;
    # each version's stored answers must survive requests under the other.
    versions = iter(["1.a", "2.b"] * 3)
    monkeypatch.setattr(replicas, "choose", lambda environ: (DEFAULT_DB_ALIAS, next(versions)))
    first, second = get(app), get(app)
    assert app.inner.calls == 2
    assert get(app).headers["x-cache"] == "hit" and get(app).headers["x-cache"] == "hit"
    assert app.inner.calls == 2
    assert first.body == second.body


def test_a_browser_on_another_origin_may_read_the_version_and_send_it_back(db, client, monkeypatch):
    FakeReplica(monkeypatch, lag=None)
    origin = "https://research.example.org"
    asks = {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET", "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "data-version"}
    preflight = client.options(URL, HTTP_ORIGIN=origin, **asks)
    assert "data-version" in preflight["Access-Control-Allow-Headers"].lower()
    read = client.get(URL, HTTP_ORIGIN=origin, HTTP_DATA_VERSION="1")
    assert read.has_header("Data-Version") and "Data-Version" in read["Access-Control-Expose-Headers"]
