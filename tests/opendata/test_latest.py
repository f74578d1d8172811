"""/downloads/latest/: every file of the current data on a fresh install, built once per data version;
the downloads page in the site's layout, linked from every page."""

import csv
import io
import json
import re
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from alliances.models import Membership
from alliances.opendata import citation, dataset, latest
from alliances.store import audit

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def shared_releases_dir(tmp_path_factory):
    """One folder for the tests that do not write: their data version is the same, so is its package."""
    return tmp_path_factory.mktemp("releases")


@pytest.fixture(autouse=True)
def releases_dir(settings, shared_releases_dir):
    settings.RELEASES_DIR = shared_releases_dir  # as on a fresh install: no release
    return settings.RELEASES_DIR


@pytest.fixture
def fresh_releases_dir(settings, tmp_path):
    """A folder of its own, for a test that writes data or a release."""
    settings.RELEASES_DIR = tmp_path / "releases"
    return settings.RELEASES_DIR


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def expected_files(tmp_path):
    """The files ``export_dataset`` writes for the current data: what latest must offer, whatever dataset.py adds."""
    descriptor = dataset.write_package(tmp_path / "export")
    cited = list(citation.RELEASE_FILES)  # and the citation a release carries
    return sorted(["datapackage.json", *(r["path"] for r in descriptor["resources"]), *cited]), tmp_path / "export"


def test_a_fresh_install_serves_every_file_of_the_current_data(tmp_path, fresh_releases_dir):
    releases_dir = fresh_releases_dir
    files, export = expected_files(tmp_path)
    client = Client()
    page = client.get("/downloads/latest/")
    assert page.status_code == 200
    html = page.content.decode()
    version = audit.data_version()
    assert version in html
    linked = re.findall(r'href="/downloads/latest/([^"]+)"', html)
    assert sorted(linked) == files
    for name in files:
        response = client.get(f"/downloads/latest/{name}")
        assert response.status_code == 200, name
        stem, _, ext = name.rpartition(".")
        assert response["Content-Disposition"] == f'attachment; filename="alliances-{stem}-{version}.{ext}"'
        assert response["ETag"] and response["Last-Modified"]
        content = body(response)
        if name == "datapackage.json":
            assert json.loads(content)["version"] == version
        elif name in citation.RELEASE_FILES:
            assert version in content.decode(), name
        else:  # the same rows as the command's export of the same data
            assert content == (export / name).read_bytes(), name
    assert not (releases_dir / version).exists()  # serving is not releasing
    assert (releases_dir / latest.CACHE_FOLDER / version / "memberships.csv").is_file()


