"""Read side of the REST API (/api/v1/), checked against the real fixtures.

Expected sets are computed from the ORM where the brief asks for it, so a
correction to the data does not break the tests; the well-known head counts
(NATO 30 then 32, EU 28 then 27, OSCE 57, B9 9) are pinned on purpose.
"""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from alliances import names, selectors
from alliances.api.views import REPRESENTATIONS
from alliances.choices import MembershipStatus
from alliances.models import Country, Membership, Organization, Source
from alliances.platform import readmodel
from alliances.store import audit

pytestmark = pytest.mark.django_db

API = "/api/v1/"
TODAY = datetime.date.today()
MEMBERSHIP_KEYS = {
    "id",
    "country",
    "organization",
    "status",
    "own_status",
    "founding",
    "start_date",
    "start_precision",
    "end_date",
    "end_precision",
    "sources",
}
SOURCE_KEYS = {"title", "publisher", "url", "published", "kind", "quote"}
COUNTRY_KEYS = {
    "code",
    "iso2",
    "iso3",
    "numeric",
    "name",
    "official_name",
    "exists_from",
    "exists_to",
    "cow_code",
    "cow_abbr",
    "aliases",
    "predecessors",
    "successors",
}
COUNTRY_CSV_COLUMNS = [
    *["code", "iso2", "iso3", "numeric", "name", "official_name", "exists_from", "exists_to"],
    *["cow_code", "cow_abbr", "aliases"],
    *[f"{side}.{key}" for side in ("predecessors", "successors") for key in ("code", "name", "date", "kind")],
]
# Romania on 2021-12-30 (and today): the seed's four, and the Council of Europe and the NATO–Russia Council.
# Romania's groups on 2021-12-30 (the seed's four, the CoE and the NRC, and the universal, European and
# regional bodies recorded since); tests/commands/test_commands.py lists them by acronym.
ROMANIA_2021 = {
    "nato", "eu", "osce", "b9", "coe", "nrc", "un", "wto", "eea", "bsec", "cei", "seecp", "rcc", "three-seas",
    "francophonie", "craiova", "ufm",
}  # fmt: skip
# The nine the EU's own pages date (and none has joined since): issue 9's list.
# The organizations of the first releases, whose member counts today these tests know by heart.
ORIGINAL_NINE = ["nato", "eu", "osce", "b9", "coe", "warsaw-pact", "csto", "v4", "nrc"]
EU_CANDIDATES_TODAY = {"TR", "MK", "ME", "RS", "AL", "BA", "GE", "UA", "MD"}


@pytest.fixture
def client():
    return APIClient()


