"""History that is right on any day: historical answers from the fixtures, and the rules that keep them right.

Expected numbers come from the research sources (CSCE: 35 participants until 1990; NATO: 30 Allies
in December 2021; EU: 9 candidates in June 2024; Warsaw Pact: 8 signatories, 7 after Albania's
withdrawal in 1968; CSTO: 6 members after the 1999 departures; Visegrád: 3, then 4 from 1993).
"""

import datetime

import pytest
from django.core.exceptions import ValidationError

from alliances import selectors, services
from alliances.models import Citation, Country, Membership, Organization, Source, Succession

pytestmark = pytest.mark.django_db


def codes(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return sorted(item["country"]["code"] for item in response.json()["results"])


def test_csce_had_35_participants_in_1980(client):
    found = codes(client, "/api/v1/organizations/osce/members/?as_of=1980-01-01")
    assert len(found) == 35
    assert {"SUHH", "DDDE", "CSHH", "YUCS", "DE"} <= set(found)
    assert "RU" not in found


def test_nato_had_30_allies_at_the_end_of_2021(client):
    assert len(codes(client, "/api/v1/organizations/nato/members/?as_of=2021-12-30")) == 30


def test_nato_founders_start_on_the_entry_into_force(client):
    assert codes(client, "/api/v1/organizations/nato/members/?as_of=1949-08-23") == []
    assert len(codes(client, "/api/v1/organizations/nato/members/?as_of=1949-08-24")) == 12


def test_eu_had_nine_candidates_in_june_2024(client):
    body = client.get("/api/v1/organizations/eu/members/?status=candidate&as_of=2024-06-01").json()
    assert body["statuses"] == ["candidate"]
    assert sorted(r["country"]["code"] for r in body["results"]) == sorted(
        ["TR", "MK", "ME", "RS", "AL", "BA", "GE", "UA", "MD"]
    )


def test_council_of_europe_russia_and_greece(client):
    assert "RU" in codes(client, "/api/v1/organizations/coe/members/?as_of=2020-01-01")
    assert "RU" not in codes(client, "/api/v1/organizations/coe/members/?as_of=2022-03-16&status=all")
    assert "GR" not in codes(client, "/api/v1/organizations/coe/members/?as_of=1972-01-01&status=all")
    assert "GR" in codes(client, "/api/v1/organizations/coe/members/?as_of=1980-01-01")


def test_warsaw_pact(client):
    assert codes(client, "/api/v1/organizations/warsaw-pact/members/?as_of=1960-01-01") == sorted(
        ["SUHH", "PL", "CSHH", "HU", "RO", "BG", "AL", "DDDE"]
    )
    after_albania = codes(client, "/api/v1/organizations/Warsaw%20Treaty%20Organization/members/?as_of=1970-01-01")
    assert len(after_albania) == 7 and "AL" not in after_albania
    assert codes(client, "/api/v1/organizations/warsaw-pact/members/?as_of=1992-01-01&status=all") == []


def test_csto_in_2000(client):
    assert codes(client, "/api/v1/organizations/CSTO/members/?as_of=2000-01-01") == sorted(
        ["AM", "BY", "KZ", "KG", "RU", "TJ"]
    )


def test_visegrad_czechoslovakia_then_its_successors(client):
    assert codes(client, "/api/v1/organizations/v4/members/?as_of=1992-06-01") == ["CSHH", "HU", "PL"]
    assert codes(client, "/api/v1/organizations/Visegrad%20Group/members/?as_of=1994-01-01") == [
        "CZ",
        "HU",
        "PL",
        "SK",
    ]


def test_ussr_history_lists_warsaw_pact_and_osce(client):
    body = client.get("/api/v1/countries/USSR/memberships/?history=true").json()
    assert body["country"]["code"] == "SUHH"
    assert {r["organization"]["slug"] for r in body["results"]} >= {"warsaw-pact", "osce"}


@pytest.mark.parametrize(
    "name, code",
    [
        ("USSR", "SUHH"),
        ("Soviet Union", "SUHH"),
        ("SUHH", "SUHH"),
        ("Czechoslovakia", "CSHH"),
        ("Yugoslavia", "YUCS"),
        ("East Germany", "DDDE"),
        ("GDR", "DDDE"),
        ("German Democratic Republic", "DDDE"),
        ("Serbia and Montenegro", "CSXX"),
        ("West Germany", "DE"),
        ("Russian Federation", "RU"),
    ],
)
def test_former_names_resolve(client, name, code):
    response = client.get(f"/api/v1/countries/{name}/")
    assert response.status_code == 200
    assert response.json()["code"] == code


def test_yugoslavia_suspended_from_the_csce(client):
    assert codes(client, "/api/v1/organizations/osce/members/?as_of=1995-01-01&status=suspended") == ["YUCS"]


def test_status_lists_and_unknown_status(client):
    one = client.get("/api/v1/organizations/nato/members/?as_of=2000-01-01&status=member,partner").json()
    two = client.get("/api/v1/organizations/nato/members/?as_of=2000-01-01&status=member&status=partner").json()
    assert one["statuses"] == two["statuses"] == ["member", "partner"]
    assert one["count"] == two["count"] and {r["status"] for r in one["results"]} == {"member", "partner"}
    assert client.get("/api/v1/organizations/nato/members/").json()["statuses"] == ["member"]
    assert "applicant" in client.get("/api/v1/memberships/").json()["statuses"]
    assert client.get("/api/v1/countries/?member_of=nato").json()["statuses"] == ["member"]
    bad = client.get("/api/v1/organizations/nato/members/?status=bogus")
    assert bad.status_code == 400 and "candidate" in bad.json()["status"][0]


def test_country_shows_predecessors_and_successors(client, django_assert_max_num_queries):
    russia = client.get("/api/v1/countries/RU/").json()
    assert {"code": "SUHH", "name": "USSR", "date": "1991-12-26", "kind": "continuation"} in russia["predecessors"]
    successors = client.get("/api/v1/countries/SUHH/").json()["successors"]
    assert len(successors) == 15
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/countries/?page_size=300").status_code == 200


# The rules, each shown to catch its problem -------------------------------------------------------------


def test_no_membership_before_a_country_existed():
    with pytest.raises(ValidationError, match="existed as a state from 1993-01-01"):
        services.membership_create(
            country=Country.objects.get(code="CZ"),
            organization=Organization.objects.get(slug="warsaw-pact"),
            start_date=datetime.date(1960, 1, 1),
            end_date=datetime.date(1990, 1, 1),
        )


def test_no_membership_after_a_country_ended():
    membership = Membership.objects.get(country__code="DDDE", organization__slug="osce")
    with pytest.raises(ValidationError, match="until 1990-10-02"):
        services.membership_update(membership=membership, end_date=datetime.date(1991, 1, 1))


def test_no_membership_after_the_organization_was_dissolved():
    membership = Membership.objects.get(country__code="PL", organization__slug="warsaw-pact")
    with pytest.raises(ValidationError, match="dissolved"):
        services.membership_update(membership=membership, end_date=None)


def test_continuation_is_one_seat():
    russia = Membership.objects.get(country__code="RU", organization__slug="osce")
    with pytest.raises(ValidationError, match="one seat"):
        services.membership_update(membership=russia, start_date=datetime.date(1991, 12, 1))


def test_a_continuation_succession_over_two_seats_is_refused():
    with pytest.raises(ValidationError, match="one seat"):
        Succession(
            predecessor=Country.objects.get(code="DDDE"),
            successor=Country.objects.get(code="DE"),
            date=datetime.date(1990, 10, 3),
            kind="continuation",
        ).full_clean()


def test_validate_data_finds_history_problems():
    assert selectors.find_problems() == []
    Membership.objects.filter(country__code="RU", organization__slug="osce").update(start_date="1991-12-01")
    Membership.objects.filter(country__code="DDDE", organization__slug="osce").update(end_date="1990-12-31")
    problems = "\n".join(selectors.find_problems())
    assert "continues USSR from 1991-12-26: one seat" in problems
    assert "until 1990-10-02" in problems


def test_validate_data_reports_a_quote_that_supports_nothing():
    membership = Membership.objects.get(country__code="RO", organization__slug="eu", status="member")
    source = Source.objects.first()
    citation = Citation.objects.create(
        source=source, organization=membership.organization, membership=membership, quote="A fine day for Europe."
    )
    assert citation in selectors.unsupported_citations()
    Citation.objects.filter(pk=citation.pk).update(quote="Romania joined.")
    assert citation not in selectors.unsupported_citations()
    Citation.objects.filter(pk=citation.pk).update(quote="It happened in 2007.")
    assert citation not in selectors.unsupported_citations()
    Citation.objects.filter(pk=citation.pk).update(quote="A fine day for Europe.")
    Membership.objects.filter(pk=membership.pk).update(note="Date from: the accession treaty.")
    assert citation not in selectors.unsupported_citations()


def test_succession_constraints():
    ussr = Country.objects.get(code="SUHH")
    with pytest.raises(ValidationError):
        Succession(predecessor=ussr, successor=ussr, date=datetime.date(1991, 1, 1), kind="secession").full_clean()
