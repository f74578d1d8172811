"""Shared test set-up: the real fixtures are loaded once into the test database."""

import datetime

import pytest
from django.core.management import call_command

FIXTURES = ["01_countries", "02_sources", "03_organizations", "04_memberships", "05_citations", "06_history"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("loaddata", *FIXTURES, verbosity=0)


@pytest.fixture
def day():
    return datetime.date.fromisoformat


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test starts with empty in-process caches, so none sees another test's rolled-back data."""
    from django.conf import settings as django_settings
    from django.core.cache import caches

    from alliances import reference

    caches[django_settings.RESPONSE_CACHE_ALIAS].clear()
    reference._current = None
    yield


@pytest.fixture(autouse=True)
def no_throttling(settings):
    """Throttling is tested on its own; elsewhere it would only make the suite flaky."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None},
    }