def get_json(client, path, params=None, status=200):
    response = client.get(API + path, params or {})
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def content(response):
    """The body, whether streamed (a whole download) or not."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def get_csv(client, path, params=None, **headers):
    response = client.get(API + path, params or {}, **headers)
    assert response["Content-Type"].startswith("text/csv"), response.status_code
    body = content(response)
    assert response.status_code == 200, body[:500]
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


def all_pages(client, path, params=None):
    """Every item of a paginated list, following `next` links."""
    body = get_json(client, path, {**(params or {}), "page_size": 500})
    items = list(body["results"])
    while body["next"]:
        response = client.get(body["next"])
        assert response.status_code == 200
        body = response.json()
        items += body["results"]
    return items


def members_on(slug, day, statuses=("member",)):
    """Codes (RO; SUHH for a former state) of the members of an organization on a day, straight from the ORM."""
    return set(
        Membership.objects.on(day)
        .filter(organization__slug=slug, status__in=statuses)
        .values_list("country__code", flat=True)
    )


def iso2s(items):
    """The countries' codes: the alpha-2 code of today's states (former states have none, so their code)."""
    return {item["code"] for item in items}


def member_iso2s(body):
    return {item["country"]["code"] for item in body["results"]}


def org_slugs(body):
    return {item["organization"]["slug"] for item in body["results"]}


def assert_membership_shape(item):
    assert set(item) == MEMBERSHIP_KEYS
    assert set(item["country"]) == {"code", "iso2", "name"}
    assert set(item["organization"]) == {"slug", "acronym", "name", "kind", "dissolved", "dormant_since"}
    for source in item["sources"]:
        assert set(source) == SOURCE_KEYS


def assert_bad_request(client, path, params, parameter):
    body = get_json(client, path, params, status=400)
    assert parameter in body, body
    return body


# --- countries/ -------------------------------------------------------------------------------------------------


def test_country_list_is_paginated_and_ordered_by_name(client):
    body = get_json(client, "countries/", {"page_size": 10})
    assert set(body) == {"count", "as_of", "statuses", "next", "previous", "results"}
    # ISO 3166-1's 249, Kosovo (XK), and nine former states (five of ISO 3166-3's, BYAA, YDYE, UASS, ZBTZ)
    assert body["count"] == Country.objects.count() == 259
    assert body["previous"] is None and "page=2" in body["next"]
    assert len(body["results"]) == 10
    names = [c["name"] for c in body["results"]]
    assert names == sorted(names)
    assert set(body["results"][0]) == COUNTRY_KEYS

    second = client.get(body["next"]).json()
    assert second["previous"] and len(second["results"]) == 10
    assert not iso2s(second["results"]) & iso2s(body["results"])


def test_country_list_default_page_size_is_50(client):
    assert len(get_json(client, "countries/")["results"]) == 50


def test_country_list_last_page(client):
    body = get_json(client, "countries/", {"page": "last", "page_size": 100})
    assert body["next"] is None and len(body["results"]) == Country.objects.count() % 100


def test_country_list_follows_all_pages(client):
    assert iso2s(all_pages(client, "countries/")) == set(Country.objects.values_list("code", flat=True))


@pytest.mark.parametrize(
    "slug, day, count",
    [
        ("nato", "2021-12-30", 30),
        ("nato", None, 32),
        ("eu", "2019-06-01", 28),
        ("eu", "2020-01-31", 28),
        ("eu", "2020-02-01", 27),
        ("eu", None, 27),
        ("osce", None, 57),
        ("b9", None, 9),
        ("b9", "2015-11-03", 0),
        ("b9", "2015-11-04", 9),
    ],
)
def test_country_list_member_of_counts(client, slug, day, count):
    params = {"member_of": slug, **({"as_of": day} if day else {})}
    body = get_json(client, "countries/", params)
    assert body["count"] == count
    expected = members_on(slug, datetime.date.fromisoformat(day) if day else TODAY)
    assert iso2s(all_pages(client, "countries/", params)) == expected


def test_country_list_member_of_eu_not_member_of_nato(client, day):
    params = {"member_of": "eu", "not_member_of": "nato", "as_of": "2021-12-30"}
    expected = members_on("eu", day("2021-12-30")) - members_on("nato", day("2021-12-30"))
    assert expected  # Austria, Cyprus, Finland, Ireland, Malta, Sweden
    assert {"AT", "FI", "SE", "IE"} <= expected and "RO" not in expected
    got = iso2s(all_pages(client, "countries/", params))
    assert got == expected
    via_selector = selectors.country_list(
        member_of=[selectors.organization_resolve("eu")],
        not_member_of=[selectors.organization_resolve("nato")],
        as_of=day("2021-12-30"),
    )
    assert got == {c.iso2 for c in via_selector}


def test_country_list_not_member_of_moves_with_as_of(client, day):
    # Finland and Sweden stop being "EU but not NATO" on the days they joined NATO.
    def eu_not_nato(as_of):
        return iso2s(all_pages(client, "countries/", {"member_of": "eu", "not_member_of": "nato", "as_of": as_of}))

    assert {"FI", "SE"} <= eu_not_nato("2023-04-03")
    assert "FI" not in eu_not_nato("2023-04-04") and "SE" in eu_not_nato("2023-04-04")
    assert "SE" in eu_not_nato("2024-03-06")
    assert not {"FI", "SE"} & eu_not_nato("2024-03-07")


def test_country_list_repeated_member_of_is_intersection(client, day):
    for as_of in ("2021-12-30", TODAY.isoformat()):
        got = iso2s(all_pages(client, "countries/", {"member_of": ["nato", "eu"], "as_of": as_of}))
        d = day(as_of)
        assert got == members_on("nato", d) & members_on("eu", d)
        assert "RO" in got and "US" not in got and "AT" not in got


def test_country_list_three_way_filter(client, day):
    params = {"member_of": ["NATO", "European Union"], "not_member_of": ["b9", "osce"], "as_of": "2021-12-30"}
    d = day("2021-12-30")
    expected = (members_on("nato", d) & members_on("eu", d)) - members_on("b9", d) - members_on("osce", d)
    assert iso2s(all_pages(client, "countries/", params)) == expected


def test_country_list_repeated_not_member_of_excludes_each(client, day):
    params = {"member_of": "osce", "not_member_of": ["nato", "eu"], "as_of": "2021-12-30"}
    d = day("2021-12-30")
    expected = members_on("osce", d) - members_on("nato", d) - members_on("eu", d)
    got = iso2s(all_pages(client, "countries/", params))
    assert got == expected
    assert "CH" in got and "RO" not in got and "AT" not in got and "US" not in got


def test_country_list_status_filter(client):
    candidates = iso2s(all_pages(client, "countries/", {"member_of": "eu", "status": "candidate"}))
    assert candidates == members_on("eu", TODAY, statuses=("candidate",)) == EU_CANDIDATES_TODAY
    anything = iso2s(all_pages(client, "countries/", {"member_of": "eu", "status": "all"}))
    applicants = members_on("eu", TODAY, statuses=("applicant",))
    assert applicants == {"XK"}  # Kosovo, since its application of 2022-12-15
    assert anything == members_on("eu", TODAY) | EU_CANDIDATES_TODAY | applicants
    assert not EU_CANDIDATES_TODAY & iso2s(all_pages(client, "countries/", {"member_of": "eu"}))


def test_country_list_default_as_of_is_today(client):
    assert get_json(client, "countries/", {"member_of": "nato"})["count"] == len(members_on("nato", TODAY))
    explicit = get_json(client, "countries/", {"member_of": "nato", "as_of": TODAY.isoformat()})
    assert explicit["count"] == len(members_on("nato", TODAY))


@pytest.mark.parametrize(
    "search, expected",
    [("roman", "RO"), ("ROU", "RO"), ("642", "RO"), ("ro", "RO"), ("czech republic", "CZ"), ("Türk", "TR")],
)
def test_country_list_search(client, search, expected):
    assert expected in iso2s(all_pages(client, "countries/", {"search": search}))


def test_country_list_search_narrows(client):
    body = get_json(client, "countries/", {"search": "romania"})
    assert iso2s(body["results"]) == {"RO"} and body["count"] == 1
    assert get_json(client, "countries/", {"search": "zzzz"})["count"] == 0


def test_country_list_search_combines_with_member_of(client):
    got = iso2s(all_pages(client, "countries/", {"search": "ia", "member_of": "b9", "as_of": "2021-12-30"}))
    assert got == {"RO", "BG", "SK", "LV", "LT", "EE", "CZ"}  # Romania, Bulgaria, Slovakia, Latvia, ... Czechia


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"as_of": "2021-13-45"}, "as_of"),
        ({"as_of": "2021-02-30", "member_of": "nato"}, "as_of"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"status": "bogus"}, "status"),
        ({"member_of": "seato"}, "member_of"),
        ({"member_of": ["nato", "nope"]}, "member_of"),
        ({"not_member_of": "nope"}, "not_member_of"),
        ({"search": "x" * 300}, "search"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "10000"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
    ],
)
def test_country_list_bad_input_is_400_naming_the_parameter(client, params, parameter):
    assert_bad_request(client, "countries/", params, parameter)


def test_unknown_member_of_suggests(client):
    body = assert_bad_request(client, "countries/", {"member_of": "Bucharest"}, "member_of")
    assert "Bucharest Nine (b9)" in body["member_of"][0]


def test_country_list_csv(client):
    rows = get_csv(client, "countries/", {"format": "csv", "member_of": "b9"})
    assert len(rows) == 9
    assert list(rows[0]) == COUNTRY_CSV_COLUMNS
    assert {row["iso2"] for row in rows} == members_on("b9", TODAY)
    romania = next(row for row in rows if row["iso2"] == "RO")
    assert romania == {
        "code": "RO",
        "iso2": "RO",
        "iso3": "ROU",
        "numeric": "642",
        "name": "Romania",
        "official_name": "",
        "exists_from": "",
        "exists_to": "",
        "cow_code": "360",
        "cow_abbr": "ROM",
        "aliases": "",
        **{column: "" for column in COUNTRY_CSV_COLUMNS if column.startswith(("predecessors.", "successors."))},
    }


def test_country_list_csv_by_accept_header(client):
    rows = get_csv(client, "countries/", {"page_size": 7}, HTTP_ACCEPT="text/csv")
    assert len(rows) == Country.objects.count()  # a download is whole: page_size does not cut it
    czechia = get_csv(client, "countries/", {"search": "czechia"}, HTTP_ACCEPT="text/csv")
    assert czechia[0]["iso2"] == "CZ" and "Czech Republic" in czechia[0]["aliases"]


def test_country_list_csv_aliases_are_joined(client):
    rows = get_csv(client, "countries/", {"format": "csv", "search": "united states"})
    us = next(row for row in rows if row["iso2"] == "US")
    assert set(us["aliases"].split(" | ")) >= {"U.S.", "United States of America"}


# --- countries/{id}/ ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier, iso2",
    [
        ("RO", "RO"),
        ("ro", "RO"),
        ("rou", "RO"),
        ("ROU", "RO"),
        ("642", "RO"),
        ("Romania", "RO"),
        ("romania", "RO"),
        ("ROMANIA", "RO"),
        ("Czech%20Republic", "CZ"),
        ("Czechia", "CZ"),
        ("203", "CZ"),
        ("u.s.", "US"),
        ("US", "US"),
        ("United%20States%20of%20America", "US"),
        ("T%C3%BCrkiye", "TR"),
        ("Turkiye", "TR"),
        ("Turkey", "TR"),
        ("GB", "GB"),
        ("United%20Kingdom", "GB"),
        ("8", "AL"),
        ("008", "AL"),
    ],
)
def test_country_detail_by_any_identifier(client, identifier, iso2):
    body = get_json(client, f"countries/{identifier}/")
    assert body["iso2"] == iso2 == body["code"]
    assert set(body) == COUNTRY_KEYS


def test_country_detail_fields(client):
    assert get_json(client, "countries/RO/") == {
        "code": "RO",
        "iso2": "RO",
        "iso3": "ROU",
        "numeric": "642",
        "name": "Romania",
        "official_name": "",
        "exists_from": None,
        "exists_to": None,
        "cow_code": 360,
        "cow_abbr": "ROM",
        "aliases": [],
        "predecessors": [],
        "successors": [],
    }
    czechia = get_json(client, "countries/CZ/")
    assert czechia["name"] == "Czechia" and czechia["official_name"] == "Czech Republic"
    assert "Czech Republic" in czechia["aliases"] and "Czechia" not in czechia["aliases"]
    turkiye = get_json(client, "countries/Turkey/")
    assert turkiye["name"] == "Türkiye" and "Turkey" in turkiye["aliases"]


def test_country_detail_unknown_is_404_with_suggestions(client):
    body = get_json(client, "countries/Romnia/", status=404)
    assert set(body) == {"detail", "not_found", "suggestions"}
    assert body["not_found"] == {"kind": "country", "identifier": "Romnia"}
    assert body["suggestions"][0] == "Romania (RO)"
    assert "Romnia" in body["detail"]


def test_country_detail_unknown_code_is_404(client):
    body = get_json(client, "countries/QQ/", status=404)
    assert body["not_found"]["kind"] == "country"
    assert get_json(client, "countries/999/", status=404)["suggestions"] == []


def test_country_detail_404_is_json_even_when_csv_is_asked(client):
    response = client.get(API + "countries/Romnia/", {"format": "csv"})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "Romania (RO)" in response.json()["suggestions"]
    response = client.get(API + "countries/Romnia/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 404 and response.json()["not_found"]["identifier"] == "Romnia"


def test_country_detail_overlong_identifier_is_400(client):
    body = get_json(client, "countries/" + "x" * 300 + "/", status=400)
    assert "identifier" in body
    body = get_json(client, "countries/" + "x" * 300 + "/memberships/", status=400)
    assert "identifier" in body


def test_country_detail_csv(client):
    rows = get_csv(client, "countries/RO/", {"format": "csv"})
    assert rows == [
        {
            "code": "RO",
            "iso2": "RO",
            "iso3": "ROU",
            "numeric": "642",
            "name": "Romania",
            "official_name": "",
            "exists_from": "",
            "exists_to": "",
            "cow_code": "360",
            "cow_abbr": "ROM",
            "aliases": "",
            **{column: "" for column in COUNTRY_CSV_COLUMNS if column.startswith(("predecessors.", "successors."))},
        }
    ]


# --- countries/{id}/memberships/ ----------------------------------------------------------------------------------


def test_romania_on_2021_12_30_is_in_six_organizations(client):
    """The seed's four, and the Council of Europe and the NATO–Russia Council recorded since."""
    body = get_json(client, "countries/Romania/memberships/", {"as_of": "2021-12-30"})
    assert set(body) == {"country", "as_of", "statuses", "count", "results"}
    assert body["statuses"] == ["member"]
    assert body["country"] == {
        "code": "RO",
        "iso2": "RO",
        "iso3": "ROU",
        "numeric": "642",
        "name": "Romania",
        "official_name": "",
        "exists_from": None,
        "exists_to": None,
        "cow_code": 360,
        "cow_abbr": "ROM",
    }
    assert body["as_of"] == "2021-12-30"
    assert body["count"] == len(ROMANIA_2021) == len(body["results"])
    assert org_slugs(body) == ROMANIA_2021
    acronyms = [item["organization"]["acronym"] for item in body["results"]]
    assert acronyms == sorted(acronyms)
    for item in body["results"]:
        assert_membership_shape(item)
        assert item["country"] == {"code": "RO", "iso2": "RO", "name": "Romania"}
        assert item["status"] == "member"
        assert item["sources"], "every membership is sourced"


