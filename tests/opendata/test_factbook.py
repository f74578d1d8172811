"""The World Factbook cross-check against the data set, from the committed extract of its last edition.

The extract is the Factbook's own text (alliances/opendata/data/factbook/participation.json); the test
fails, not skips, when it is missing. Expected answers are read from the Factbook's text and the data, not
copied: Slovakia's CBSS observer status is a real gap (COW IGO names it too), Romania's (dated here from
2009-06-04) and its NATO membership real agreements.
"""

import datetime
import io

import pytest
from django.core.management import call_command

from alliances.models import Membership
from alliances.opendata import factbook

pytestmark = pytest.mark.django_db


def entry(name):
    return next(e for e in factbook.extract()["countries"] if name in e["names"])


def test_the_extract_is_the_factbooks_last_edition():
    source = factbook.source()
    assert source["repository"] == "https://github.com/factbook/factbook.json" and len(source["commit"]) == 40
    countries = factbook.extract()["countries"]
    assert len(countries) > 200
    romania = entry("Romania")
    assert romania["file"] == "europe/ro.json" and romania["changed"].startswith("2026-01")
    assert "NATO" in romania["participation"] and "CBSS (observer)" in romania["participation"]


def test_parse_reads_statuses_from_brackets_and_keeps_commas_inside_them():
    parsed = factbook.parse(
        "Australia Group, CBSS (observer), CIS (associate member, has not ratified the 1993 CIS charter), "
        "NATO, PFP, SCO (dialogue partner), UPU"
    )
    assert [(slug, status) for _, slug, status, _ in parsed] == [
        ("cbss", "observer"),
        ("cis", "associate"),
        ("nato", "member"),
        ("nato", "partner"),
        ("sco", "partner"),
    ]
    assert parsed[1][3].startswith("CIS (associate member, has not ratified")


def test_romanias_differences_are_what_its_entry_and_the_data_say():
    differences, _ = factbook.compare(code="RO")
    day = datetime.date.fromisoformat(entry("Romania")["changed"])
    by_organization = {d.organization: d for d in differences}
    # Both have Romania in NATO, the EU and the UN, and as a CBSS observer, that day: no difference.
    assert "CBSS (observer)" in entry("Romania")["participation"]
    for slug in ("nato", "eu", "un", "cbss"):
        assert Membership.objects.on(day).filter(country__code="RO", organization__slug=slug).exists()
        assert slug not in by_organization
    # Every difference says what the data set has that day.
    for d in differences:
        ours = Membership.objects.on(d.day).filter(country__code="RO", organization__slug=d.organization).first()
        assert d.ours == (ours.status if ours else "")


def test_slovakias_cbss_observer_status_is_a_gap_the_factbook_shows():
    differences, _ = factbook.compare(code="SK")
    day = datetime.date.fromisoformat(entry("Slovakia")["changed"])
    by_organization = {d.organization: d for d in differences}
    # The Factbook names Slovakia a CBSS observer; the data set has no CBSS period of Slovakia's that day.
    assert "CBSS (observer)" in entry("Slovakia")["participation"]
    assert not Membership.objects.on(day).filter(country__code="SK", organization__slug="cbss").exists()
    assert by_organization["cbss"].kind == factbook.LACKS and by_organization["cbss"].factbook == "CBSS (observer)"


def test_every_state_the_factbook_lists_is_compared_or_named_as_unmatched():
    differences, unmatched = factbook.compare()
    assert len({d.code for d in differences}) > 50
    compared = len(factbook.extract()["countries"]) - len(unmatched) - len(factbook.NOT_STATES)
    assert compared > 220
    assert all(d.kind in factbook.CLASSES for d in differences)
    # A territory the data set does not hold is named, not silently dropped.
    assert "australia-oceania/pc.json" in unmatched


def test_the_command_and_the_admin_page_show_the_factbook_gaps(admin_client, client):
    out = io.StringIO()
    call_command("crosscheck_gaps", "--against", "factbook", "--country", "SK", stdout=out)
    text = out.getvalue()
    assert "Slovakia (SK), on 2026-01" in text
    assert "cbss: Factbook CBSS (observer); here nothing [product_lacks]" in text
    assert "nato:" not in text
    assert b'href="/admin/crosscheck/factbook/"' in admin_client.get("/admin/").content
    page = admin_client.get("/admin/crosscheck/factbook/?country=SK").content.decode()
    assert "<td>cbss</td><td>CBSS (observer)</td><td>nothing</td><td>product_lacks</td>" in page
    assert admin_client.get("/admin/crosscheck/factbook/?class=nonsense").status_code == 400
    assert admin_client.get("/admin/crosscheck/factbook/?country=ZZ").status_code == 404
    assert client.get("/admin/crosscheck/factbook/").status_code == 302  # staff only
