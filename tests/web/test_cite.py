"""Cite this, the permalink of one period, ?as_of on country pages, members' sources, the public wording.

On the real fixtures, through Django's test client (SQLite and PostgreSQL).
"""

import datetime
import html
import html as html_lib
import io
import json
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from alliances.models import AuditEvent, Citation, Country, Membership, Organization, Source
from alliances.opendata import citation, releases
from alliances.store import audit
from tests.api.test_api_read import content

pytestmark = pytest.mark.django_db

CURATORS_WORDS = re.compile(r"stored pages?|stored sources?|stored cop(y|ies)|search corpus|when revising", re.I)


def page_of(response):
    return html_lib.unescape(response.content.decode())


def last_changed():
    return AuditEvent.objects.order_by("-id").values_list("at", flat=True).first().date()


def fact_url(m):
    return f"/countries/{m.country.code.lower()}/{m.organization.slug}/{m.start_text}/"


def cite_block(page):
    start = page.index('<section class="cite"')
    return page[start : page.index("</section>", start)]


# --- the citation endpoints ------------------------------------------------------------------------


def test_a_country_citation_in_three_formats_names_the_version_the_change_and_the_day(client):
    version = audit.data_version()
    base = "/countries/ro/cite/?as_of=2000-01-01&format="
    text = client.get(base + "text")
    assert text.status_code == 200 and text["Content-Type"] == "text/plain; charset=utf-8"
    body = text.content.decode()
    assert "Romania: memberships, as of 2000-01-01" in body and f"Data version {version}" in body
    assert f"last changed {last_changed().isoformat()}" in body
    assert "http://testserver/countries/ro/?as_of=2000-01-01" in body

    bib = client.get(base + "bibtex")
    assert bib["Content-Type"] == "text/x-bibtex; charset=utf-8"
    entry = bib.content.decode()
    assert entry.startswith("@misc{") and entry.count("{") == entry.count("}")
    fields = dict(re.findall(r"^  (\w+) = \{(.*)\},?$", entry, re.M))
    assert fields["version"] == version and fields["url"] == "http://testserver/countries/ro/?as_of=2000-01-01"
    assert fields["author"] == "{The alliances contributors}" and "as of 2000-01-01" in fields["note"]

    csl = client.get(base + "csl-json")
    assert csl["Content-Type"] == "application/vnd.citationstyles.csl+json"
    (item,) = json.loads(csl.content)
    assert item["type"] == "dataset" and item["version"] == version
    assert item["title"] == "Romania: memberships, as of 2000-01-01"
    assert item["issued"]["date-parts"] == [list(last_changed().timetuple()[:3])]


def test_the_data_set_and_a_period_have_their_citations_too(client):
    dataset = client.get("/cite/").content.decode()
    assert citation.DATASET_TITLE in dataset and audit.data_version() in dataset
    nato = Membership.objects.get(country__iso2="RO", organization__slug="nato", status="member")
    body = client.get(fact_url(nato) + "cite/").content.decode()
    assert (
        "Romania in NATO: member from 2004-03-29" in body and "http://testserver/countries/ro/nato/2004-03-29/" in body
    )


@pytest.mark.parametrize(
    "url, status",
    [
        ("/countries/ro/cite/?format=ris", 400),
        ("/organizations/nato/cite/?as_of=1990-13-01", 400),
        ("/countries/zz/cite/", 404),
        ("/organizations/no-such-body/cite/", 404),
        ("/countries/ro/nato/1990/cite/", 404),
        ("/countries/ro/nato/yesterday/cite/", 404),
    ],
)
def test_bad_citation_requests_are_answered_in_json(client, url, status):
    response = client.get(url)
    assert response.status_code == status and response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_the_citation_says_what_citation_cff_says():
    cff = yaml.safe_load((Path(settings.BASE_DIR) / "CITATION.cff").read_text(encoding="utf-8"))
    assert " ".join(cff["title"].split()) == citation.DATASET_TITLE
    assert [a["name"] for a in cff["authors"]] == [citation.AUTHORS]
    assert cff["license"] == settings.DATASET_LICENSE["name"]
    # Every organization its abstract names is in the data.
    listed = " ".join(cff["abstract"].split()).split("(among them ")[1].split(")")[0]
    named = re.findall(r"\b([A-Z][A-Z0-9]+)\b", listed)
    acronyms = set(Organization.objects.values_list("acronym", flat=True))
    assert len(named) >= 10 and set(named) <= acronyms
    assert {"NATO", "EU", "UN"} <= set(named)