@pytest.mark.parametrize("identifier", ["RO", "rou", "642", "Romania", "romania"])
def test_country_memberships_by_any_identifier(client, identifier):
    body = get_json(client, f"countries/{identifier}/memberships/", {"as_of": "2021-12-30"})
    assert body["country"]["iso2"] == "RO" and body["count"] == len(ROMANIA_2021)


def test_country_memberships_default_as_of_is_today(client):
    body = get_json(client, "countries/RO/memberships/")
    assert body["as_of"] == TODAY.isoformat()
    assert org_slugs(body) == ROMANIA_2021 | {"schengen", "epc"}  # Schengen from 2024, the EPC from 2022


def continued_periods_on(country_code, day):
    """The periods on ``day`` of the states ``country_code`` continues, read straight from the ORM."""
    country = Country.objects.get(code=country_code)
    holders = []
    frontier = [country]
    while frontier:
        current = frontier.pop()
        for link in current.predecessor_links.filter(kind="continuation").select_related("predecessor"):
            holders.append(link.predecessor)
            frontier.append(link.predecessor)
    return {
        (m.organization.slug, m.country.code)
        for m in Membership.objects.on(day).filter(country__in=holders, status=MembershipStatus.MEMBER)
    }


@pytest.mark.parametrize("read_model", [True, False], ids=["read-model", "sql"])
@pytest.mark.parametrize("code, day", [("RU", "1985-06-01"), ("UA", "1985-06-01"), ("RS", "2005-06-01")])
def test_a_state_answers_for_the_seats_it_continues(client, settings, read_model, code, day):
    """Russia on 1 June 1985 held the USSR's seats (a continuation, one international person); each period
    names the state that held it. Both paths give the same periods."""
    if not read_model:
        settings.READ_MODEL_MAX_PERIODS = 0
    expected = continued_periods_on(code, datetime.date.fromisoformat(day))
    assert expected, f"the fixtures give {code}'s predecessors no period on {day}"
    body = get_json(client, f"countries/{code}/memberships/", {"as_of": day})
    assert {(item["organization"]["slug"], item["country"]["code"]) for item in body["results"]} == expected
    assert body["country"]["code"] == code


def test_a_state_that_seceded_does_not_answer_for_its_predecessors_seats(client):
    """Kazakhstan seceded from the USSR: on 1 June 1985 it was in nothing, though the USSR was in the UN."""
    assert Membership.objects.on(datetime.date(1985, 6, 1)).filter(country__code="SUHH").exists()
    assert get_json(client, "countries/KZ/memberships/", {"as_of": "1985-06-01"})["count"] == 0


def test_the_membership_list_filtered_by_state_stays_that_states_own(client):
    """``memberships/?country=RU`` filters periods by their state: the USSR's are not Russia's rows there."""
    body = get_json(client, "memberships/", {"country": "RU", "page_size": 500})
    assert body["results"] and {item["country"]["code"] for item in body["results"]} == {"RU"}


def test_membership_item_fields(client):
    body = get_json(client, "countries/GB/memberships/", {"history": "true", "status": "all"})
    eu = next(item for item in body["results"] if item["organization"]["slug"] == "eu")
    assert_membership_shape(eu)
    assert eu["organization"] == {
        "slug": "eu",
        "acronym": "EU",
        "name": "European Union",
        "kind": "economic_trade",
        "dissolved": None,
        "dormant_since": None,
    }
    assert eu["country"] == {"code": "GB", "iso2": "GB", "name": "United Kingdom"}
    assert (eu["status"], eu["founding"], eu["start_date"], eu["end_date"]) == (
        "member",
        False,
        "1973-01-01",
        "2020-01-31",
    )
    assert "note" not in eu, "the curators' working note stays in the admin"
    assert eu["sources"] and all(source["quote"] for source in eu["sources"])
    stored = Membership.objects.get(pk=eu["id"])
    assert stored.country.iso2 == "GB" and stored.organization.slug == "eu"
    titles = [source["title"] for source in eu["sources"]]
    assert titles == sorted(titles)


