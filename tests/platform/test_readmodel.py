"""The read model (alliances/platform/readmodel.py) gives the SQL path's answers, byte for byte, and is never stale.

Every comparison asks the same request twice, with empty response caches: once
as served (the read model), once with ``READ_MODEL_MAX_PERIODS = 0``, which
turns the read model off so the viewsets' queries and serializers answer (the
path taken above the size bound, and the code that answered before the read
model). The query counts show which path answered each.
"""

import datetime
import itertools

import orjson
import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from alliances import names
from alliances.api.views import REPRESENTATIONS
from alliances.models import Country, Membership, Organization
from alliances.platform import readmodel
from alliances.platform.renderers import Assembled, JSONRenderer, dumps
from alliances.store import audit
from tests.api.test_api_read import ORIGINAL_NINE

API = "/api/v1/"
COMPARED_HEADERS = ("Content-Type", "ETag", "Link", "Cache-Control", "Vary", "Allow", "Content-Disposition")

# Each test starts with no read model built, as its assertions about building assume.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cold_caches")]


def ask(client, url, headers):
    caches[settings.RESPONSE_CACHE_ALIAS].clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body, len(queries)


def assert_same(client, url, headers=None, assembled=True):
    """The read model's answer to ``url`` is the SQL path's: status, body and headers.

    ``assembled``: the read model is expected to answer (it costs fewer queries);
    else (a search, CSV) both answers come from SQL.
    """
    headers = headers or {}
    names.snapshot()  # both warm, as a running worker has them
    readmodel.current(audit.data_version(), REPRESENTATIONS)
    fast, fast_body, fast_queries = ask(client, url, headers)
    with override_settings(READ_MODEL_MAX_PERIODS=0):
        slow, slow_body, slow_queries = ask(client, url, headers)
    assert fast.status_code == slow.status_code, url
    assert fast_body == slow_body, url
    for name in COMPARED_HEADERS:
        assert fast.headers.get(name) == slow.headers.get(name), (url, name)
    if fast.status_code != 200:
        assert fast_queries <= slow_queries, (url, fast_queries, slow_queries)
    elif assembled:
        assert fast_queries < slow_queries, (url, fast_queries, slow_queries)
    else:
        assert fast_queries == slow_queries, (url, fast_queries, slow_queries)
    return fast, fast_body


