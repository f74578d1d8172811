"""Issue 11: whole CSV downloads named by the data version, Link headers, unknown parameters, list headers."""

import csv
import io

import pytest
from rest_framework.test import APIClient

from alliances.models import Country, Membership
from alliances.store import audit

API = "/api/v1/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return APIClient()


def content(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def rows(response):
    return list(csv.DictReader(io.StringIO(content(response).decode("utf-8"))))


def test_membership_csv_is_every_row_not_a_page(client):
    response = client.get(API + "memberships/", {"format": "csv"})
    assert response.status_code == 200 and response.streaming
    got = rows(response)
    assert len(got) == Membership.objects.count() > 50
    assert len({row["id"] for row in got}) == len(got)
    version = audit.data_version()
    assert response["Content-Disposition"] == f'attachment; filename="alliances-memberships-{version}.csv"'


def test_country_csv_by_accept_header_is_whole(client):
    response = client.get(API + "countries/", HTTP_ACCEPT="text/csv")
    assert len(rows(response)) == Country.objects.count()
    assert "alliances-countries-" in response["Content-Disposition"]


def test_filtered_csv_keeps_the_filter(client):
    got = rows(
        client.get(
            API + "memberships/", {"format": "csv", "organization": "nato", "as_of": "2021-12-30", "status": "member"}
        )
    )
    assert len(got) == 30 and {row["organization.slug"] for row in got} == {"nato"}


def test_csv_columns_are_the_same_for_every_row(client):
    text = content(client.get(API + "memberships/", {"format": "csv"})).decode()
    header, *lines = list(csv.reader(io.StringIO(text)))
    assert header[:4] == ["id", "country.code", "country.iso2", "country.name"] and "sources.quote" in header
    assert {len(line) for line in lines} == {len(header)}


def test_sub_collection_csv_is_an_attachment_named_by_version(client):
    response = client.get(API + "organizations/nato/members/", {"format": "csv"})
    assert response.status_code == 200
    version = audit.data_version()
    assert response["Content-Disposition"] == (
        f'attachment; filename="alliances-organizations-nato-members-{version}.csv"'
    )


def test_explicit_format_wins_over_accept(client):
    response = client.get(API + "memberships/", {"format": "csv"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    response = client.get(API + "countries/RO/", {"format": "json"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response.json()["iso2"] == "RO"


def test_csv_etag_gives_304_and_a_repeat_is_served_from_the_cache(client):
    first = client.get(API + "memberships/", {"format": "csv", "organization": "eu"})
    body = content(first)
    etag = first["ETag"]
    assert etag
    again = client.get(API + "memberships/", {"format": "csv", "organization": "eu"})
    assert again["X-Cache"] == "hit" and content(again) == body and again["ETag"] == etag
    assert again["Content-Disposition"] == first["Content-Disposition"]
    not_modified = client.get(API + "memberships/", {"format": "csv", "organization": "eu"}, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304


def test_csv_is_never_stale_after_a_write(client):
    first = rows(client.get(API + "memberships/", {"format": "csv", "organization": "eu"}))
    Membership.objects.filter(organization__slug="eu", country__iso2="RO").update(own_status="changed")
    again = client.get(API + "memberships/", {"format": "csv", "organization": "eu"})
    assert next(r for r in rows(again) if r["country.iso2"] == "RO")["own_status"] == "changed"
    assert next(r for r in first if r["country.iso2"] == "RO")["own_status"] != "changed"


def test_json_lists_carry_link_headers(client):
    response = client.get(API + "memberships/", {"page_size": 10, "page": 2})
    links = {
        part.split('rel="')[1].rstrip('"'): part.split(">")[0].lstrip("<") for part in response["Link"].split(", ")
    }
    assert set(links) == {"next", "prev", "first", "last"}
    assert "page=3" in links["next"] and "page=1" in links["first"]
    last = (Membership.objects.count() + 9) // 10
    assert f"page={last}" in links["last"]
    assert client.get(links["last"]).status_code == 200


@pytest.mark.parametrize(
    "path, params, name",
    [
        ("memberships/", {"asof": "2020-01-01"}, "asof"),
        ("countries/", {"memberof": "nato"}, "memberof"),
        ("organizations/", {"as_of": "2020-01-01"}, "as_of"),
        ("sources/", {"search": "x"}, "search"),
        ("countries/RO/", {"as_of": "2020-01-01"}, "as_of"),
        ("countries/RO/memberships/", {"asof": "2020-01-01"}, "asof"),
        ("organizations/nato/members/", {"organization": "eu"}, "organization"),
        ("organizations/nato/changes/", {"since": "2020-01-01"}, "since"),
        ("countries/RO/memberships/", {"page": "2"}, "page"),
    ],
)
def test_unknown_query_parameter_is_a_400_that_names_it(client, path, params, name):
    response = client.get(API + path, params)
    assert response.status_code == 400
    body = response.json()
    assert body["unknown"] == [name] and name in body["detail"]
    assert "format" in body["accepted"]


def test_accepted_parameters_are_listed(client):
    body = client.get(API + "countries/RO/memberships/", {"asof": "2020-01-01"}).json()
    assert body["accepted"] == ["as_of", "format", "history", "include_possible", "organization", "status"]
    body = client.get(API + "memberships/", {"asof": "2020-01-01"}).json()
    assert {"as_of", "country", "organization", "status", "page", "page_size", "format"} == set(body["accepted"])


def test_country_memberships_take_organization(client):
    body = client.get(API + "countries/RO/memberships/", {"organization": "nato", "as_of": "2021-12-30"}).json()
    assert [r["organization"]["slug"] for r in body["results"]] == ["nato"]
    assert client.get(API + "countries/RO/memberships/", {"organization": "nope"}).status_code == 400


def test_every_list_states_its_day_and_statuses(client):
    countries = client.get(API + "countries/", {"member_of": "nato", "as_of": "2021-12-30"}).json()
    assert countries["as_of"] == "2021-12-30" and countries["statuses"] == ["member"]
    memberships = client.get(API + "memberships/", {"status": "candidate"}).json()
    assert memberships["as_of"] is None and memberships["statuses"] == ["candidate"]
    members = client.get(API + "organizations/eu/members/", {"status": "all"}).json()
    assert "member" in members["statuses"] and "candidate" in members["statuses"]
    organizations = client.get(API + "organizations/").json()
    assert organizations["as_of"] and organizations["statuses"] == ["member"]