@pytest.mark.parametrize(
    "iso2, slug, last_day_out, first_day_in",
    [
        ("RO", "eu", "2006-12-31", "2007-01-01"),
        ("RO", "nato", "2004-03-28", "2004-03-29"),
        ("FI", "nato", "2023-04-03", "2023-04-04"),
        ("SE", "nato", "2024-03-06", "2024-03-07"),
        ("MK", "nato", "2020-03-26", "2020-03-27"),
        ("HR", "eu", "2013-06-30", "2013-07-01"),
        ("PL", "b9", "2015-11-03", "2015-11-04"),
    ],
)
def test_country_membership_on_the_day_it_joined_and_the_day_before(client, iso2, slug, last_day_out, first_day_in):
    before = get_json(client, f"countries/{iso2}/memberships/", {"as_of": last_day_out})
    on = get_json(client, f"countries/{iso2}/memberships/", {"as_of": first_day_in})
    assert slug not in org_slugs(before)
    assert slug in org_slugs(on)


def test_uk_in_eu_on_its_last_day_and_not_the_day_after(client):
    last_day = get_json(client, "countries/GB/memberships/", {"as_of": "2020-01-31"})
    day_after = get_json(client, "countries/GB/memberships/", {"as_of": "2020-02-01"})
    assert "eu" in org_slugs(last_day)
    assert "eu" not in org_slugs(day_after)
    assert {"nato", "osce"} <= org_slugs(day_after)
    # status=all does not bring back a finished period.
    assert "eu" not in org_slugs(
        get_json(client, "countries/GB/memberships/", {"as_of": "2020-02-01", "status": "all"})
    )


def test_country_memberships_status(client):
    default = get_json(client, "countries/UA/memberships/", {"as_of": "2023-01-01"})
    assert "eu" not in org_slugs(default)
    everything = get_json(client, "countries/UA/memberships/", {"as_of": "2023-01-01", "status": "all"})
    eu = next(item for item in everything["results"] if item["organization"]["slug"] == "eu")
    assert eu["status"] == "candidate"
    candidate = get_json(client, "countries/Ukraine/memberships/", {"as_of": "2023-01-01", "status": "candidate"})
    assert org_slugs(candidate) == {"eu"}
    before = get_json(client, "countries/UA/memberships/", {"as_of": "2022-06-22", "status": "candidate"})
    assert before["count"] == 0


def test_country_memberships_history(client):
    body = get_json(client, "countries/GB/memberships/", {"history": "true"})
    assert body["as_of"] is None
    assert "eu" in org_slugs(body)
    assert body["count"] == Membership.objects.filter(country__iso2="GB", status="member").count()
    # history ignores as_of
    same = get_json(client, "countries/GB/memberships/", {"history": "true", "as_of": "1900-01-01"})
    assert same["as_of"] is None and same["count"] == body["count"]
    everything = get_json(client, "countries/MD/memberships/", {"history": "1", "status": "all"})
    assert everything["count"] == Membership.objects.filter(country__iso2="MD").count()


def test_country_with_no_memberships(client):
    body = get_json(client, "countries/AQ/memberships/", {"history": "true", "status": "all"})
    assert body["count"] == 0 and body["results"] == []


def test_country_memberships_before_anything_existed(client):
    assert get_json(client, "countries/RO/memberships/", {"as_of": "0001-01-01"})["count"] == 0


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"as_of": "2021-13-45"}, "as_of"),
        ({"as_of": "30/12/2021"}, "as_of"),
        ({"status": "bogus"}, "status"),
        ({"history": "maybe"}, "history"),
    ],
)
def test_country_memberships_bad_input(client, params, parameter):
    assert_bad_request(client, "countries/RO/memberships/", params, parameter)


def test_country_memberships_unknown_country_is_404(client):
    body = get_json(client, "countries/Romnia/memberships/", status=404)
    assert "Romania (RO)" in body["suggestions"]


def test_country_memberships_csv(client):
    rows = get_csv(client, "countries/RO/memberships/", {"as_of": "2021-12-30", "format": "csv"})
    assert len(rows) == len(ROMANIA_2021)
    assert {row["organization.slug"] for row in rows} == ROMANIA_2021
    assert {row["country.iso2"] for row in rows} == {"RO"}
    for column in ("id", "status", "founding", "start_date", "end_date", "sources.title", "sources.quote"):
        assert column in rows[0]
    assert "note" not in rows[0]
    assert all(row["end_date"] == "" for row in rows)


def test_errors_are_json_even_when_csv_is_asked(client):
    for path, params in [
        ("countries/RO/memberships/", {"as_of": "2021-13-45"}),
        ("countries/", {"status": "bogus"}),
        ("memberships/", {"page": "0"}),
        ("organizations/nato/changes/", {"from": "2021-01-01", "to": "2020-01-01"}),
    ]:
        response = client.get(API + path, {**params, "format": "csv"})
        assert response.status_code == 400
        assert response["Content-Type"].startswith("application/json")
        assert response.json()
        response = client.get(API + path, params, HTTP_ACCEPT="text/csv")
        assert response.status_code == 400
        assert response["Content-Type"].startswith("application/json")


# --- organizations/ -----------------------------------------------------------------------------------------------


def test_organization_list_with_member_count_today(client):
    body = get_json(client, "organizations/")
    assert body["count"] == Organization.objects.count() > 50
    counts = {item["slug"]: item["member_count"] for item in all_pages(client, "organizations/")}
    assert {slug: counts[slug] for slug in ORIGINAL_NINE} == {
        "nato": 32,
        "eu": 27,
        "osce": 57,
        "b9": 9,
        "coe": 46,  # 47 until Russia's membership ended on 2022-03-16
        "warsaw-pact": 0,  # dissolved 1991-07-01
        "csto": 6,  # Uzbekistan suspended since 2012-12-19
        "v4": 4,
        "nrc": 31,  # Russia and the 30 Allies before Finland and Sweden joined NATO
    }
    for slug, count in counts.items():
        assert count == len(members_on(slug, TODAY))
    b9 = next(item for item in body["results"] if item["slug"] == "b9")
    assert b9["members_must_belong_to"] == ["nato"]
    assert "Bucharest Format" in b9["aliases"] and "Bucharest Nine" not in b9["aliases"]
    for slug, count in counts.items():  # every organization, whatever its kind
        assert count == len(members_on(slug, TODAY)), slug
    assert counts["un"] == 193 and counts["warsaw-pact"] == 0 and counts["comecon"] == 0
    acronyms = [item["acronym"] for item in all_pages(client, "organizations/")]
    assert acronyms == sorted(acronyms, key=lambda a: a.encode())  # ordered by acronym, as the database orders


@pytest.mark.parametrize(
    "identifier, slug",
    [
        ("nato", "nato"),
        ("NATO", "nato"),
        ("North%20Atlantic%20Treaty%20Organization", "nato"),
        ("OTAN", "nato"),
        ("EU", "eu"),
        ("eu", "eu"),
        ("European%20Union", "eu"),
        ("Bucharest%20Nine", "b9"),
        ("b9", "b9"),
        ("B9", "b9"),
        ("Bucharest%20Format", "b9"),
        ("OSCE", "osce"),
        ("Organization%20for%20Security%20and%20Cooperation%20in%20Europe", "osce"),
        ("Organization%20for%20Security%20and%20Co-operation%20in%20Europe", "osce"),
        ("CSCE", "osce"),
    ],
)
def test_organization_detail_by_any_identifier(client, identifier, slug):
    body = get_json(client, f"organizations/{identifier}/")
    assert body["slug"] == slug
    assert body["member_count"] == len(members_on(slug, TODAY))


