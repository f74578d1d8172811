"""Shared test set-up: the real fixtures are loaded once into the test database."""

import datetime
import os
import tempfile

import pytest
from django.core.management import call_command

from alliances.management.commands.export_fixtures import FILES

# The files export_fixtures writes, in loading order: the one list of them.
FIXTURES = [name.removesuffix(".json") for name, _ in FILES]

# Django's default PBKDF2 costs a few hundred milliseconds per hash: creating a
# user, and checking a password on every HTTP-basic request (the fuzz tests,
# the browser log-ins). No test is about the hash itself, so every test, and
# every user created by session- or module-scoped fixtures, uses MD5.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_configure(config):
    # Before any fixture runs (so before any user exists), and without
    # override_settings, so the live server's thread sees it too.
    from django.conf import settings as django_settings

    django_settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS
    # WhiteNoise scans every app's static folder when its middleware is built (~30 ms),
    # and each test's client builds the middleware again: about half of an API test's
    # time. Found per request instead, as under `make run` (DEBUG sets the same).
    django_settings.WHITENOISE_AUTOREFRESH = True
    # The dyad-year table costs every export some seconds; its own tests turn it on.
    django_settings.DATASET_DYADIC = False
    # On SQLite, a file (in memory, under /dev/shm) rather than Django's default in-memory test database:
    # that one is a single connection shared by the test and the live server's threads, and a test that
    # flushed the database while the server still answered a browser's request deadlocked the worker
    # (each thread holding what the other waited for, the interpreter lock included, so no timeout fired).
    # With a file every thread has its own connection, and SQLite's locking orders their writes.
    default = django_settings.DATABASES["default"]
    if default["ENGINE"] == "django.db.backends.sqlite3" and not default.get("TEST", {}).get("NAME"):
        folder = "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()
        default.setdefault("TEST", {})["NAME"] = os.path.join(folder, f"alliances-test-{os.getpid()}.sqlite3")


def loadgroup(config):
    """Whether pytest-xdist schedules by group (workers are told by an option of their own)."""
    return bool(getattr(config.option, "loadgroup", False) or getattr(config.option, "dist", "no") == "loadgroup")


# Tests whose answer cannot depend on the database engine: what Chromium draws, the manual's build and
# examples, and the behaviour of the other dependencies (the response caches' budgets, Redis outages,
# nginx). CI's PostgreSQL pass leaves them to its SQLite pass (-m "not engine_independent"), which saves it
# about 140 tests; everything that reads or writes the data runs on both engines.
ENGINE_INDEPENDENT = (
    "tests/browser/",
    "tests/docs/",
    "tests/platform/test_cache_budget.py",
    "tests/platform/test_redis_outage.py",
    "tests/platform/test_nginx_proxy.py",
)


@pytest.hookimpl(tryfirst=True)
def pytest_itemcollected(item):
    if item.nodeid.startswith(ENGINE_INDEPENDENT):
        item.add_marker(pytest.mark.engine_independent)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Node ids that `pytest -n auto --dist loadgroup` (make test) can schedule by.

    Two upstream quirks, on pytest 9: Schemathesis gives every operation's test of
    one function the function's node id, which a scheduler keyed by node id
    collapses (under --dist loadgroup 52 of the 56 fuzz tests silently did not
    run); and pytest-xdist tags grouped tests by setting ``_nodeid``, which
    pytest 9 no longer reads (``_id``), so ``xdist_group`` did nothing. Grouped
    modules (the browser tests, the nginx, Redis-outage and replica tests) start
    their servers once, on one worker. tests/test_suite_setup.py checks both.
    """
    grouped = loadgroup(config)
    for item in items:
        if type(item).__name__ == "SchemathesisFunction" and not item.nodeid.endswith("]"):
            item._id = item.parent.id.child(item.name)
        groups = sorted({str(mark.args[0]) for mark in item.iter_markers("xdist_group")})
        if grouped and groups and "@" not in item.nodeid:
            item._id = type(item._id).parse(f"{item.nodeid}@{'_'.join(groups)}")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # The loader `make run` uses (every row validated, natural keys resolved in bulk):
    # a tenth of loaddata's time, once per pytest-xdist worker. test_fixtures.py loads
    # the same files with loaddata too.
    with django_db_blocker.unblock():
        call_command("load_fixtures", verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def _flush_through_audit_guard():
    """Transactional tests end with ``flush``, which empties every table, the audit trail too.

    The database refuses that (alliances/store/integrity.py), so the suite's flush runs
    in ``integrity.maintenance()`` and also removes the audit rows that its own
    deletes recorded (SQLite deletes row by row), leaving an empty trail.
    """
    from django.core.management.commands import flush
    from django.db import connections

    from alliances.store import integrity

    original = flush.Command.handle

    def handle(self, **options):
        connection = connections[options["database"]]
        with integrity.maintenance(connection):
            original(self, **options)
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {integrity.AUDIT_TABLE}")

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


@pytest.fixture
def day():
    return datetime.date.fromisoformat


# Tests that commit and flush: the flush and the reload run with triggers off, so the
# data version alone no longer tells one database state from another.
TRANSACTIONAL_FIXTURES = {"transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def fresh_caches(request):
    """Each test starts with empty response and throttle caches, so none sees another test's rolled-back data.

    The name snapshot and the read model are keyed by the data version, whose random token changes
    with every write, so a version rolled back with a test's transaction never
    comes back: keeping the fixtures' version's snapshot and read model across tests
    is safe, and saves rebuilding them (~15 ms each) in each of about a thousand tests.
    Transactional tests are the exception (see TRANSACTIONAL_FIXTURES).
    """
    from django.conf import settings as django_settings
    from django.core.cache import caches

    from alliances import names
    from alliances.platform import readmodel

    caches[django_settings.RESPONSE_CACHE_ALIAS].clear()
    caches[django_settings.THROTTLE_CACHE_ALIAS].clear()
    # A request that ended in an exception before finalize_response (a test that calls a view
    # directly) leaves its data version in the context variable; the next test must not read it.
    names.request_version.set(None)
    transactional = TRANSACTIONAL_FIXTURES & set(request.fixturenames) or any(
        marker.kwargs.get("transaction") for marker in request.node.iter_markers("django_db")
    )
    if transactional:
        names._current = None
        readmodel._current = None
    yield
    if transactional:
        names._current = None
        readmodel._current = None


@pytest.fixture
def cold_caches(db):
    """No name snapshot or read model built yet, as in a worker's first request (``fresh_caches`` keeps them)."""
    from alliances import names
    from alliances.platform import readmodel

    names._current = None
    readmodel._current = None


@pytest.fixture(autouse=True)
def no_throttling(settings):
    """Throttling is tested on its own; elsewhere it would only make the suite flaky."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None},
    }
