"""COW codes come from the countrycode package; countries resolve by them with a cow: prefix."""

import countrycode
import pytest
from rest_framework.test import APIClient

from alliances.models import Country, Organization
from alliances.names import NotFound, country_resolve
from alliances.opendata import crosswalks

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "iso2, name, expected",
    [
        ("US", "United States", (2, "USA")),
        ("RO", "Romania", (360, "ROM")),
        ("DE", "Germany", (255, "GMY")),
        ("RU", "Russian Federation", (365, "RUS")),
        ("XK", "Kosovo", (347, "KOS")),
        ("", "USSR", (365, "RUS")),
        ("", "Union of Soviet Socialist Republics", (365, "RUS")),
        ("", "German Democratic Republic", (265, "GDR")),
        ("", "Czechoslovakia", (315, "CZE")),
        ("", "Yugoslavia", (345, "YUG")),
        ("AQ", "Antarctica", (None, None)),
    ],
)
def test_cow_codes_from_the_package(iso2, name, expected):
    assert crosswalks.cow_codes(iso2, name) == expected


def test_every_country_code_agrees_with_the_package():
    """Read from the package, not typed in: for every stored country with an ISO code the package knows."""
    countries = [c for c in Country.objects.order_by("code") if c.iso2 in crosswalks.BY_ISO2]
    assert len(countries) > 150
    # One call for all of them: the package converts a list at the cost of one code.
    expected = countrycode.countrycode([c.iso2 for c in countries], origin="iso2c", destination="cown")
    assert len(expected) == len(countries)
    for country, code in zip(countries, expected, strict=True):
        assert country.cow_code == code, country.code


def test_cow_prefix_resolves_and_a_bare_number_stays_iso_numeric():
    assert country_resolve("cow:360").iso2 == "RO"
    assert country_resolve("COW:rom").iso2 == "RO"
    assert country_resolve("cow: 2").iso2 == "US"
    assert country_resolve("360").iso2 == "ID"  # ISO 3166-1 numeric 360 is Indonesia
    with pytest.raises(NotFound):
        country_resolve("cow:99999")
    with pytest.raises(NotFound):
        country_resolve("cow:²")


def test_api_shows_and_resolves_cow_codes():
    client = APIClient()
    body = client.get("/api/v1/countries/cow:255/").json()
    assert (body["iso2"], body["cow_code"], body["cow_abbr"]) == ("DE", 255, "GMY")
    members = client.get("/api/v1/countries/cow:360/memberships/", {"as_of": "2021-12-30"}).json()
    by_iso = client.get("/api/v1/countries/RO/memberships/", {"as_of": "2021-12-30"}).json()
    assert members["country"]["cow_code"] == 360 and members == by_iso


def test_organizations_carry_cow_igo_and_wikidata_with_their_source():
    nato = Organization.objects.get(slug="nato")
    assert (nato.cow_igo, nato.wikidata) == ("NATO", "Q7184") and "COW IGO" in nato.identifiers_source
    for organization in Organization.objects.all():
        assert organization.identifiers_source, organization.slug
    body = APIClient().get("/api/v1/organizations/osce/").json()
    assert (body["cow_igo"], body["wikidata"]) == ("OSCE", "Q81299")