def test_organization_detail_fields(client):
    body = get_json(client, "organizations/nato/")
    assert body["acronym"] == "NATO" and body["founded"] == "1949-08-24" and body["dissolved"] is None
    assert body["member_count"] == 32
    assert set(body) >= {"slug", "acronym", "name", "kind", "founded", "aliases", "member_count"}


def test_organization_unknown_is_404_with_suggestions(client):
    body = get_json(client, "organizations/Bucharest%20Nin/", status=404)
    assert body["not_found"] == {"kind": "organization", "identifier": "Bucharest Nin"}
    assert "Bucharest Nine (b9)" in body["suggestions"]
    for path in (
        "organizations/seato/",
        "organizations/seato/members/",
        "organizations/seato/changes/",
    ):
        assert get_json(client, path, status=404)["not_found"]["kind"] == "organization"


def test_organization_overlong_identifier_is_400(client):
    long = "x" * 300
    for path in (f"organizations/{long}/", f"organizations/{long}/members/", f"organizations/{long}/changes/"):
        assert "identifier" in get_json(client, path, status=400)


@pytest.mark.parametrize(
    "slug, as_of, count",
    [
        ("nato", "2021-12-30", 30),
        ("nato", "2020-03-26", 29),
        ("nato", "2020-03-27", 30),
        ("nato", "2023-04-03", 30),
        ("nato", "2023-04-04", 31),
        ("nato", "2024-03-06", 31),
        ("nato", "2024-03-07", 32),
        ("nato", None, 32),
        ("eu", "2019-06-01", 28),
        ("eu", "2020-01-31", 28),
        ("eu", "2020-02-01", 27),
        ("eu", None, 27),
        ("osce", None, 57),
        ("osce", "2021-12-30", 57),
        ("b9", None, 9),
        ("b9", "2021-12-30", 9),
        ("b9", "2015-11-03", 0),
    ],
)
def test_organization_members_counts(client, slug, as_of, count):
    body = get_json(client, f"organizations/{slug}/members/", {"as_of": as_of} if as_of else {})
    assert body["count"] == count == len(body["results"])
    assert body["as_of"] == (as_of or TODAY.isoformat())
    assert member_iso2s(body) == members_on(slug, datetime.date.fromisoformat(as_of) if as_of else TODAY)
    assert body["organization"]["slug"] == slug
    names = [item["country"]["name"] for item in body["results"]]
    assert names == sorted(names)


def test_nato_members_finland_and_sweden(client):
    def nato(as_of):
        return member_iso2s(get_json(client, "organizations/nato/members/", {"as_of": as_of}))

    assert "FI" not in nato("2023-04-03") and "FI" in nato("2023-04-04")
    assert "SE" not in nato("2024-03-06") and "SE" in nato("2024-03-07")
    assert {"FI", "SE"} <= nato(TODAY.isoformat())


def test_eu_members_uk_left(client):
    assert "GB" in member_iso2s(get_json(client, "organizations/eu/members/", {"as_of": "2020-01-31"}))
    assert "GB" not in member_iso2s(get_json(client, "organizations/eu/members/", {"as_of": "2020-02-01"}))


@pytest.mark.parametrize("identifier", ["nato", "NATO", "OTAN", "North%20Atlantic%20Alliance"])
def test_organization_members_by_any_identifier(client, identifier):
    body = get_json(client, f"organizations/{identifier}/members/", {"as_of": "2021-12-30"})
    assert body["organization"] == {
        "slug": "nato",
        "acronym": "NATO",
        "name": "North Atlantic Treaty Organization",
        "kind": "security_alliance",
        "dissolved": None,
        "dormant_since": None,
    }
    assert body["count"] == 30


def test_organization_members_status_and_history(client):
    candidates = get_json(client, "organizations/eu/members/", {"status": "candidate"})
    assert member_iso2s(candidates) == EU_CANDIDATES_TODAY
    everyone = get_json(client, "organizations/eu/members/", {"status": "all"})
    assert everyone["count"] == 27 + 9 + 1  # members, candidates, and Kosovo's application
    history = get_json(client, "organizations/eu/members/", {"history": "true"})
    assert history["as_of"] is None
    assert history["count"] == 28 == Membership.objects.filter(organization__slug="eu", status="member").count()
    assert "GB" in member_iso2s(history)
    every_period = get_json(client, "organizations/eu/members/", {"history": "true", "status": "all"})
    # 28 member periods, 23 candidacies (9 current, 14 that ended), Iceland's application
    assert every_period["count"] == Membership.objects.filter(organization__slug="eu").count() > 52


@pytest.mark.parametrize(
    "params, parameter",
    [({"as_of": "2021-13-45"}, "as_of"), ({"status": "bogus"}, "status"), ({"history": "maybe"}, "history")],
)
def test_organization_members_bad_input(client, params, parameter):
    assert_bad_request(client, "organizations/nato/members/", params, parameter)


def test_organization_members_csv(client):
    rows = get_csv(client, "organizations/nato/members/", {"as_of": "2021-12-30", "format": "csv"})
    assert len(rows) == 30
    assert {row["country.iso2"] for row in rows} == members_on("nato", datetime.date(2021, 12, 30))
    assert {row["organization.slug"] for row in rows} == {"nato"}
    rows = get_csv(client, "organizations/osce/members/", HTTP_ACCEPT="text/csv")
    assert len(rows) == 57


# --- organizations/{id}/changes/ ----------------------------------------------------------------------------------


def changes(client, slug, params=None):
    return get_json(client, f"organizations/{slug}/changes/", params)


def test_eu_changes_in_2020_are_the_uk_leaving(client):
    body = changes(client, "eu", {"from": "2020-01-01", "to": "2020-12-31"})
    assert body["organization"]["slug"] == "eu"
    assert (body["from"], body["to"], body["count"]) == ("2020-01-01", "2020-12-31", 1)
    (change,) = body["results"]
    assert change["date"] == "2020-01-31"
    assert change["change"] == "left"
    assert change["membership"]["country"]["iso2"] == "GB"
    assert change["membership"]["end_date"] == "2020-01-31"
    assert_membership_shape(change["membership"])


def test_departure_is_dated_by_its_last_day(client):
    assert changes(client, "eu", {"from": "2020-01-31", "to": "2020-01-31"})["count"] == 1
    assert changes(client, "eu", {"from": "2020-02-01", "to": "2020-12-31"})["count"] == 0
    assert changes(client, "eu", {"from": "2019-01-01", "to": "2020-01-30"})["count"] == 0


def test_nato_changes_since_2020_in_date_order(client):
    body = changes(client, "nato", {"from": "2020-01-01", "to": TODAY.isoformat()})
    got = [
        (c["date"], c["change"], c["membership"]["country"]["iso2"], c["membership"]["status"]) for c in body["results"]
    ]
    # Every status: each accession ends the country's Partnership for Peace period the day before.
    assert got == [
        ("2020-03-26", "left", "MK", "partner"),
        ("2020-03-27", "joined", "MK", "member"),
        ("2023-04-03", "left", "FI", "partner"),
        ("2023-04-04", "joined", "FI", "member"),
        ("2024-03-06", "left", "SE", "partner"),
        ("2024-03-07", "joined", "SE", "member"),
    ]
    assert body["to"] == TODAY.isoformat()


