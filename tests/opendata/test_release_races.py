"""Releases under concurrency, with real parallel connections on PostgreSQL.

Three make_release runs at once: one publishes a whole release, the others are refused
cleanly. A write committed while a release is being written: the release is one
consistent snapshot (its version's), never a mix.
"""

import csv
import datetime
import json
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from alliances import services
from alliances.models import Citation, Country, Organization, Source
from alliances.opendata import dataset, releases
from alliances.store import audit
from tests.integrity_support import committed, needs_postgresql, reload_data_after_module  # noqa: F401

pytestmark = [needs_postgresql, pytest.mark.usefixtures("committed")]


@pytest.fixture(autouse=True)
def releases_dir(settings, tmp_path):
    settings.RELEASES_DIR = tmp_path / "releases"
    return settings.RELEASES_DIR


def in_thread(target):
    """Run ``target`` on its own database connection; return (thread, outcome list)."""
    outcome = []

    def run():
        try:
            outcome.append(target())
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test asserts on
            outcome.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_concurrent_runs_publish_one_whole_release_and_refuse_the_others(releases_dir, monkeypatch):
    original = dataset.write_package

    def slow_write(*args, **kwargs):
        time.sleep(0.5)  # every run overlaps the others
        return original(*args, **kwargs)

    monkeypatch.setattr(dataset, "write_package", slow_write)
    runs = [in_thread(releases.make_release) for _ in range(3)]
    outcomes = []
    for thread, outcome in runs:
        thread.join(30)
        outcomes += outcome
    published = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, releases.ReleaseInProgress)]
    assert (len(published), len(refused)) == (1, 2), outcomes

    (record,) = published
    assert [p.name for p in releases_dir.iterdir() if p.is_dir()] == [record["version"]]  # no staging left
    client = Client()
    for name in record["files"]:
        assert (releases_dir / record["version"] / name).is_file(), name
        assert client.get(f"/downloads/{record['version']}/{name}").status_code == 200, name
    assert releases.releases() == [releases.release(record["version"])]


def test_a_release_is_one_snapshot_although_a_write_commits_while_it_is_written(releases_dir, monkeypatch):
    version = audit.data_version()
    original = dataset.citation_table

    def citations_after_a_concurrent_write():
        concurrent_write()  # committed between two tables of the release
        return original()

    monkeypatch.setattr(dataset, "citation_table", citations_after_a_concurrent_write)
    record = releases.make_release()
    assert audit.data_version() != version  # the write did commit
    assert record["version"] == version  # the release is of the state it started from

    folder = releases_dir / version
    with open(folder / "memberships.csv", encoding="utf-8") as handle:
        periods = {(r["country"], r["organization"], r["start_date"]) for r in csv.DictReader(handle)}
    with open(folder / "citations.csv", encoding="utf-8") as handle:
        cited = {(r["country"], r["organization"], r["start_date"]) for r in csv.DictReader(handle) if r["country"]}
    assert cited <= periods, cited - periods
    assert ("BR", "osce", "1995-01-02") not in cited


def concurrent_write():
    def write():
        with audit.acting_as("writer"):
            return services.membership_create(
                country=Country.objects.get(iso2="BR"),
                organization=Organization.objects.get(slug="osce"),
                start_date=datetime.date(1995, 1, 2),
                status="partner",
                citations=[(Source.objects.get(slug="seed-article-2021-12"), "Brazil, a partner.")],
            )

    thread, outcome = in_thread(write)
    thread.join(30)
    assert not isinstance(outcome[0], Exception), outcome


def test_export_fixtures_files_agree_although_a_write_commits_between_them(tmp_path, monkeypatch):
    from alliances.management.commands import export_fixtures

    original = export_fixtures.render

    def render(models):
        if Citation in models:
            concurrent_write()  # after 04_memberships.json was read, before 05_citations.json
        return original(models)

    monkeypatch.setattr(export_fixtures, "render", render)
    call_command("export_fixtures", str(tmp_path), verbosity=0)
    periods = {
        (o["fields"]["country"][0], o["fields"]["organization"][0], o["fields"]["start_date"])
        for o in read(tmp_path, "04")
    }
    cited = {tuple(o["fields"]["membership"]) for o in read(tmp_path, "05") if o["fields"]["membership"]}
    assert cited <= periods, cited - periods
    assert ("BR", "osce", "1995-01-02") not in cited


def read(folder, prefix):
    (path,) = folder.glob(f"{prefix}_*.json")
    return json.loads(path.read_text(encoding="utf-8"))