def test_bibtex_escapes_what_tex_would_read_as_commands():
    found = citation.cite(
        title="A & B: 100% {x}", url=None, version="1.a", changed_at=None, as_of=datetime.date(2000, 1, 1)
    )
    assert r"A \& B: 100\% \{x\}" in found["bibtex"] and "url" not in found["bibtex"]


# --- the "Cite this" block and the data version on the pages ---------------------------------------


@pytest.mark.parametrize("url", ["/", "/countries/ro/", "/organizations/nato/", "/countries/ro/nato/2004-03-29/"])
def test_every_page_offers_its_citation_and_shows_the_data_version_and_its_last_change(client, url):
    page = page_of(client.get(url))
    version = audit.data_version()
    block = cite_block(page)
    assert block.count("<pre") == 3 and f"Data version {version}" in block
    assert 'href="' + url + "cite/?format=bibtex" in block and "csl-json" in block
    changed = last_changed()
    assert f"last changed {changed.day} {changed:%B %Y}" in block
    footer = page[page.index('<footer class="site">') :]
    assert version in footer and f"{changed.day} {changed:%B %Y}" in footer


def test_the_cite_block_follows_as_of(client):
    block = cite_block(page_of(client.get("/organizations/nato/?as_of=1990-01-01")))
    assert "as of 1990-01-01" in block and "http://testserver/organizations/nato/?as_of=1990-01-01" in block
    assert "/organizations/nato/cite/?format=bibtex&as_of=1990-01-01" in block


# --- the permalink of one period -------------------------------------------------------------------


def test_every_period_on_a_country_page_links_to_its_permalink_with_quote_source_and_citation(client):
    page = page_of(client.get("/countries/ro/"))
    periods = list(Membership.objects.filter(country__iso2="RO").select_related("country", "organization"))
    for m in periods:
        url = fact_url(m)
        assert f'href="{url}"' in page
        response = client.get(url)
        assert response.status_code == 200, url
        fact = page_of(response)
        assert m.organization.name in fact and m.start_text in fact and "Cite this" in fact
        for c in m.citations.select_related("source"):
            assert c.quote in fact and c.source.title in fact and c.source.get_kind_display().lower() in fact
            if c.source.url:
                assert f'href="{c.source.url}"' in fact


def test_a_permalink_is_the_natural_key_and_survives_a_reload_of_the_period(client):
    m = Membership.objects.select_related("country", "organization").get(
        country__iso2="RO", organization__slug="nato", status="member"
    )
    url = fact_url(m)
    assert url == "/countries/ro/nato/2004-03-29/"
    quote = m.citations.first().quote
    # A reload of the fixtures gives the rows new ids: the same key, another primary key.
    citations = [(c.source, c.quote) for c in m.citations.all()]
    old_pk = m.pk
    m.delete()  # its citations go with it
    m.pk = None
    m.save()
    for source, text in citations:
        Citation.objects.create(source=source, organization=m.organization, membership=m, quote=text)
    assert m.pk != old_pk
    response = client.get(url)
    assert response.status_code == 200 and quote in page_of(response)


def test_a_start_known_to_the_year_is_its_permalink_and_other_spellings_redirect(client):
    assert client.get("/countries/ro/francophonie/1993/").status_code == 200
    assert client.get("/countries/ro/francophonie/1993-12-31/")["Location"] == "/countries/ro/francophonie/1993/"
    response = client.get("/countries/Romania/NATO/2004-03-29/")
    assert response.status_code == 301 and response["Location"] == "/countries/ro/nato/2004-03-29/"
    missing = client.get("/countries/ro/nato/1990-01-01/")
    assert missing.status_code == 404 and "No period of Romania in NATO starts on 1990-01-01" in page_of(missing)
    assert client.get("/countries/ro/nato/soon/").status_code == 404
    assert client.get("/countries/zz/nato/2004-03-29/").status_code == 404


