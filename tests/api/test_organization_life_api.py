"""The API of an organization's own life on the real fixtures: organizations among the members, what an
organization itself belongs to, its names and successions, and the periods that only possibly cover a day."""

import datetime

import pytest
from rest_framework.test import APIClient

from alliances.models import Membership, OrganizationMembership
from alliances.rules import periods

pytestmark = pytest.mark.django_db

API = "/api/v1/"
D = datetime.date.fromisoformat


@pytest.fixture
def api():
    return APIClient()


def get(api, path, status=200):
    response = api.get(API + path)
    assert response.status_code == status, response.content[:300]
    return response.json()


def expected_states(slug, day):
    return set(
        Membership.objects.filter(organization__slug=slug, status="member")
        .on(day)
        .values_list("country__code", flat=True)
    )


def test_the_g20_lists_the_eu_and_the_au_as_organizations_and_counts_only_states(api):
    day = D("2024-01-01")
    body = get(api, "organizations/g20/members/?as_of=2024-01-01")
    states = {item["country"]["code"] for item in body["results"]}
    assert states == expected_states("g20", day)
    assert body["count"] == len(states)
    others = {item["member"]["slug"]: item for item in body["member_organizations"]}
    assert set(others) == {"eu", "au"}
    assert {item["member_type"] for item in others.values()} == {"organization"}
    assert others["au"]["start_date"] == "2023-09-09" and others["au"]["sources"][0]["quote"]
    # Before the New Delhi summit only the EU.
    body = get(api, "organizations/g20/members/?as_of=2023-09-08")
    assert [item["member"]["slug"] for item in body["member_organizations"]] == ["eu"]


def test_state_filters_stay_about_states(api):
    body = get(api, "countries/?member_of=g20&as_of=2024-01-01&page_size=100")
    codes = {c["code"] for c in body["results"]}
    assert codes == expected_states("g20", D("2024-01-01"))
    assert not {"European Union", "African Union"} & {c["name"] for c in body["results"]}


def test_what_the_eu_itself_belongs_to(api):
    body = get(api, "organizations/eu/memberships/?as_of=2024-01-01")
    expected = set(
        OrganizationMembership.objects.filter(member__slug="eu", status="member")
        .on(D("2024-01-01"))
        .values_list("organization__slug", flat=True)
    )
    assert {item["organization"]["slug"] for item in body["results"]} == expected
    assert {"g20", "wto", "cbss"} <= expected
    assert body["count"] == len(expected)
    # In 1993 the CBSS (March 1992) and the G7 (1977) only.
    body = get(api, "organizations/European%20Union/memberships/?as_of=1993-01-01")
    assert sorted(item["organization"]["slug"] for item in body["results"]) == ["cbss", "g7"]
    body = get(api, "organizations/eu/memberships/?history=true")
    every_member_period = OrganizationMembership.objects.filter(member__slug="eu", status="member")
    assert body["as_of"] is None and body["count"] == every_member_period.count()
    # A state belongs to nothing as an organization.
    assert get(api, "organizations/nato/memberships/")["results"] == []


def test_lineage_gives_names_and_successions(api):
    body = get(api, "organizations/osce/lineage/")
    assert [(n["acronym"], n["valid_from"], n["valid_to"]) for n in body["names"]] == [
        ("CSCE", "1975-08-01", "1994-12-31"),
        ("OSCE", "1995-01-01", None),
    ]
    assert body["names"][0]["source"]["url"] == "https://www.osce.org/mc/58703"
    body = get(api, "organizations/oecd/lineage/")
    assert [(s["predecessor"]["slug"], s["date"], s["kind"]) for s in body["predecessors"]] == [
        ("oeec", "1961-09-30", "replaced")
    ]
    body = get(api, "organizations/weu/lineage/")
    assert [(s["successor"]["slug"], s["kind"]) for s in body["successors"]] == [("eu", "functions_transferred")]
    g7 = [n["acronym"] for n in get(api, "organizations/g7/lineage/")["names"]]
    assert g7 == ["G7", "G8", "G7"]


def a_possible_day():
    """A state's period whose start is known to the year only, and a day of that year before its stored start."""
    period = (
        Membership.objects.filter(start_precision="year", status="member")
        .exclude(start_date__month=1, start_date__day=1)
        .select_related("country", "organization")
        .order_by("start_date", "pk")
        .first()
    )
    day = periods.earliest_day(period.start_date, "year")
    assert periods.certainty_on(day, period.start_date, "year", period.end_date, period.end_precision) == "possible"
    return period, day


def test_include_possible_adds_the_periods_that_only_possibly_cover_the_day(api):
    period, day = a_possible_day()
    path = f"organizations/{period.organization.slug}/members/?as_of={day.isoformat()}"
    default = get(api, path)
    assert period.country.code not in {item["country"]["code"] for item in default["results"]}
    assert all("certainty" not in item for item in default["results"])  # the default answer is unchanged
    marked = get(api, path + "&include_possible=true")
    certainty = {item["country"]["code"]: item["certainty"] for item in marked["results"]}
    assert certainty[period.country.code] == "possible"
    assert {code for code, c in certainty.items() if c == "certain"} == {
        item["country"]["code"] for item in default["results"]
    }
    assert marked["count"] == len(marked["results"])
    # The same period seen from the state.
    mine = get(api, f"countries/{period.country.code}/memberships/?as_of={day.isoformat()}&include_possible=true")
    assert {i["organization"]["slug"]: i["certainty"] for i in mine["results"]}[period.organization.slug] == "possible"


def test_include_possible_marks_organizations_too(api):
    # The EU's CBSS seat is dated March 1992; the CBSS met on the 6th.
    assert get(api, "organizations/cbss/members/?as_of=1992-03-10")["member_organizations"] == []
    body = get(api, "organizations/cbss/members/?as_of=1992-03-10&include_possible=true")
    assert [(i["member"]["slug"], i["certainty"]) for i in body["member_organizations"]] == [("eu", "possible")]
    body = get(api, "organizations/eu/memberships/?as_of=1992-03-10&include_possible=true")
    assert {i["organization"]["slug"]: i["certainty"] for i in body["results"]} == {"g7": "certain", "cbss": "possible"}


@pytest.mark.parametrize(
    ("path", "status", "key"),
    [
        ("organizations/eu/memberships/?include_possible=maybe", 400, "include_possible"),
        ("organizations/eu/memberships/?as_of=1992-13-01", 400, "as_of"),
        ("organizations/eu/lineage/?as_of=2000-01-01", 400, None),
        ("organizations/no-such-body/memberships/", 404, None),
        ("organizations/no-such-body/lineage/", 404, None),
    ],
)
def test_bad_input_is_a_json_error(api, path, status, key):
    body = get(api, path, status)
    assert isinstance(body, dict) and body
    if key:
        assert key in body