def test_a_repeated_request_is_served_from_the_built_files_and_revalidates(releases_dir):
    client = Client()
    first = client.get("/downloads/latest/memberships.csv")
    built = releases_dir / latest.CACHE_FOLDER / audit.data_version() / "memberships.csv"
    stamp = built.stat().st_mtime_ns
    again = client.get("/downloads/latest/memberships.csv")
    assert body(again) == body(first) and again["ETag"] == first["ETag"]
    assert built.stat().st_mtime_ns == stamp  # not written twice
    assert client.get("/downloads/latest/memberships.csv", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert (
        client.get("/downloads/latest/memberships.csv", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code
        == 304
    )


def test_the_memberships_csv_keeps_namibias_code_as_text():
    rows = list(csv.DictReader(io.StringIO(body(Client().get("/downloads/latest/memberships.csv")).decode())))
    assert "NA" in {row["country"] for row in rows}  # what docs/downloads.md tells pandas and R to keep


def test_latest_follows_the_data_and_a_release_of_it(fresh_releases_dir):
    releases_dir = fresh_releases_dir
    client = Client()
    before = client.get("/downloads/latest/memberships.csv")
    Membership.objects.filter(country__iso2="RO", organization__slug="nato", status="member").update(
        own_status="Written after the first download."
    )
    after = client.get("/downloads/latest/memberships.csv")
    assert after["ETag"] != before["ETag"]
    assert b"Written after the first download." in body(after)
    assert b"Written after the first download." not in body(before)
    assert audit.data_version() in after["Content-Disposition"]

    call_command("make_release", stdout=io.StringIO(), stderr=io.StringIO())
    released = body(client.get("/downloads/latest/datapackage.json"))
    version = audit.data_version()
    # The published release's own file: the same bytes as its versioned URL.
    assert released == (releases_dir / version / "datapackage.json").read_bytes()
    assert released == body(client.get(f"/downloads/{version}/datapackage.json"))
    assert client.get("/downloads.json").json()["latest"]["released"] is True


def test_older_versions_built_files_are_removed_after_a_grace_period(fresh_releases_dir, monkeypatch):
    releases_dir = fresh_releases_dir
    client = Client()
    client.get("/downloads/latest/countries.csv")
    old = releases_dir / latest.CACHE_FOLDER / audit.data_version()
    monkeypatch.setattr(latest, "GRACE_SECONDS", -1)
    Membership.objects.filter(country__iso2="RO", organization__slug="nato", status="member").update(
        own_status="Newer."
    )
    client.get("/downloads/latest/countries.csv")
    assert not old.exists()
    assert [p.name for p in (releases_dir / latest.CACHE_FOLDER).iterdir() if p.is_dir()] == [audit.data_version()]


def test_a_half_written_folder_is_never_served(fresh_releases_dir):
    releases_dir = fresh_releases_dir
    version = audit.data_version()
    broken = releases_dir / latest.CACHE_FOLDER / version
    broken.mkdir(parents=True)
    (broken / "memberships.csv").write_text("country\n")  # no datapackage.json: a build that died
    content = body(Client().get("/downloads/latest/memberships.csv"))
    assert content.startswith(b"country,organization,status") and len(content) > 10_000


def test_concurrent_first_requests_build_once(fresh_releases_dir, monkeypatch):
    """Workers asking at once: one builds, the others wait for it and serve its files."""
    builds = []
    write_package = dataset.write_package

    def counted(directory, **kwargs):
        builds.append(directory)
        return write_package(directory, **kwargs)

    monkeypatch.setattr(dataset, "write_package", counted)
    answers, errors = [], []

    def ask():
        try:
            answers.append(latest.current())
        except Exception as exc:  # reported below: a thread's exception would otherwise be lost
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(builds) == 1
    assert len({(a.version, a.created, a.directory) for a in answers}) == 1


def test_unknown_files_are_404():
    client = Client()
    missing = client.get("/downloads/latest/other.csv")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert "http://testserver/downloads/latest/memberships.csv" in missing.json()["files"]
    assert client.get("/downloads/0/memberships.csv").json() == {"detail": "No such release or file."}
    assert client.get("/downloads/latest/..%2Fsettings.py").status_code == 404
    assert client.get("/downloads/latest/.lock").status_code == 404


def test_the_downloads_page_has_the_sites_layout_and_every_page_links_to_it():
    client = Client()
    downloads = client.get("/downloads/").content.decode()
    home = client.get("/").content.decode()
    for html in (downloads, home):
        assert 'class="site"' in html and "site.css" in html  # the shared header and footer
        assert 'href="/downloads/"' in html
    assert 'href="/"' in downloads  # a way back
    assert 'href="/downloads/latest/memberships.csv"' in downloads


def test_country_and_organization_pages_link_their_own_data():
    client = Client()
    country = client.get("/countries/ro/").content.decode()
    organization = client.get("/organizations/nato/").content.decode()
    for html, api in (
        (country, "/api/v1/countries/RO/memberships/"),
        (organization, "/api/v1/organizations/nato/members/"),
    ):
        assert 'href="/downloads/"' in html
        json_url = re.search(rf'href="({re.escape(api)}\?history=true)"', html)[1]
        csv_url = re.search(rf'href="({re.escape(api)}\?history=true&amp;format=csv)"', html)[1].replace("&amp;", "&")
        as_json = client.get(json_url)
        assert as_json.status_code == 200 and as_json.json()["count"] > 5
        as_csv = client.get(csv_url)
        assert as_csv.status_code == 200 and as_csv["Content-Type"].startswith("text/csv")
        assert len(body(as_csv).decode().splitlines()) == as_json.json()["count"] + 1


def test_the_pandas_example_of_the_docs_keeps_namibia(tmp_path):
    """docs/downloads.md's pandas snippet, run on the served file: Namibia's 'NA' stays a code."""
    pd = pytest.importorskip("pandas")
    docs = (Path(__file__).resolve().parents[2] / "docs" / "downloads.md").read_text(encoding="utf-8")
    (snippet,) = [block for block in re.findall(r"```python\n(.*?)```", docs, flags=re.DOTALL) if "latest" in block]
    served = tmp_path / "memberships.csv"
    served.write_bytes(body(Client().get("/downloads/latest/memberships.csv")))
    url = "http://127.0.0.1:8000/downloads/latest/memberships.csv"
    assert url in snippet
    scope = {}
    exec(snippet.replace(url, str(served)), scope)  # noqa: S102 - our own documentation's example
    memberships, namibia = scope["memberships"], scope["namibia"]
    assert len(namibia) == Membership.objects.filter(country__code="NA").count() > 0
    assert memberships["country"].notna().all()
    assert memberships["end_date"].isna().sum() == Membership.objects.filter(end_date=None).count()
    assert pd.api.types.is_string_dtype(memberships["start_date"])
    assert set(memberships["start_date"]) >= {"1992", "2004-03-29"}  # a year stays a year, a day a day
