"""The gaps reports' filters (alliances/opendata/gaps.py): the admin's pages and the command read them alike."""

import io

import pytest
from django.core.management import CommandError, call_command

from alliances.opendata import cow, factbook, gaps

pytestmark = pytest.mark.django_db


def test_a_state_by_code_in_any_case_or_by_name():
    assert gaps.report_filters("ro", None, cow.CLASSES) == ("RO", None)
    assert gaps.report_filters("Romania", "product_lacks", factbook.CLASSES) == ("RO", "product_lacks")
    assert gaps.report_filters(None, None, cow.CLASSES) == (None, None)
    assert gaps.report_filters("ROU", None, cow.CLASSES) == ("RO", None)  # any code or alias the site knows
    with pytest.raises(gaps.UnknownCountry, match="No country matches “Atlantis”"):
        gaps.report_filters("Atlantis", None, cow.CLASSES)


def test_a_class_is_one_of_the_reports_own():
    other = sorted(set(factbook.CLASSES) - set(cow.CLASSES))[0]
    with pytest.raises(gaps.UnknownClass, match="one of"):
        gaps.report_filters(None, other, cow.CLASSES)


def test_the_admin_and_the_command_answer_the_same_filters_alike(admin_client):
    """A name and a lower-case code reach the same state in both; a class of the other report is refused by both."""
    page = admin_client.get("/admin/crosscheck/factbook/", {"country": "sk"})
    assert page.status_code == 200 and "Slovakia" in page.content.decode()
    out = io.StringIO()
    call_command("crosscheck_gaps", "--against", "factbook", "--country", "Slovakia", stdout=out)
    assert "Slovakia (SK)" in out.getvalue()
    other = sorted(set(factbook.CLASSES) - set(cow.CLASSES))[0]
    assert admin_client.get("/admin/crosscheck/cow/", {"class": other}).status_code == 400
    with pytest.raises(CommandError, match="Unknown class"):
        call_command("crosscheck_gaps", "--class", other, stdout=io.StringIO())
