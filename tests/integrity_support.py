"""Helpers of the integrity tests (tests/test_integrity_*.py): real connections and committed data."""

import os

import pytest
from django.core.management import call_command
from django.db import connection

from alliances.admin import curators

# Tests of PostgreSQL itself (races of real connections, pg_dump, its outages, a round trip
# through it) run in the suite's PostgreSQL run, which CI always makes (.ci/run): in the
# SQLite run they would only repeat the same work against the same server.
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="runs in the PostgreSQL run of the suite (DATABASE_URL=postgres://..., as .ci/run does)",
)


def raw_connection(dbname=None):
    """A psycopg connection of its own to the test database (not Django's), in a transaction."""
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        dbname=dbname or s["NAME"],
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
    )


def load_committed_data():
    """Fixtures and the curators group, committed (transactional tests start from an empty database)."""
    call_command("load_fixtures", verbosity=0, stdout=open(os.devnull, "w"))
    curators.ensure_group()


@pytest.fixture(scope="module")
def reload_data_after_module(django_db_blocker):
    # The last transactional test's flush empties the database; leave it as tests/conftest.py set it up.
    yield
    with django_db_blocker.unblock():
        load_committed_data()


@pytest.fixture
def committed(reload_data_after_module, transactional_db):
    load_committed_data()
