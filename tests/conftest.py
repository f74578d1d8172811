"""Shared test set-up: the real fixtures are loaded once into the test database."""

import datetime

import pytest
from django.core.management import call_command

FIXTURES = ["01_countries", "02_sources", "03_organizations", "04_memberships", "05_citations", "06_history"]

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


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("loaddata", *FIXTURES, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def _flush_through_audit_guard():
    """Transactional tests end with ``flush``, which empties every table, the audit trail too.

    The database refuses that (alliances/integrity.py), so the suite's flush runs
    in ``integrity.maintenance()`` and also removes the audit rows that its own
    deletes recorded (SQLite deletes row by row), leaving an empty trail.
    """
    from django.core.management.commands import flush
    from django.db import connections

    from alliances import integrity

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


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test starts with empty in-process caches, so none sees another test's rolled-back data."""
    from django.conf import settings as django_settings
    from django.core.cache import caches

    from alliances.platform import readmodel, reference

    caches[django_settings.RESPONSE_CACHE_ALIAS].clear()
    caches[django_settings.THROTTLE_CACHE_ALIAS].clear()
    reference._current = None
    readmodel._current = None
    yield


@pytest.fixture(autouse=True)
def no_throttling(settings):
    """Throttling is tested on its own; elsewhere it would only make the suite flaky."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None},
    }
