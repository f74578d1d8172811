"""No server error from hostile input: each case is a 4xx with a JSON body, on every engine."""

import datetime

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from alliances import services
from alliances.models import Membership, Source

pytestmark = pytest.mark.django_db

API = "/api/v1/"
HUGE = ["9223372036854775808", "4611686018427387904", "99999999999999999999999999", "9" * 5000]


def anonymous():
    return APIClient(raise_request_exception=False)


def superuser():
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(User.objects.create_superuser("su", password="pw-for-tests-only"))
    return client


def assert_client_error(response, url):
    assert 400 <= response.status_code < 500, (url, response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), (url, response["Content-Type"])
    response.json()


@pytest.mark.parametrize("endpoint", ["memberships/", "countries/", "sources/", "organizations/"])
@pytest.mark.parametrize("param", ["page", "page_size"])
@pytest.mark.parametrize("value", [*HUGE, "-1", "0", "-9223372036854775809", "1e9", "00", "²"])
def test_huge_and_negative_page_numbers_and_sizes(endpoint, param, value):
    url = f"{API}{endpoint}?{param}={value}"
    assert_client_error(anonymous().get(url), url)


def test_page_past_the_end_is_a_404_and_leading_zeros_are_fine():
    assert anonymous().get(f"{API}memberships/?page=9223372036854775808").status_code == 404
    assert anonymous().get(f"{API}memberships/?page=0001&page_size=002").json()["results"]


@pytest.mark.parametrize(
    "path",
    [
        "countries/RO/memberships/?as_of={}",
        "organizations/nato/members/?as_of={}",
        "memberships/?as_of={}",
        "countries/?member_of=nato&as_of={}",
        "organizations/nato/changes/?from={}",
        "organizations/nato/changes/?to={}",
    ],
)
@pytest.mark.parametrize("day", ["0000-01-01", "99999-01-01", "-0001-01-01", "9999-12-32", "10000-01-01"])
def test_impossible_dates_are_a_400(path, day):
    url = API + path.format(day)
    response = anonymous().get(url)
    assert_client_error(response, url)
    assert response.status_code == 400


DAY_DOORS = [
    "countries/RO/memberships/?as_of={}",
    "organizations/nato/members/?as_of={}",
    "memberships/?as_of={}",
    "countries/?member_of=nato&as_of={}",
    "organizations/nato/changes/?from={}",
]


@pytest.mark.parametrize("day", ["20211230", "12/30/2021", "2021-W52-4", "2021-12-30T00:00", " 2021-12-30x"])
def test_every_door_refuses_the_same_spellings_of_a_day_with_the_same_sentence(day, client):
    """One reader of days (periods.parse_day): the lists' filters, the query serializers and the pages agree."""
    sentences = set()
    for path in DAY_DOORS:
        url = API + path.format(day)
        response = anonymous().get(url)
        assert response.status_code == 400, url
        sentences |= {m for messages in response.json().values() for m in messages}
    assert sentences == {f"“{day.strip()}” is not a date in YYYY-MM-DD form."}
    page = client.get(f"/organizations/nato/?as_of={day}")
    assert f"“{day.strip()}” is not a date in YYYY-MM-DD form." in page.content.decode()


@pytest.mark.parametrize("path", DAY_DOORS)
def test_every_door_takes_an_iso_day(path):
    assert anonymous().get(API + path.format("2021-12-30")).status_code == 200


@pytest.mark.parametrize("path", ["countries/RO/memberships/?as_of={}", "organizations/nato/changes/?from={}&to={}"])
def test_the_first_and_last_representable_days_answer(path):
    url = API + path.format("0001-01-01", "9999-12-31") if "from" in path else API + path.format("9999-12-31")
    assert anonymous().get(url).status_code == 200


DEEP = "[" * 2000 + "]" * 2000
DEEP_OBJECT = '{"a":' * 2000 + "1" + "}" * 2000


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_json_nested_2000_deep_is_a_400(method, body):
    membership = Membership.objects.first()
    url = f"{API}memberships/" if method == "post" else f"{API}memberships/{membership.pk}/"
    response = getattr(superuser(), method)(url, data=body, content_type="application/json", HTTP_IF_MATCH="*")
    assert_client_error(response, url)
    assert response.status_code == 400


@pytest.mark.parametrize("which", ["b9", "nato"])
def test_end_date_9999_12_31_on_a_required_or_requiring_membership(which):
    # B9 requires NATO: the coverage check added a day past date.max (OverflowError, a 500).
    client = superuser()
    membership = Membership.objects.get(country__iso2="RO", organization__slug=which, status="member")
    url = f"{API}memberships/{membership.pk}/"
    response = client.patch(url, {"end_date": "9999-12-31"}, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 200, response.content
    b9 = Membership.objects.get(country__iso2="RO", organization__slug="b9")
    url = f"{API}memberships/{b9.pk}/"
    assert client.patch(url, {"end_date": "9999-12-31"}, format="json", HTTP_IF_MATCH="*").status_code == 200


def test_change_status_on_a_period_ending_on_the_last_day():
    membership = Membership.objects.get(country__iso2="RO", organization__slug="b9")
    services.membership_update(membership=membership, end_date=datetime.date.max)
    source = Source.objects.get(slug="seed-article-2021-12")
    new = services.membership_change_status(
        membership=membership,
        new_status=membership.status,
        on=datetime.date(2020, 1, 1),
        citations=[(source, "The Bucharest Nine is a group of NATO members on the eastern flank.")],
    )
    assert new.end_date == datetime.date.max


@pytest.mark.parametrize("value", HUGE)
def test_huge_membership_ids_are_a_404(value):
    for url in (f"{API}memberships/{value}/", f"{API}memberships/{value}/history/"):
        response = anonymous().get(url)
        assert 400 <= response.status_code < 500, (url, response.status_code)
