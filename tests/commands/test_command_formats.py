"""`memberships` and `members` also print CSV and JSON, with the API's fields."""

import csv
import io
import json

import pytest
from django.core.management import call_command

from tests.commands.test_commands import ROMANIA_2021_12_30

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_memberships_csv():
    rows = list(csv.DictReader(io.StringIO(run("memberships", "Romania", "--as-of", "2021-12-30", "--format", "csv"))))
    assert sorted(r["organization.acronym"] for r in rows) == sorted(ROMANIA_2021_12_30)
    assert rows[0]["country.iso2"] == "RO" and rows[0]["sources.quote"]


def test_members_json():
    body = json.loads(run("members", "nato", "--as-of", "2021-12-30", "--format", "json"))
    assert body["as_of"] == "2021-12-30" and body["statuses"] == ["member"] and body["count"] == 30
    assert body["organization"]["code"] == "NATO"
    assert len(body["results"]) == 30 and body["results"][0]["sources"]


def test_members_history_json_has_no_day():
    body = json.loads(run("members", "eu", "--history", "--status", "all", "--format", "json"))
    assert body["as_of"] is None and "candidate" in body["statuses"]


def test_table_is_the_default():
    assert "Acronym" in run("memberships", "RO", "--as-of", "2021-12-30")