def test_a_link_made_before_a_start_was_dated_more_finely_still_finds_its_period(client):
    """research/refinements.json dated Romania's CEI start from the year 1996 to 1 June 1996: the old
    permalink, which citations in the wild still use, redirects to the new one."""
    refinements = json.loads((Path(settings.BASE_DIR) / "research" / "refinements.json").read_text())["refinements"]
    (romania,) = [r for r in refinements if (r["state"], r["org"]) == ("RO", "cei")]
    assert (romania["start"], romania["to"]) == ("1996", "1996-06-01")
    response = client.get("/countries/ro/cei/1996/")
    assert response.status_code == 301 and response["Location"] == "/countries/ro/cei/1996-06-01/"
    assert client.get(response["Location"]).status_code == 200
    # A coarse link that two periods start within names neither: Romania was an OIF observer and then a member.
    assert client.get("/countries/ro/francophonie/1991-06/").status_code == 404


def test_organization_pages_link_members_to_their_periods_and_show_each_source(client):
    page = page_of(client.get("/organizations/nato/"))
    members = Membership.objects.on(datetime.date.today()).filter(organization__slug="nato")
    assert members.count() >= 32
    for m in members.select_related("country", "organization").prefetch_related("citations__source"):
        assert f'href="{fact_url(m)}"' in page
        for c in m.citations.all():
            assert c.quote in page
            if c.source.url:
                assert f'href="{c.source.url}"' in page
    assert page.count('<details class="member-source">') == members.filter(citations__isnull=False).distinct().count()


# --- country pages honour ?as_of -------------------------------------------------------------------


def groups_section(page):
    return page[page.index('id="today-h"') : page.index("</section>", page.index('id="today-h"'))]


def test_a_country_page_shows_its_groups_on_the_day_asked_about(client):
    day = datetime.date(1990, 1, 1)
    section = groups_section(page_of(client.get(f"/countries/ro/?as_of={day}")))
    assert "On 1 January 1990" in section
    held = Membership.objects.on(day).filter(country__iso2="RO").select_related("organization")
    assert held.exists()
    for m in held:
        assert f"<strong>{m.organization.acronym}</strong>" in section
    assert "<strong>NATO</strong>" not in section  # joined in 2004
    today = groups_section(page_of(client.get("/countries/ro/")))
    assert "<strong>NATO</strong>" in today


def test_a_bad_as_of_on_a_country_page_is_a_400_page_that_says_so(client):
    response = client.get("/countries/ro/?as_of=1990-02-30")
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert "is not a date" in page_of(response)


def test_a_former_state_says_when_it_ended_and_what_it_was_in_then(client):
    ussr = Country.objects.get(code="SUHH")
    page = page_of(client.get("/countries/suhh/"))
    section = groups_section(page)
    assert f"ceased to exist as a state on {ussr.exists_to.day} {ussr.exists_to:%B %Y}" in section
    assert "In none of the recorded organizations" not in section
    at_end = Membership.objects.on(ussr.exists_to).filter(country=ussr).select_related("organization")
    assert at_end.exists()
    for m in at_end:
        assert f"<strong>{m.organization.acronym}</strong>" in section
    before = groups_section(page_of(client.get("/countries/suhh/?as_of=1980-01-01")))
    assert "ceased to exist" not in before and "On 1 January 1980" in before


# --- the home page, the search, the public wording -------------------------------------------------


def test_the_home_page_says_dissolved_and_dormant_instead_of_a_bare_count(client):
    page = page_of(client.get("/"))
    warsaw = Organization.objects.get(slug="warsaw-pact")
    assert f'data-org="warsaw-pact">dissolved in {warsaw.dissolved.year}<' in page
    nrc = Organization.objects.get(slug="nrc")
    assert nrc.dormant_since is not None
    assert re.search(rf'data-org="nrc">\d+ <span class="state">\(dormant since {nrc.dormant_since.year}\)', page)
    then = page_of(client.get("/?as_of=1985-01-01"))
    count = Membership.objects.on(datetime.date(1985, 1, 1)).filter(organization=warsaw, status="member").count()
    assert count > 0 and f'data-org="warsaw-pact">{count}<' in then


