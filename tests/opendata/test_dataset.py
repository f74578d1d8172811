"""export_dataset writes a Data Package that frictionless validates, and a COW IGO panel."""

import csv
import datetime
import io
import json

import pytest
from django.core.management import call_command
from frictionless import Package, validate

from alliances.models import Membership
from alliances.opendata import dataset
from alliances.store import audit

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def exported(tmp_path_factory, django_db_setup, django_db_blocker):
    """One export of the loaded fixtures for the module's tests, which only read it (about 2.5 s each)."""
    directory = tmp_path_factory.mktemp("dataset")
    err = io.StringIO()
    with django_db_blocker.unblock():
        call_command("export_dataset", str(directory), stdout=io.StringIO(), stderr=err)
    return directory, err.getvalue()


def read(path):
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_package_is_valid(exported):
    directory, _ = exported
    report = validate(str(directory / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_package_metadata(exported):
    directory, _ = exported
    descriptor = json.loads((directory / "datapackage.json").read_text())
    assert descriptor["version"] == audit.data_version()
    assert descriptor["licenses"][0]["name"] and descriptor["created"].endswith("Z")
    assert descriptor["sources"]
    names = {r["name"] for r in descriptor["resources"]}
    assert {
        "countries",
        "organizations",
        "memberships",
        "citations",
        "sources",
        "successions",
        "cow_igo_panel",
        "cow_igo_differences",
    } <= names
    package = Package(str(directory / "datapackage.json"))
    assert all(resource.schema.fields for resource in package.resources)


def test_memberships_file_is_whole(exported):
    directory, _ = exported
    assert len(read(directory / "memberships.csv")) == Membership.objects.count()
    countries = {r["code"]: r for r in read(directory / "countries.csv")}
    assert (countries["RO"]["cow_code"], countries["RO"]["cow_abbr"]) == ("360", "ROM")
    organizations = {r["slug"]: r for r in read(directory / "organizations.csv")}
    assert organizations["nato"]["wikidata"] == "Q7184"


def test_progress_goes_to_stderr_and_v0_is_quiet(exported, tmp_path):
    _, err = exported
    assert "memberships.csv" in err and "cow_igo_panel.csv" in err
    quiet_err, quiet_out = io.StringIO(), io.StringIO()
    call_command("export_dataset", str(tmp_path / "q"), verbosity=0, stdout=quiet_out, stderr=quiet_err)
    assert quiet_err.getvalue() == quiet_out.getvalue() == ""


def test_panel_codes(exported):
    directory, _ = exported
    rows = {(r["code"], int(r["year"])): r for r in read(directory / "cow_igo_panel.csv")}
    assert rows[("RO", 2003)]["nato"] == "0" and rows[("RO", 2004)]["nato"] == "1"
    assert rows[("GB", 2019)]["eu"] == "1" and rows[("GB", 2020)]["eu"] == "0"  # left 31 January 2020
    assert rows[("UA", 2022)]["eu"] == "0"  # a candidate is not a member
    assert rows[("FR", 1949)]["nato"] == "1" and rows[("FR", 1948)]["nato"] == "-1"  # before NATO: not in existence
    assert rows[("RO", 2004)]["ccode"] == "360"
    # A former state has rows only while COW's state system has it; its COW code from the package.
    assert ("DDDE", 1990) not in rows and rows[("DDDE", 1989)]["ccode"] == "265"
    assert rows[("DDDE", 1989)]["wpact"] == "1" and rows[("DDDE", 1989)]["nato"] == "0"
    assert rows[("SUHH", 1980)]["osce"] == "1" and ("SUHH", 1992) not in rows
    assert rows[("RU", 1992)]["osce"] == "1" and rows[("RU", 1992)]["ccode"] == "365"


def test_successions_are_in_the_package(exported):
    directory, _ = exported
    successions = read(directory / "successions.csv")
    assert ("SUHH", "RU") in {(r["predecessor"], r["successor"]) for r in successions}


def test_panel_coding_rules():
    day = datetime.date(2020, 12, 31)
    start, end = datetime.date(2000, 1, 1), datetime.date(2020, 12, 30)
    assert dataset.panel_code([(start, None, "member")], day) == 1
    assert dataset.panel_code([(start, None, "suspended")], day) == 0  # takes no part: COW's 0
    assert dataset.panel_code([(start, None, "associate")], day) == 2
    assert dataset.panel_code([(start, None, "observer")], day) == 3
    for status in ("partner", "candidate", "applicant", "suspended"):
        assert dataset.panel_code([(start, None, status)], day) == 0
    assert dataset.panel_code([(start, end, "member")], day) == 0  # ended before the reference day
    assert dataset.reference_day(2020, datetime.date(2026, 3, 1)) == day
    assert dataset.reference_day(2026, datetime.date(2026, 3, 1)) == datetime.date(2026, 3, 1)
