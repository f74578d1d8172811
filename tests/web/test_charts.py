"""The charts as files (SVG, PNG) and as framable embeds, through Django's test client on the real fixtures."""

import datetime
import re
import struct
import xml.etree.ElementTree as ET

import pytest
from django.conf import settings
from django.core.cache import caches

from alliances.models import Membership, Organization
from alliances.store import audit
from alliances.web import embed

pytestmark = pytest.mark.django_db
NS = "{http://www.w3.org/2000/svg}"
FILES = {
    "/organizations/nato/chart.svg": "image/svg+xml",
    "/organizations/nato/chart.png": "image/png",
    "/countries/de/timeline.svg": "image/svg+xml",
    "/countries/de/timeline.png": "image/png",
}
EMBEDS = ["/embed/organizations/nato/chart/", "/embed/countries/de/timeline/"]


def texts(root):
    return [t.text for t in root.iter(f"{NS}text")]


def csp_directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


def members_on(slug, day):
    return Membership.objects.on(day).filter(organization__slug=slug, status="member").count()


@pytest.mark.parametrize(("path", "content_type"), FILES.items())
def test_each_chart_downloads_as_its_file_type_named_by_its_day(client, path, content_type):
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == content_type
    stem, _, ext = path.rpartition(".")
    slug = stem.split("/")[2]
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline; filename=") and f"{slug}-" in disposition
    assert disposition.endswith(f'{datetime.date.today().isoformat()}.{ext}"')
    assert response.has_header("ETag")
    assert client.get(path, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_the_svg_file_carries_its_title_data_version_and_source_inside_the_image(client):
    response = client.get("/organizations/nato/chart.svg")
    root = ET.fromstring(response.content)  # a standalone, well-formed document
    words = " ".join(texts(root))
    nato = Organization.objects.get(slug="nato")
    assert nato.name in words and "number of states" in words
    assert f"Data version {audit.data_version()}" in words
    assert "Source: alliances, http://testserver/organizations/nato/ (CC-BY-4.0)" in words
    # The same steps as the page's chart, in the wide layout.
    page = client.get("/organizations/nato/").content.decode()
    assert len(root.findall(f".//{NS}rect[@class='step']")) == page.count('class="step"') // 2
    assert root.get("data-layout") == "wide"


def test_the_png_is_the_svg_rasterised_at_twice_its_width(client):
    svg_root = ET.fromstring(client.get("/countries/de/timeline.svg").content)
    width, height = (float(v) for v in svg_root.get("viewBox").split()[2:])
    png = client.get("/countries/de/timeline.png").content
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    png_width, png_height = struct.unpack(">II", png[16:24])
    assert (png_width, png_height) == (round(width * 2), pytest.approx(height * 2, abs=2))


def test_as_of_marks_the_chosen_day_with_the_members_that_day(client):
    day = datetime.date(1990, 1, 1)
    root = ET.fromstring(client.get(f"/organizations/nato/chart.svg?as_of={day}").content)
    expected = f"{members_on('nato', day)} members on 1990-01-01"
    assert expected in texts(root)
    assert "as of 1990-01-01" in " ".join(texts(root))
    assert root.find(f".//{NS}g[@class='marker']/{NS}line") is not None
    # Without as_of (or as_of today) nothing is marked.
    plain = ET.fromstring(client.get("/organizations/nato/chart.svg").content)
    assert plain.find(f".//{NS}g[@class='marker']") is None
    # The page marks the same day on its chart, and its links carry the day.
    page = client.get(f"/organizations/nato/?as_of={day}").content.decode()
    assert expected in page and f'href="/organizations/nato/chart.svg?as_of={day}"' in page
    assert f"/embed/organizations/nato/chart/?as_of={day}" in page
    timeline = ET.fromstring(client.get(f"/countries/de/timeline.svg?as_of={day}").content)
    assert "1990-01-01" in texts(timeline)


@pytest.mark.parametrize("path", [*FILES, *EMBEDS])
def test_an_unknown_identifier_is_a_404_and_another_spelling_a_301(client, path):
    unknown = path.replace("/nato/", "/natoo/").replace("/de/", "/xx/")
    response = client.get(unknown)
    assert response.status_code == 404
    if path in FILES:
        assert response["Content-Type"] == "application/json" and "No " in response.json()["detail"]
    else:
        assert response["Content-Type"].startswith("text/html") and "No " in response.content.decode()
    other = path.replace("/nato/", "/NATO/").replace("/de/", "/Germany/")
    response = client.get(other + "?as_of=2000-01-01")
    assert response.status_code == 301 and response["Location"] == path + "?as_of=2000-01-01"


@pytest.mark.parametrize("path", [*FILES, *EMBEDS])
def test_a_bad_as_of_is_a_400(client, path):
    response = client.get(path + "?as_of=1990-13-45")
    assert response.status_code == 400
    if path in FILES:
        assert response.json() == {"detail": "“1990-13-45” is not a date in YYYY-MM-DD form.", "parameter": "as_of"}
    else:
        assert "is not a date" in response.content.decode()


@pytest.mark.parametrize("path", EMBEDS)
def test_only_the_embeds_may_be_framed_by_any_site(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert not response.has_header("X-Frame-Options")
    assert csp_directives(response)["frame-ancestors"] == ["*"]
    # The rest of the policy stands: nothing inline runs, nothing loads from elsewhere.
    assert csp_directives(response)["script-src"] == ["'self'"]
    # The page the embed comes from, its files and every other page keep refusing frames.
    for other in ["/", "/organizations/nato/", "/countries/de/", *FILES, "/api/v1/", "/admin/login/"]:
        refused = client.get(other)
        assert refused["X-Frame-Options"] == "DENY", other
        assert csp_directives(refused)["frame-ancestors"] == ["'none'"], other


@pytest.mark.parametrize("path", EMBEDS)
def test_an_embed_has_the_chart_a_title_a_link_back_and_the_attribution(client, path):
    page = client.get(path).content.decode()
    back = "http://testserver" + path.replace("/embed", "").rsplit("/", 2)[0] + "/"
    assert f'<h1 class="embed-title"><a href="{back}"' in page
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2  # the wide and the narrow layout
    assert 'data-layout="wide"' in page and 'data-layout="narrow"' in page
    assert f"data version {audit.data_version()}" in page and "CC-BY-4.0" in page
    assert '<base target="_blank">' in page  # links leave the frame
    assert "<header" not in page and "<footer" not in page


@pytest.mark.parametrize(
    ("page", "embed", "files"),
    [
        ("/organizations/nato/", "/embed/organizations/nato/chart/", "/organizations/nato/chart"),
        ("/countries/de/", "/embed/countries/de/timeline/", "/countries/de/timeline"),
    ],
)
def test_each_page_offers_the_files_and_an_iframe_snippet_next_to_its_chart(client, page, embed, files):
    body = client.get(page).content.decode()
    chart = body.split('<figure class="chart-figure">')[1]
    share = chart.split('<div class="chart-share">')[1].split("</div>")[0]
    assert f'href="{files}.svg" download' in share and f'href="{files}.png" download' in share
    snippet = re.search(r'<textarea id="[^"]+" class="snippet"[^>]*>(.*?)</textarea>', share, re.S).group(1)
    assert snippet.startswith(f"&lt;iframe src=&quot;http://testserver{embed}&quot; title=")
    assert "height=&quot;" in snippet and snippet.endswith("&lt;/iframe&gt;")
    assert client.get(embed).status_code == 200


def test_the_members_on_the_day_come_before_the_chart(client):
    page = client.get("/organizations/nato/").content.decode()
    assert page.index('id="members-h"') < page.index('id="chart-h"') < page.index('id="changes-h"')


def test_a_png_is_drawn_once_per_data_version_day_and_url(client, monkeypatch):
    caches[settings.RESPONSE_CACHE_ALIAS].clear()
    drawn = []
    real = embed.cairosvg.svg2png
    monkeypatch.setattr(embed.cairosvg, "svg2png", lambda **kw: drawn.append(kw) or real(**kw))
    first = client.get("/organizations/eu/chart.png").content
    assert client.get("/organizations/eu/chart.png").content == first and len(drawn) == 1
    client.get("/organizations/eu/chart.png?as_of=2004-05-01")  # another URL, another picture
    assert len(drawn) == 2