@pytest.mark.parametrize("query, target", [("Burma", "/countries/mm/"), ("Swaziland", "/countries/sz/")])
def test_former_names_find_the_state(client, query, target):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 302 and response["Location"] == target


@pytest.mark.parametrize(
    "query, codes",
    [("Congo", {"cg", "cd"}), ("Korea", {"kp", "kr"}), ("Guinea", {"gn", "gq", "gw", "pg"})],
)
def test_an_ambiguous_name_asks_which_state(client, query, codes):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    page = page_of(response)
    listed = set(re.findall(r'<ul class="candidates">.*?</ul>', page, re.S)[0].split('href="/countries/')[1:])
    assert {item.split("/")[0] for item in listed} == codes


@pytest.mark.parametrize("query, target", [("Germany", "/countries/de/"), ("Georgia", "/countries/ge/")])
def test_a_name_shared_only_with_a_former_state_or_a_territory_is_not_ambiguous(client, query, target):
    assert client.get("/search/", {"q": query})["Location"] == target


def test_public_pages_do_not_show_curators_working_notes(client):
    noted = (
        Membership.objects.filter(note__iregex=r"stored|sources consulted|Date from:|when revising")
        .select_related("country", "organization")
        .order_by("country__code", "start_date")
    )
    assert noted.count() > 50  # the fixtures' curators do write such notes: the test can fail
    countries = sorted({m.country.code.lower() for m in noted})
    for code in countries:
        page = page_of(client.get(f"/countries/{code}/"))
        assert not CURATORS_WORDS.search(page), code
    for m in noted[:20]:
        page = page_of(client.get(fact_url(m)))
        assert not CURATORS_WORDS.search(page)
        assert html.escape(m.note[:60]) not in page and m.note[:60] not in page, fact_url(m)  # no note at all
    for slug in sorted({m.organization.slug for m in noted}):
        assert not CURATORS_WORDS.search(page_of(client.get(f"/organizations/{slug}/"))), slug


def test_the_api_and_the_downloads_do_not_carry_curators_working_notes(client):
    """The notes stay in the admin: no answer of the API (JSON or CSV) and no download carries one."""
    noted = list(
        Membership.objects.filter(note__iregex=r"stored|sources consulted|Date from:").select_related("country")
    )
    assert len(noted) > 50  # the test can fail: the fixtures' curators do write such notes
    sources = Source.objects.exclude(note="")
    assert sources.exists()
    notes = {m.note[:60] for m in noted} | {s.note[:60] for s in sources}
    answers = [
        client.get("/api/v1/memberships.csv"),
        client.get("/api/v1/sources.csv"),
        client.get("/downloads/latest/memberships.csv"),
        client.get("/downloads/latest/sources.csv"),
        client.get("/downloads/latest/successions.csv"),
        *(client.get(f"/api/v1/countries/{code}/memberships/", {"history": "true"}) for code in ("RO", "RU", "TR")),
    ]
    for answer in answers:
        assert answer.status_code == 200
        text = content(answer).decode()
        assert not [n for n in notes if n in text], answer.wsgi_request.get_full_path()


# --- releases --------------------------------------------------------------------------------------


def test_each_release_carries_its_citation(settings, tmp_path, client):
    settings.RELEASES_DIR = tmp_path / "releases"
    call_command("make_release", stdout=io.StringIO(), stderr=io.StringIO())
    (record,) = releases.releases()
    version = record["version"]
    assert {"CITATION.txt", "CITATION.bib", "citation.csl.json"} <= set(record["files"])
    listing = client.get("/downloads.json").json()["releases"][0]["files"]
    bib = client.get(listing["CITATION.bib"])
    assert bib["Content-Type"] == "text/x-bibtex; charset=utf-8"
    assert f"version = {{{version}}}" in b"".join(bib.streaming_content).decode()
    csl = client.get(listing["citation.csl.json"])
    assert csl["Content-Type"] == "application/vnd.citationstyles.csl+json"
    (item,) = json.loads(b"".join(csl.streaming_content))
    assert item["version"] == version and item["title"] == citation.DATASET_TITLE
    text = (settings.RELEASES_DIR / version / "CITATION.txt").read_text(encoding="utf-8")
    assert f"Data version {version}" in text
