"""The response cache never serves data older than the last committed write."""

import base64

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from alliances.models import Membership

pytestmark = pytest.mark.django_db

URL = "/api/v1/countries/GB/memberships/?as_of=2020-06-01"


def groups(response):
    """The UK's groups among the first nine organizations (a write to one of them is what is watched)."""
    first = {"CoE", "EU", "NATO", "NRC", "OSCE", "B9", "CSTO", "V4", "WP"}
    return sorted(
        r["organization"]["acronym"] for r in response.json()["results"] if r["organization"]["acronym"] in first
    )


def test_repeat_is_a_hit_and_carries_the_same_etag():
    client = APIClient()
    first = client.get(URL)
    second = client.get(URL)
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert first["ETag"] == second["ETag"]
    assert client.get(URL, HTTP_IF_NONE_MATCH=second["ETag"]).status_code == 304


def test_api_write_is_seen_by_the_next_read_and_old_etag_no_longer_matches():
    reader = APIClient()
    before = reader.get(URL)
    assert groups(before) == ["CoE", "NATO", "NRC", "OSCE"]

    writer = APIClient()
    writer.force_authenticate(User.objects.create_superuser("w", password="pw-for-tests-only"))
    uk = Membership.objects.get(country__iso2="GB", organization__slug="eu")
    detail = f"/api/v1/memberships/{uk.pk}/"
    response = writer.patch(detail, {"end_date": None}, format="json", HTTP_IF_MATCH=writer.get(detail)["ETag"])
    assert response.status_code == 200

    after = reader.get(URL, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200, "a 304 here would keep the client on data the write replaced"
    assert after["X-Cache"] == "miss"
    assert groups(after) == ["CoE", "EU", "NATO", "NRC", "OSCE"]


def test_write_outside_the_api_is_seen_too():
    client = APIClient()
    assert groups(client.get(URL)) == ["CoE", "NATO", "NRC", "OSCE"]
    Membership.objects.filter(country__iso2="GB", organization__slug="eu").update(end_date=None)  # bulk, no signals
    assert groups(client.get(URL)) == ["CoE", "EU", "NATO", "NRC", "OSCE"]


def test_default_date_is_part_of_the_key(monkeypatch):
    import datetime

    from alliances.platform import readkey

    client = APIClient()
    url = "/api/v1/organizations/nato/members/"
    assert client.get(url).json()["count"] == 32

    class Earlier(datetime.date):
        @classmethod
        def today(cls):
            return datetime.date(2021, 12, 30)

    monkeypatch.setattr(readkey.datetime, "date", Earlier)
    from alliances.rules import periods

    monkeypatch.setattr(periods.datetime, "date", Earlier)  # the one default day (periods.day_or_today)
    answer = client.get(url)
    assert answer["X-Cache"] == "miss"
    assert answer.json()["count"] == 30


SECURITY_HEADERS = [
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Content-Security-Policy",
]


@pytest.mark.parametrize(
    "url",
    [URL, "/api/v1/organizations/nato/members/", "/api/v1/countries/?format=csv", "/api/v1/memberships/?page_size=3"],
)
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_a_hit_carries_every_header_a_miss_does(url, signed_in):
    client = APIClient()
    if signed_in:  # answered from the cache by the view, not the middleware; signed in as a real client is
        User.objects.create_user("reader", password="pw-for-tests-only")
        token = base64.b64encode(b"reader:pw-for-tests-only").decode()
        client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    miss = client.get(url)
    if miss.streaming:  # a whole download is stored once it has been sent
        b"".join(miss.streaming_content)
    hit = client.get(url)
    assert (miss["X-Cache"], hit["X-Cache"]) == ("miss", "hit")
    # A streamed miss cannot know its length in advance; the hit, whole in the cache, says it.
    ignored = {"X-Cache", "Content-Length"} if miss.streaming else {"X-Cache"}
    without_x_cache = lambda response: {k: v for k, v in response.items() if k not in ignored}  # noqa: E731
    assert without_x_cache(hit) == without_x_cache(miss)
    for name in SECURITY_HEADERS:
        assert hit.has_header(name), name
    # Origin: added by django-cors-headers, whose answer may depend on it.
    assert [v.strip() for v in hit["Vary"].split(",")] == ["Accept", "Cookie", "Authorization", "origin"]
