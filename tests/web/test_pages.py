"""The public pages through Django's test client, on the real fixtures (SQLite and PostgreSQL)."""

import datetime
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from alliances import selectors
from alliances.models import Membership, Organization

pytestmark = pytest.mark.django_db
NS = "{http://www.w3.org/2000/svg}"


def html(response):
    return response.content.decode()


def json_ld(response):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html(response), re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def svg_of(response, css_class):
    match = re.search(rf'<svg [^>]*class="chart {css_class}".*?</svg>', html(response), re.S)
    assert match, css_class
    return ET.fromstring(match.group(0))


def canonical(response):
    return re.search(r'<link rel="canonical" href="([^"]+)">', html(response)).group(1)


def query_count(client, url):
    client.get(url)  # the name snapshot is per process; built once, like a warm worker's
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


# --- home ------------------------------------------------------------------------------------------


def test_home_lists_organizations_with_todays_member_counts_and_a_dataset(client):
    response = client.get("/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    page = html(response)
    assert 'action="/search/"' in page and 'name="as_of"' in page
    assert '<td class="num" data-org="nato">32</td>' in page
    assert '<td class="num" data-org="eu">27</td>' in page
    data = json_ld(response)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Dataset"
    assert data["name"] and data["description"] and data["distribution"]
    assert canonical(response) == "http://testserver/"
    assert re.search(r"<title>[^<]+</title>", page) and '<meta name="description" content="' in page


def test_home_as_of_changes_the_counts(client):
    page = html(client.get("/?as_of=1990-01-01"))
    assert '<td class="num" data-org="nato">16</td>' in page
    assert '<td class="num" data-org="eu">12</td>' in page
    assert '<td class="num" data-org="b9">0</td>' in page
    assert 'href="/organizations/nato/?as_of=1990-01-01"' in page


def test_a_malformed_as_of_is_a_400_that_says_so(client):
    response = client.get("/?as_of=1990-13-45")
    assert response.status_code == 400
    assert "is not a date" in html(response)


def test_home_query_count_is_pinned(client):
    # data version (ETag), organizations with their counts
    assert query_count(client, "/") == 2


def test_pages_carry_an_etag_from_the_data_version_and_answer_304(client):
    response = client.get("/countries/ro/")
    etag = response["ETag"]
    assert client.get("/countries/ro/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    Membership.objects.filter(country__iso2="RO", organization__slug="eu").update(note="changed")
    assert client.get("/countries/ro/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_pages_work_under_the_content_security_policy(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    # The only <script> is a JSON-LD data block, which a browser does not run; nothing inline is executable.
    assert re.findall(r"<script([^>]*)>", html(response)) == [' type="application/ld+json"']
    assert not re.search(r"\son[a-z]+=", html(response))  # no event-handler attributes either


# --- search ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, target",
    [
        ("Romania", "/countries/ro/"),
        ("ROU", "/countries/ro/"),
        ("u.s.", "/countries/us/"),
        ("Bucharest Nine", "/organizations/b9/"),
        ("NATO", "/organizations/nato/"),
        ("European Union", "/organizations/eu/"),
    ],
)
def test_search_redirects_any_name_code_or_alias_to_its_page(client, query, target):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 302 and response["Location"] == target


def test_search_for_nothing_known_is_a_404_with_suggestions(client):
    response = client.get("/search/", {"q": "Romnia"})
    assert response.status_code == 404
    assert '<a href="/countries/ro/">Romania</a>' in html(response)


# --- country ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("identifier", ["Romania", "RO", "ROU", "642", "romania"])
def test_country_by_any_identifier_redirects_301_to_the_canonical_url(client, identifier):
    response = client.get(f"/countries/{identifier}/?x=1")
    assert response.status_code == 301 and response["Location"] == "/countries/ro/?x=1"


def test_unknown_country_is_a_404_page_with_suggestions(client):
    response = client.get("/countries/Romnia/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
    assert "Romania" in html(response) and 'href="/countries/ro/"' in html(response)


def test_country_page_has_a_timeline_with_one_bar_per_period_and_a_table(client):
    romania = selectors.country_resolve("RO")
    periods = list(Membership.objects.filter(country=romania))
    response = client.get("/countries/ro/")
    assert response.status_code == 200
    picture = svg_of(response, "timeline")
    assert picture.get("role") == "img" and picture.find(f"{NS}title").text and picture.find(f"{NS}desc").text
    bars = picture.findall(f".//{NS}rect[@class='period']")
    assert len(bars) == len(periods) == html(response).count('<tr><th scope="row"><a href="/organizations/')
    assert {b.get("data-status") for b in bars} == {m.status for m in periods}
    assert canonical(response) == "http://testserver/countries/ro/"


def test_country_page_quotes_each_fact_and_links_its_source(client):
    page = html(client.get("/countries/ro/"))
    for m in Membership.objects.filter(country__iso2="RO").prefetch_related("citations__source"):
        for citation in m.citations.all():
            assert escape(citation.quote) in page
            if citation.source.url:
                assert f'href="{escape(citation.source.url)}"' in page  # "&" is "&amp;" in an attribute


def test_country_page_lists_todays_groups_and_json_ld(client):
    response = client.get("/countries/gb/")
    data = json_ld(response)
    assert data["@type"] == "Country" and data["name"] == "United Kingdom"
    today_members = Membership.objects.on(datetime.date.today()).filter(country__iso2="GB", status="member")
    assert sorted(o["name"] for o in data["memberOf"]) == sorted(
        today_members.values_list("organization__name", flat=True)
    )
    assert {"North Atlantic Treaty Organization", "Organization for Security and Co-operation in Europe"} <= {
        o["name"] for o in data["memberOf"]
    }
    # The EU period (1973-2020) is on the timeline, not among today's groups but folded under them.
    section = html(response).split('id="today-h"')[1].split("</section>")[0]
    today, ended = section.split('<details class="ended">')
    assert "<strong>NATO</strong>" in today and "<strong>EU</strong>" not in today
    assert "<strong>EU</strong>" in ended and "<strong>NATO</strong>" not in ended
    assert re.search(r'until <a href="/countries/gb/eu/[0-9-]+/">2020-01-31</a>', ended)  # the period's permalink


def test_russias_page_on_a_day_before_1991_gives_the_ussrs_seats_marked_so(client):
    """Russia continues the USSR: on 1 June 1985 the page lists the USSR's groups, each "as USSR", not
    "did not yet exist"; Kazakhstan, which seceded, did not yet exist."""
    day = datetime.date(1985, 6, 1)
    ussr = Membership.objects.on(day).filter(country__code="SUHH", status="member").select_related("organization")
    assert ussr, "the fixtures give the USSR no group on 1 June 1985"
    section = html(client.get("/countries/ru/", {"as_of": day.isoformat()})).split('id="today-h"')[1]
    today = section.split("</section>")[0].split('<details class="ended">')[0]
    assert "It continues the state that held these seats then" in today
    for m in ussr:
        assert f'<strong>{m.organization.acronym}</strong></a> <span class="state">(as USSR)</span>' in today
    kazakhstan = html(client.get("/countries/kz/", {"as_of": day.isoformat()}))
    assert "did not yet exist as a state on 1 June 1985" in kazakhstan


def test_country_page_query_count_is_pinned(client):
    # data version, the periods with their organizations, their citations with their sources, the successions
    assert query_count(client, "/countries/ro/") == 4


# --- organization ----------------------------------------------------------------------------------


@pytest.mark.parametrize("identifier", ["NATO", "North Atlantic Treaty Organization", "Nato"])
def test_organization_by_any_identifier_redirects_301(client, identifier):
    response = client.get(f"/organizations/{identifier}/")
    assert response.status_code == 301 and response["Location"] == "/organizations/nato/"


def test_unknown_organization_is_a_404_page(client):
    response = client.get("/organizations/natoo/")
    assert response.status_code == 404 and 'href="/organizations/nato/"' in html(response)


def test_organization_page_has_a_step_chart_a_table_and_the_members(client):
    nato = Organization.objects.get(slug="nato")
    series = selectors.member_count_series(nato)
    response = client.get("/organizations/nato/")
    picture = svg_of(response, "step-chart")
    steps = picture.findall(f".//{NS}rect[@class='step']")
    assert len(steps) == sum(len(counts) for _, counts in series)
    assert {"States", "Year"} <= {t.text for t in picture.iter(f"{NS}text")}
    page = html(response)
    assert page.count('<tr><th scope="row">') >= len(series)
    assert "Members today" in page and ">Sweden</a>" in page
    assert "Joins and departures" in page
    data = json_ld(response)
    assert data["@type"] == "Organization" and len(data["member"]) == 32
    assert canonical(response) == "http://testserver/organizations/nato/"


def test_organization_as_of_shows_the_members_on_that_day(client):
    page = html(client.get("/organizations/nato/?as_of=2021-12-30"))
    assert "Members on 30 December 2021" in page and "(30)" in page
    members = page.split('<ul class="members status-list-member">')[1].split("</ul>")[0]
    assert ">Finland</a>" not in members and ">Romania</a>" in members
    eu = html(client.get("/organizations/eu/?as_of=2020-01-31"))
    assert ">United Kingdom</a>" in eu.split('<ul class="members status-list-member">')[1].split("</ul>")[0]
    assert "ceased to be member (last day)" in eu


def test_organization_page_query_count_is_pinned(client):
    # data version, members on the day (+ their citations), the count series, the changes (+ citations),
    # its names, its successions, the states that only possibly belong on the day (the name snapshot
    # says the OSCE has no organization among its members and belongs to none)
    assert query_count(client, "/organizations/osce/") == 9


def test_member_count_series_is_one_query_whatever_the_span(django_assert_num_queries):
    osce = Organization.objects.get(slug="osce")
    with django_assert_num_queries(1):
        series = selectors.member_count_series(osce)
    assert series[0][0] == datetime.date(1975, 8, 1)
    assert sum(series[-1][1].values()) == 57 + 11  # participating States and Partners for Co-operation


def test_a_former_state_links_its_successors_and_a_successor_its_predecessor(client):
    from alliances.models import Succession

    succession = Succession.objects.select_related("predecessor", "successor").first()
    assert succession is not None
    predecessor, successor = succession.predecessor, succession.successor
    page = html(client.get(f"/countries/{predecessor.code.lower()}/"))
    assert f'Succeeded by <a href="/countries/{successor.code.lower()}/">{successor.name}</a>' in page
    page = html(client.get(f"/countries/{successor.code.lower()}/"))
    assert f'Succeeded <a href="/countries/{predecessor.code.lower()}/">{predecessor.name}</a>' in page


def test_a_former_state_has_its_page_by_its_iso_3166_3_code(client):
    response = client.get("/countries/SUHH/")
    assert response.status_code == 301 and response["Location"] == "/countries/suhh/"
    response = client.get("/countries/suhh/")
    assert response.status_code == 200
    assert (
        len(svg_of(response, "timeline").findall(f".//{NS}rect[@class='period']"))
        == Membership.objects.filter(country__code="SUHH").count()
    )


def test_favicon_ico_leads_to_the_icon_instead_of_a_404(client):
    """Pages that name no icon (the admin) make browsers ask for /favicon.ico."""
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("/alliances/web/favicon.svg")
    assert client.get(response["Location"]).status_code == 200


def test_a_date_known_only_to_the_year_is_shown_as_the_year_on_every_page(client):
    """Romania's Francophonie membership is dated 1993: never shown as the day it is stored on (1993-12-31)."""
    oif = Membership.objects.get(country__iso2="RO", organization__slug="francophonie", status="member")
    assert (oif.start_precision, oif.start_date) == ("year", datetime.date(1993, 12, 31))
    html = client.get("/countries/ro/", follow=True).content.decode()
    assert "1993" in html and "1993-12-31" not in html  # the list, the table, the chart's labels, the facts
    # The organization's joins and departures: Romania's row says 1993. (Its count chart still steps
    # on the day the count is certain, 1993-12-31: the count, not the join, changes that day.)
    html = client.get("/organizations/francophonie/", follow=True).content.decode()
    changes = html[html.index('<h2 id="changes-h"') :]
    rows = re.findall(r"<tr><td><a [^>]*>([^<]*)</a></td><th scope=\"row\"><a href=\"[^\"]*\">Romania</a>", changes)
    assert "1993" in rows and "1993-12-31" not in rows  # its observer status (1991) has a row of its own


def test_a_countrys_groups_today_are_grouped_by_kind_and_a_dormant_body_says_so(client):
    html = client.get("/countries/ro/", follow=True).content.decode()
    today = html[html.index('id="today-h"') : html.index('id="timeline-h"')]
    headings = ["Universal organization", "Security alliance", "Economic or trade organization"]
    positions = [today.index(h) for h in headings]
    assert positions == sorted(positions)  # universal first, then alliances, then economic bodies
    assert "dormant since 2022" in today  # the NATO–Russia Council