def test_changes_default_range_is_founding_to_today(client):
    body = changes(client, "nato")
    assert (body["from"], body["to"]) == ("1949-08-24", TODAY.isoformat())
    periods = Membership.objects.filter(organization__slug="nato")
    assert body["count"] == periods.count() + periods.filter(end_date__isnull=False).count()
    members = [c for c in body["results"] if c["membership"]["status"] == "member"]
    assert len(members) == 32 and {c["change"] for c in members} == {"joined"}
    dates = [c["date"] for c in body["results"]]
    assert dates == sorted(dates)
    assert changes(client, "nato", {"from": "2020-01-01"})["count"] == 6  # MK, FI, SE: partner left, member joined
    assert changes(client, "nato", {"to": "1949-08-24"})["count"] == 12


def test_eu_changes_include_candidates(client):
    body = changes(client, "eu", {"from": "2022-01-01", "to": "2022-12-31"})
    got = {
        (c["date"], c["change"], c["membership"]["country"]["iso2"], c["membership"]["status"]) for c in body["results"]
    }
    assert got == {
        ("2022-02-28", "joined", "UA", "applicant"),
        ("2022-03-03", "joined", "MD", "applicant"),
        ("2022-03-03", "joined", "GE", "applicant"),
        ("2022-06-22", "left", "UA", "applicant"),
        ("2022-06-22", "left", "MD", "applicant"),
        ("2022-06-23", "joined", "UA", "candidate"),
        ("2022-06-23", "joined", "MD", "candidate"),
        ("2022-12-14", "left", "BA", "applicant"),
        ("2022-12-15", "joined", "BA", "candidate"),
        ("2022-12-15", "joined", "XK", "applicant"),
    }


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"from": "2021-01-01", "to": "2020-01-01"}, "from"),
        ({"from": "2021-13-45"}, "from"),
        ({"to": "2021-13-45"}, "to"),
        ({"from": "soon"}, "from"),
        ({"from": "2100-01-01"}, "from"),  # after the default `to`, today
    ],
)
def test_changes_bad_input(client, params, parameter):
    assert_bad_request(client, "organizations/eu/changes/", params, parameter)


def test_changes_csv(client):
    rows = get_csv(client, "organizations/nato/changes/", {"from": "2020-01-01", "format": "csv"})
    assert [(row["date"], row["change"], row["membership.country.iso2"], row["membership.status"]) for row in rows] == [
        ("2020-03-26", "left", "MK", "partner"),
        ("2020-03-27", "joined", "MK", "member"),
        ("2023-04-03", "left", "FI", "partner"),
        ("2023-04-04", "joined", "FI", "member"),
        ("2024-03-06", "left", "SE", "partner"),
        ("2024-03-07", "joined", "SE", "member"),
    ]


# --- memberships/ -------------------------------------------------------------------------------------------------


def test_membership_list_without_filters_is_every_period_every_status(client):
    body = get_json(client, "memberships/")
    assert body["count"] == Membership.objects.count() > 1500
    assert body["statuses"] == list(MembershipStatus.values)
    assert len(body["results"]) == 50
    assert_membership_shape(body["results"][0])
    items = all_pages(client, "memberships/")
    assert len(items) == Membership.objects.count() == len({item["id"] for item in items})
    assert {item["status"] for item in items} == set(MembershipStatus.values)  # every status is recorded
    assert any(item["end_date"] == "2020-01-31" for item in items)


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"country": "RO"}, Membership.objects.filter(country__iso2="RO")),
        (
            {"country": "Romania", "as_of": "2021-12-30"},  # every status: a CBSS observer since 2009 too
            Membership.objects.filter(
                country__iso2="RO", status__in=["member", "observer"], end_date__isnull=True
            ).exclude(
                organization__slug__in=["schengen", "epc"]  # from 2024 and 2022
            ),
        ),
        (
            {"country": "rou", "as_of": "2006-12-31"},  # the last day of its EU candidacy: what the model says
            Membership.objects.on(datetime.date(2006, 12, 31)).filter(country__iso2="RO"),
        ),
        (
            {"organization": "eu", "status": "candidate"},
            Membership.objects.filter(organization__slug="eu", status="candidate"),
        ),
        (
            {"organization": "EU", "as_of": "2020-02-01"},  # every status: the candidates and applicant of the day
            Membership.objects.filter(organization__slug="eu", status="member").exclude(country__iso2="GB")
            | Membership.objects.filter(
                organization__slug="eu", status="candidate", country__iso2__in=["AL", "ME", "MK", "RS", "TR"]
            )
            | Membership.objects.filter(organization__slug="eu", status="applicant", country__iso2="BA"),
        ),
        (
            {"organization": "eu", "as_of": "2023-01-01"},  # Georgia an applicant until 2023-12-13
            Membership.objects.filter(organization__slug="eu", end_date__isnull=True).exclude(country__iso2="GE")
            | Membership.objects.filter(organization__slug="eu", status="applicant", country__iso2="GE"),
        ),
        (
            {"organization": "eu", "as_of": "2023-01-01", "status": "member"},
            Membership.objects.filter(organization__slug="eu", status="member").exclude(country__iso2="GB"),
        ),
        ({"organization": "eu", "status": "all"}, Membership.objects.filter(organization__slug="eu")),
        (
            {"country": "GB", "organization": "European Union"},
            Membership.objects.filter(country__iso2="GB", organization__slug="eu"),
        ),
        (
            {"organization": "nato", "as_of": "2021-12-30"},  # every status: partners, Russia's suspension
            Membership.objects.filter(organization__slug="nato", status="member").exclude(
                country__iso2__in=["FI", "SE"]
            )
            | Membership.objects.filter(organization__slug="nato", status="partner", end_date__isnull=True)
            | Membership.objects.filter(organization__slug="nato", status="partner", country__iso2__in=["FI", "SE"])
            | Membership.objects.filter(organization__slug="nato", status="suspended", country__iso2="RU"),
        ),
        (  # the day before the Council of Europe began: the UN, GATT, the OEEC, the Commonwealth …
            {"as_of": "1949-08-02"},
            Membership.objects.on(datetime.date(1949, 8, 2)),
        ),
    ],
    ids=lambda value: "-".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else "",
)
def test_membership_list_filters(client, params, expected):
    items = all_pages(client, "memberships/", params)
    assert {item["id"] for item in items} == set(expected.values_list("pk", flat=True))