def boundary_days(periods, most=12):
    """Days where an answer changes (first and last days, and the days around them), spread over the span."""
    days = set()
    for start, end in periods:
        days |= {start, start - datetime.timedelta(days=1)}
        if end is not None:
            days |= {end, end + datetime.timedelta(days=1)}
    days = sorted(days)
    step = max(1, len(days) // most)
    return days[::step]


def test_every_organizations_members_on_many_days(client):
    for organization in Organization.objects.order_by("slug"):
        periods = Membership.objects.filter(organization=organization).values_list("start_date", "end_date")
        url = f"{API}organizations/{organization.slug}/members/"
        assert_same(client, url)
        assert_same(client, url + "?history=true&status=all")
        assert_same(client, url + "?status=member,candidate,partner")
        # Each boundary day once, with the default status or every status in turn (56 organizations:
        # both for every day took 14 s).
        for index, day in enumerate(boundary_days(periods, most=6)):
            assert_same(client, f"{url}?as_of={day.isoformat()}" + ("&status=all" if index % 2 else ""))


def rotating(values, index, count):
    """``count`` of ``values``, a different run for each ``index``: together the cases still ask every value."""
    return [values[(index + k) % len(values)] for k in range(count)]


def test_every_countrys_memberships(client):
    days = ["1960-01-01", "1991-12-26", "2004-03-29", "2020-02-01", "2021-12-30"]
    with_periods = set(Membership.objects.values_list("country_id", flat=True))
    for index, country in enumerate(Country.objects.order_by("code")):
        url = f"{API}countries/{country.code}/memberships/"
        assert_same(client, url)
        if country.pk not in with_periods:
            continue
        if index % 2:  # every other state: its whole history (the days below cover the rest)
            assert_same(client, url + "?history=true&status=all")
        for day in rotating(days, index, 1):
            assert_same(client, f"{url}?as_of={day}&status=all")
    # Other names of a state, one organization, and the repeated or listed statuses.
    for query in (
        "Romania/memberships/?as_of=2021-12-30&organization=NATO",
        "gb/memberships/?history=true&status=member&status=suspended",
        "suhh/memberships/?history=true&status=member,suspended",
        "u.s./memberships/?status=observer&as_of=2000-01-01",
    ):
        assert_same(client, API + "countries/" + query)


def test_the_set_filters(client):
    slugs = list(Organization.objects.order_by("slug").values_list("slug", flat=True))
    days = ["1955-06-05", "1991-07-01", "1999-03-12", "2021-12-30"]
    # Every pair of the first nine organizations, and each other organization with one of them in turn:
    # every organization is asked (1,540 pairs of all of them would be 12,000 requests).
    first = sorted(ORIGINAL_NINE)
    pairs = list(itertools.combinations(first, 2))
    pairs += [(slug, first[i % len(first)]) for i, slug in enumerate(s for s in slugs if s not in first)]
    for index, (a, b) in enumerate(pairs):
        for day in rotating(days, index, 2):
            assert_same(client, f"{API}countries/?member_of={a}&member_of={b}&as_of={day}")
            assert_same(client, f"{API}countries/?member_of={a}&not_member_of={b}&as_of={day}")
    for query in (
        "",
        "?member_of=nato&member_of=eu",
        "?page=2",
        "?page=last&page_size=7",
        "?page_size=500",
        "?not_member_of=osce",
        "?member_of=eu&status=candidate&as_of=2010-01-01",
        "?member_of=coe&status=all&as_of=2022-03-01",
    ):
        assert_same(client, API + "countries/" + query)
    assert_same(client, API + "countries/?search=rom", assembled=False)


def test_membership_list_pages(client):
    for query in (
        "",
        "?page=2",
        "?page=last",
        "?page_size=500",
        "?page_size=7&page=3",
        "?organization=osce",
        "?organization=osce&page_size=5&page=2",
        "?organization=eu&status=candidate",
        "?organization=nato&status=partner,member&as_of=2000-01-01",
        "?country=RO",
        "?country=RO&organization=nato&as_of=2021-12-30",
        "?as_of=1991-07-01",
        "?status=suspended",
        "?status=all&as_of=2022-03-01",
    ):
        assert_same(client, API + "memberships/" + query)
    for organization in Organization.objects.order_by("slug"):
        assert_same(client, f"{API}memberships/?organization={organization.slug}&page_size=500")


def test_formats_and_errors_are_those_of_the_sql_path(client):
    url = API + "organizations/nato/members/?as_of=2021-12-30"
    assert_same(client, url + "&format=json")
    # An indented body is DRF's own rendering of the same data.
    assert_same(client, url, headers={"Accept": "application/json; indent=4"})
    assert_same(client, url + "&format=csv", assembled=False)
    assert_same(client, url, headers={"Accept": "text/csv"}, assembled=False)
    assert_same(client, API + "memberships/?organization=osce&format=csv", assembled=False)
    for bad in (
        "organizations/nato/members/?as_of=2021-13-45",
        "organizations/nato/members/?status=bogus",
        "organizations/natoo/members/",
        "countries/Romnia/memberships/",
        "countries/RO/memberships/?organization=nope",
        "countries/?member_of=nope",
        "countries/?as_of=yesterday&member_of=nato",
        "countries/?page=9999",
        "countries/?page_size=0",
        "memberships/?page=9223372036854775808",
        "memberships/?organization=osce&page=0",
        "memberships/?country=zz",
        "memberships/?asof=2020-01-01",
    ):
        response, _ = assert_same(client, API + bad)
        assert response.status_code in (400, 404), bad


def test_text_is_escaped_as_drf_escapes_it(client):
    """Quotes, backslashes, control characters, non-ASCII and JavaScript's line separators, as DRF writes them."""
    note = 'A "note" \\ with\ttab, é, 😀, \x01, \u2028 and \u2029 </script>'
    membership = Membership.objects.get(country__iso2="RO", organization__slug="nato", status="member")
    Membership.objects.filter(pk=membership.pk).update(own_status=note)
    _, body = assert_same(client, API + "countries/RO/memberships/?as_of=2021-12-30")
    assert b"\\u2028" in body and b"\\u2029" in body and "😀".encode() in body
    assert (
        dumps({"a": note})
        == b'{"a":"A \\"note\\" \\\\ with\\ttab, \xc3\xa9, \xf0\x9f\x98\x80, \\u0001, \\u2028 and \\u2029 </script>"}'
    )


def test_a_write_is_seen_by_the_next_read(client):
    """Keyed by the commit-ordered data version: the read after a write answers with it."""
    url = API + "countries/RO/memberships/?as_of=2021-12-30"
    before = client.get(url).json()
    model = readmodel._current
    assert model is not None and model.version == audit.data_version()
    membership = Membership.objects.get(country__iso2="RO", organization__slug="nato", status="member")
    Membership.objects.filter(pk=membership.pk).update(own_status="Changed after the read model was built.")
    after = client.get(url).json()
    assert readmodel._current is not model and readmodel._current.version == audit.data_version()
    notes = {m["organization"]["slug"]: m["own_status"] for m in after["results"]}
    assert notes["nato"] == "Changed after the read model was built."
    assert {m["organization"]["slug"]: m["own_status"] for m in before["results"]}["nato"] != notes["nato"]
    assert_same(client, url)
    # A period that ends: the next day's answer no longer lists it.
    Membership.objects.filter(pk=membership.pk).update(end_date=datetime.date(2021, 12, 29))
    after_end = client.get(url).json()
    assert "nato" not in [m["organization"]["slug"] for m in after_end["results"]]
    assert_same(client, url)


def test_a_model_read_while_the_data_changed_is_not_kept(monkeypatch):
    """If a write commits while the model is read, its rows may be of two versions: that request takes SQL."""
    version = audit.data_version()
    monkeypatch.setattr(audit, "data_version", lambda: "moved")
    assert readmodel.current(version, REPRESENTATIONS) is None
    assert readmodel._current is None
    monkeypatch.undo()
    assert readmodel.current(version, REPRESENTATIONS) is not None


def test_above_the_bound_nothing_is_held_and_sql_answers(client, settings, django_assert_num_queries):
    """The memory bound: above READ_MODEL_MAX_PERIODS the model holds no period and the SQL path answers."""
    periods = Membership.objects.count()
    settings.READ_MODEL_MAX_PERIODS = periods - 1
    names.snapshot()
    assert readmodel.current(audit.data_version(), REPRESENTATIONS) is None
    held = readmodel._current
    assert held.size == periods and not held.built and held.periods == [] and held.by_country == {}
    with django_assert_num_queries(3):  # version, periods, citations: the SQL path
        assert client.get(API + "countries/RO/memberships/?as_of=2021-12-30").status_code == 200
    settings.READ_MODEL_MAX_PERIODS = periods  # at the bound it is built again, for the same version
    assert readmodel.current(audit.data_version(), REPRESENTATIONS).built


def test_building_costs_six_queries_once(client, django_assert_num_queries):
    url = API + "organizations/nato/members/?as_of=2021-12-30"
    client.get(API + "countries/RO/")  # the names snapshot, which is not what this counts
    # version; count, country order, organization order, periods, citations per chunk; the version again
    chunks = -(-Membership.objects.count() // readmodel.BUILD_CHUNK)
    with django_assert_num_queries(6 + chunks):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(1):
        assert client.get(API + "organizations/eu/members/?as_of=2021-12-30").status_code == 200


def test_an_assembled_body_is_written_as_drf_writes_the_same_data():
    """Strings around the pre-rendered parts are escaped too (the parts were when they were rendered)."""
    text = "a\u2028b\u2029c “quoted” – é"
    data = {"as_of": text, "statuses": [text], "results": [{"note": text}], "count": 1}
    assembled = Assembled({**data, "results": [orjson.Fragment(dumps({"note": text}))]})
    assert JSONRenderer().render(assembled) == DRFJSONRenderer().render(data)
    indented = "application/json; indent=4"
    assert JSONRenderer().render(assembled, indented) == DRFJSONRenderer().render(data, indented)
