"""`make backup` / `make restore` (pg_dump -Fc / pg_restore) give back the same data, ids and audit trail."""

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from rest_framework.test import APIClient

from alliances import names, services
from alliances.models import Membership
from alliances.store import audit
from tests.integrity_support import committed, needs_postgresql, raw_connection, reload_data_after_module  # noqa: F401

ROOT = Path(settings.BASE_DIR)
RESTORED = "alliances_integrity_restored"


def url_of(dbname):
    s = connections["default"].settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{dbname}"


def make(target, dbname, backup):
    env = {**os.environ, "DATABASE_URL": url_of(dbname)}
    subprocess.run(["make", "-s", target, f"BACKUP={backup}"], cwd=ROOT, env=env, check=True)


def answers(urls):
    caches[settings.RESPONSE_CACHE_ALIAS].clear()
    names._current = None
    client = APIClient()
    result = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        result[url] = response.json()
    return result


def rows(dbname, sql):
    with raw_connection(dbname) as conn:
        return conn.execute(sql).fetchall()


@needs_postgresql
@pytest.mark.usefixtures("committed")
def test_backup_restores_into_a_fresh_database_exactly(tmp_path):
    membership = Membership.objects.get(country__iso2="GB", organization__slug="eu")
    with audit.acting_as("alice"):
        services.membership_update(membership=membership, note="Curated by Alice.")
        services.membership_delete(membership=Membership.objects.get(country__iso2="RO", organization__slug="b9"))
    urls = [
        "/api/v1/organizations/",
        "/api/v1/sources/?page_size=500",
        "/api/v1/memberships/?page_size=500",
        "/api/v1/countries/RO/memberships/?history=true&status=all",
        "/api/v1/organizations/b9/members/?history=true",
        f"/api/v1/memberships/{membership.pk}/history/",
    ]
    original = connections["default"].settings_dict["NAME"]
    backup = tmp_path / "alliances.dump"
    make("backup", original, backup)

    admin = raw_connection("postgres")
    admin.autocommit = True
    admin.execute(f"DROP DATABASE IF EXISTS {RESTORED}")
    admin.execute(f"CREATE DATABASE {RESTORED}")
    try:
        make("restore", RESTORED, backup)
        audit_sql = (
            'SELECT id, "table", row_id, operation, before, after, actor, at FROM alliances_auditevent ORDER BY id'
        )
        assert rows(RESTORED, audit_sql) == rows(original, audit_sql)
        version_sql = "SELECT version, token FROM alliances_dataversion"
        assert rows(RESTORED, version_sql) == rows(original, version_sql)

        expected = answers(urls)
        connection = connections["default"]
        connection.close()
        connection.settings_dict["NAME"] = RESTORED
        try:
            restored = answers(urls)
            # The restored database is a working one: its triggers record and guard as before.
            with audit.acting_as("bob"):
                services.membership_update(membership=Membership.objects.get(pk=membership.pk), note="After restore.")
            assert audit.row_history(Membership, membership.pk).last().actor == "bob"
        finally:
            connection.close()
            connection.settings_dict["NAME"] = original
        assert restored == expected
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {RESTORED} WITH (FORCE)")
        admin.close()