def test_membership_list_filters_count(client):
    member = {"status": "member"}
    assert get_json(client, "memberships/", {"organization": "eu", "as_of": "2019-06-01", **member})["count"] == 28
    assert get_json(client, "memberships/", {"organization": "eu", "as_of": "2020-02-01", **member})["count"] == 27
    # Every status: AL, ME, MK, RS and TR were candidates on both days.
    # Every status: AL, ME, MK, RS and TR candidates, Bosnia and Herzegovina an applicant, on both days.
    assert get_json(client, "memberships/", {"organization": "eu", "as_of": "2019-06-01"})["count"] == 28 + 5 + 1
    assert get_json(client, "memberships/", {"organization": "eu", "as_of": "2020-02-01"})["count"] == 27 + 5 + 1
    # 57 participating States and 11 Partners for Co-operation.
    assert get_json(client, "memberships/", {"organization": "osce", "as_of": TODAY.isoformat()})["count"] == 57 + 11
    # Every period: 63 member periods (former states and their successors apart), Yugoslavia's suspension,
    # and 12 partner periods (Mongolia's ended when it became a participating State).
    assert get_json(client, "memberships/", {"organization": "osce"})["count"] == 64 + 12
    assert get_json(client, "memberships/", {"organization": "b9", "as_of": "2021-12-30"})["count"] == 9
    assert (
        get_json(client, "memberships/", {"country": "GB", "organization": "eu", "as_of": "2020-01-31"})["count"] == 1
    )
    assert (
        get_json(client, "memberships/", {"country": "GB", "organization": "eu", "as_of": "2020-02-01"})["count"] == 0
    )


def test_membership_list_order(client):
    items = all_pages(client, "memberships/", {"organization": "nato"})
    starts = [item["start_date"] for item in items]
    assert starts == sorted(starts)


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "10000"}, "page_size"),
        ({"page_size": "-5"}, "page_size"),
        ({"as_of": "2021-13-45"}, "as_of"),
        ({"status": "bogus"}, "status"),
        ({"country": "Romnia"}, "country"),
        ({"country": "x" * 300}, "country"),
        ({"organization": "nope"}, "organization"),
    ],
)
def test_membership_list_bad_input(client, params, parameter):
    assert_bad_request(client, "memberships/", params, parameter)


@pytest.mark.parametrize("parameter", ["page", "page_size"])
def test_membership_list_superscript_digit_is_400(client, parameter):
    assert_bad_request(client, "memberships/", {parameter: "²"}, parameter)


@pytest.mark.parametrize(
    "path, params, organization_lookup",
    [
        ("countries/", {"member_of": "na\x00to"}, True),
        ("memberships/", {"organization": "e\x00u"}, True),
        ("organizations/na%00to/members/", {}, True),
        ("organizations/Bucharest%00Nine/", {}, True),
        ("memberships/", {"country": "R\x00O"}, False),
        ("countries/R%00O/", {}, False),
    ],
)
def test_nul_character_in_identifier_is_not_a_server_error(client, request, path, params, organization_lookup):
    response = client.get(API + path, params)
    assert response.status_code in (200, 400, 404)
    assert response["Content-Type"].startswith("application/json")


def test_membership_list_unknown_country_suggests(client):
    body = assert_bad_request(client, "memberships/", {"country": "Romnia"}, "country")
    assert "Romania (RO)" in body["country"][0]


def test_membership_list_page_past_the_end_is_404_json(client):
    response = client.get(API + "memberships/", {"page": "99"})
    assert response.status_code == 404 and "detail" in response.json()


def test_membership_list_page_size_bounds(client):
    assert len(get_json(client, "memberships/", {"page_size": "1"})["results"]) == 1
    assert len(get_json(client, "memberships/", {"page_size": "500"})["results"]) == 500


def test_membership_list_csv(client):
    rows = get_csv(client, "memberships/", {"organization": "b9", "format": "csv"})
    assert len(rows) == 9
    assert list(rows[0])[:17] == [
        "id",
        "country.code",
        "country.iso2",
        "country.name",
        "organization.slug",
        "organization.acronym",
        "organization.name",
        "organization.kind",
        "organization.dissolved",
        "organization.dormant_since",
        "status",
        "own_status",
        "founding",
        "start_date",
        "start_precision",
        "end_date",
        "end_precision",
    ]
    assert {row["country.iso2"] for row in rows} == members_on("b9", TODAY)
    gb = get_csv(client, "memberships/", {"country": "GB", "organization": "eu"}, HTTP_ACCEPT="text/csv")
    assert len(gb) == 1 and gb[0]["end_date"] == "2020-01-31"
    n_sources = Membership.objects.get(country__iso2="GB", organization__slug="eu").citations.count()
    assert len(gb[0]["sources.title"].split(" | ")) == n_sources


def test_membership_list_csv_is_whole_whatever_the_page_size(client):
    rows = get_csv(client, "memberships/", {"format": "csv", "page_size": 20})
    assert len(rows) == Membership.objects.count() > 20
    assert len({row["id"] for row in rows}) == len(rows)


def test_membership_detail(client):
    pk = Membership.objects.get(country__iso2="FI", organization__slug="nato", status="member").pk
    body = get_json(client, f"memberships/{pk}/")
    assert_membership_shape(body)
    assert body["id"] == pk and body["start_date"] == "2023-04-04" and body["end_date"] is None
    assert get_json(client, "memberships/99999999/", status=404)["detail"]


# --- sources/ -----------------------------------------------------------------------------------------------------


def test_sources(client):
    body = get_json(client, "sources/")
    assert body["count"] == Source.objects.count()
    source = Source.objects.get(slug="seed-article-2021-12")
    detail = get_json(client, f"sources/{source.slug}/")
    assert detail["slug"] == source.slug and detail["title"] == source.title
    assert set(detail) == {"slug", "title", "publisher", "url", "published", "kind"}


# --- schema and docs ----------------------------------------------------------------------------------------------


def test_openapi_schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in (
        "/api/v1/countries/",
        "/api/v1/countries/{identifier}/",
        "/api/v1/countries/{identifier}/memberships/",
        "/api/v1/organizations/{identifier}/members/",
        "/api/v1/organizations/{identifier}/changes/",
        "/api/v1/memberships/",
    ):
        assert path in paths, path
    list_params = {p["name"] for p in paths["/api/v1/countries/"]["get"]["parameters"]}
    assert {"member_of", "not_member_of", "as_of", "status", "search", "page", "page_size"} <= list_params
    member_params = {p["name"] for p in paths["/api/v1/organizations/{identifier}/members/"]["get"]["parameters"]}
    assert {"as_of", "status", "history"} <= member_params
    change_params = {p["name"] for p in paths["/api/v1/organizations/{identifier}/changes/"]["get"]["parameters"]}
    assert {"from", "to"} <= change_params


def test_openapi_schema_yaml(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"openapi:" in response.content


def test_docs_page(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_spectacular_validates_without_warnings(tmp_path):
    target = tmp_path / "s.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert target.read_text().startswith("openapi:")


def test_browsable_api_renders(client):
    for path in ("countries/", "countries/RO/", "organizations/nato/members/", "memberships/?page_size=2"):
        response = client.get(API + path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, path
        assert response["Content-Type"].startswith("text/html")


# --- query counts -------------------------------------------------------------------------------------------------

# Queries per request, the same on SQLite and PostgreSQL, with the reference snapshot
# warm (alliances.names: names resolve without a query) and the response cache
# empty. Every request reads the data version first (1 query).
# With the read model of the data version warm (alliances/platform/readmodel.py), the hot lists cost
# only the data version; a search, a CSV download, the organizations, changes and sources take the SQL path.
QUERY_COUNTS = [
    ("countries/", {}, 1),  # version; the list, its names and aliases come from the read model and the snapshot
    ("countries/", {"page_size": 500}, 1),
    ("countries/", {"search": "rom"}, 3),  # version, count, page (aliases come from the snapshot)
    ("countries/", {"member_of": "nato", "as_of": "2021-12-30"}, 1),
    ("countries/", {"member_of": ["nato", "eu"], "not_member_of": "b9", "as_of": "2021-12-30"}, 1),
    ("countries/RO/", {}, 1),  # version; the country itself is in the snapshot
    ("countries/Czech%20Republic/", {}, 1),
    ("countries/RO/memberships/", {"as_of": "2021-12-30"}, 1),  # version; the periods are in the read model
    ("countries/RO/memberships/", {"history": "true", "status": "all"}, 1),
    ("organizations/", {}, 3),  # version, count, page with member counts
    ("organizations/nato/", {}, 2),  # version, organization with its member count
    ("organizations/nato/members/", {"as_of": "2021-12-30"}, 1),
    ("organizations/osce/members/", {}, 1),
    ("organizations/b9/members/", {}, 1),
    ("organizations/eu/changes/", {"from": "2020-01-01", "to": "2020-12-31"}, 3),  # version, memberships, citations
    ("organizations/nato/changes/", {}, 3),
    ("memberships/", {}, 1),
    ("memberships/", {"organization": "osce", "page_size": 5}, 1),
    ("memberships/", {"organization": "osce", "page_size": 100}, 1),
    ("memberships/", {"country": "RO", "organization": "nato", "as_of": "2021-12-30"}, 1),
    ("memberships/", {"organization": "osce", "format": "csv"}, 3),  # version, rows, citations (streamed)
    ("sources/", {}, 3),  # version, count, page
]


@pytest.fixture
def warm_snapshot(db):
    """The names snapshot and the read model of the current data version, as a running worker has them."""
    names.snapshot()
    readmodel.current(audit.data_version(), REPRESENTATIONS)


@pytest.mark.parametrize(
    "path, params, queries", QUERY_COUNTS, ids=[f"{p}{'?' + str(q) if q else ''}" for p, q, _ in QUERY_COUNTS]
)
def test_read_endpoint_query_count(client, warm_snapshot, django_assert_num_queries, path, params, queries):
    with django_assert_num_queries(queries):
        response = client.get(API + path, params)
        content(response)  # a streamed download reads its rows as it is sent
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path, params, queries", QUERY_COUNTS, ids=[f"{p}{'?' + str(q) if q else ''}" for p, q, _ in QUERY_COUNTS]
)
def test_repeated_request_is_served_from_cache_with_one_query(
    client, warm_snapshot, django_assert_num_queries, path, params, queries
):
    first = client.get(API + path, params)
    first_content = content(first)
    with django_assert_num_queries(1):  # the data version only
        again = client.get(API + path, params)
    assert again.status_code == 200
    assert again.content == first_content
    assert again["ETag"] == first["ETag"]
    assert again["X-Cache"] == "hit"


def test_cold_snapshot_costs_five_queries_once(client, cold_caches, django_assert_num_queries):
    # countries, their aliases, successions (one query, both directions), organizations, their aliases,
    # their requirements, which organizations are members of which
    with django_assert_num_queries(1 + 7):
        assert client.get(API + "countries/RO/").status_code == 200
    with django_assert_num_queries(1):
        assert client.get(API + "countries/BG/").status_code == 200


def test_membership_detail_query_count(client, warm_snapshot, django_assert_num_queries):
    pk = Membership.objects.get(country__iso2="RO", organization__slug="nato", status="member").pk
    with django_assert_num_queries(3):  # version, membership with country and organization, citations
        assert client.get(API + f"memberships/{pk}/").status_code == 200


def count_queries(client, path, params):
    with CaptureQueriesContext(connection) as context:
        response = client.get(API + path, params)
    assert response.status_code == 200
    return len(context.captured_queries), response


@pytest.mark.parametrize(
    "path, small, large",
    [
        ("organizations/{}/members/", ("b9", {}), ("osce", {})),  # 9 rows vs 57 rows
        ("organizations/{}/members/", ("eu", {"as_of": "1958-01-01"}), ("osce", {"history": "true", "status": "all"})),
        ("countries/{}/memberships/", ("CH", {}), ("RO", {"history": "true", "status": "all"})),  # 1 vs 4
        ("organizations/{}/changes/", ("eu", {"from": "2020-01-01", "to": "2020-12-31"}), ("osce", {})),  # 1 vs 57
    ],
)
def test_query_count_does_not_grow_with_rows(client, warm_snapshot, path, small, large):
    small_queries, small_response = count_queries(client, path.format(small[0]), small[1])
    large_queries, large_response = count_queries(client, path.format(large[0]), large[1])
    assert small_response.json()["count"] < large_response.json()["count"]
    assert small_queries == large_queries


@pytest.mark.parametrize(
    "path, params",
    [
        ("memberships/", {"organization": "osce"}),
        ("memberships/", {}),
        ("countries/", {}),
        ("countries/", {"member_of": "osce"}),
        ("organizations/", {}),
    ],
)
def test_paginated_query_count_does_not_grow_with_page_size(client, warm_snapshot, path, params):
    few, few_response = count_queries(client, path, {**params, "page_size": 2})
    many, many_response = count_queries(client, path, {**params, "page_size": 100})
    assert len(few_response.json()["results"]) < len(many_response.json()["results"])
    assert few == many


def test_fast_membership_rendering_equals_the_declared_fields():
    from alliances import selectors
    from alliances.api.serializers import MembershipOutputSerializer

    memberships = list(selectors.membership_list(statuses=None))
    assert len(memberships) > 100
    for context in ({}, {"curator": True}):
        serializer = MembershipOutputSerializer(context=context)
        for m in memberships:
            assert serializer.to_representation(m) == serializer.field_based_representation(m), m
    assert "note" in serializer.to_representation(memberships[0])


@pytest.mark.parametrize(
    "kind", ["universal", "security_alliance", "economic_trade", "political_forum", "informal_club"]
)
def test_organizations_of_one_kind(client, kind):
    got = {item["slug"] for item in all_pages(client, "organizations/", {"kind": kind})}
    assert got == set(Organization.objects.filter(kind=kind).values_list("slug", flat=True)) != set()


def test_organization_kinds_hold_the_bodies_a_reader_expects():
    kinds = dict(Organization.objects.values_list("slug", "kind"))
    assert kinds["un"] == kinds["wto"] == kinds["gatt"] == "universal"
    assert kinds["nato"] == kinds["csto"] == kinds["warsaw-pact"] == "security_alliance"
    assert kinds["eu"] == kinds["efta"] == kinds["eaeu"] == "economic_trade"
    assert kinds["g7"] == kinds["g20"] == kinds["brics"] == "informal_club"


def test_an_unknown_kind_is_a_400_naming_the_kinds(client):
    body = get_json(client, "organizations/", {"kind": "alliance"}, status=400)
    assert "kind" in body


def test_a_dormant_or_dissolved_body_says_so_wherever_a_membership_names_it(client):
    groups = {
        item["organization"]["slug"]: item["organization"]
        for item in get_json(client, "countries/RO/memberships/", {"history": "true"})["results"]
    }
    assert groups["nrc"]["dormant_since"] == "2022-01-12" and groups["nrc"]["dissolved"] is None
    assert groups["warsaw-pact"]["dissolved"] == "1991-07-01"
    assert groups["nato"]["dormant_since"] is None and groups["nato"]["kind"] == "security_alliance"
    header = get_json(client, "organizations/nrc/members/")["organization"]
    assert header["dormant_since"] == "2022-01-12"
