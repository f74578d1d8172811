"""The maps of an organization's states on a day, on the real fixtures (SQLite and PostgreSQL).

``alliances/web/maps.py`` draws them from the shipped Natural Earth shapes;
``alliances/web/map_views.py`` serves the SVG and the embeddable page; the
organization page shows the map with its table.
"""

import math
import re
import xml.etree.ElementTree as ET

import pytest

from alliances.web import maps, svg

NS = "{http://www.w3.org/2000/svg}"
MEMBER_FILL = svg.STATUS_STYLE["member"][0]


def parse(response):
    assert response.status_code == 200, response.content[:300]
    return ET.fromstring(response.content)


def fills(root):
    """``{code: fill}`` of every state's shape (``path``) on the map."""
    return {p.get("data-code"): p.get("fill") for p in root.iter(f"{NS}path") if p.get("class") == "state"}


def dots(root):
    return {c.get("data-code"): c.get("fill") for c in root.iter(f"{NS}circle") if c.get("class") == "dot"}


def notes(root):
    return " ".join(t.text for t in root.iter(f"{NS}text") if t.get("class") == "map-note")


# --- the shapes and projections (no database) ------------------------------------------------------


def test_the_lambert_projection_puts_its_centre_at_the_origin_and_keeps_north_up():
    assert maps.lambert_azimuthal(*maps.LAEA_CENTRE) == pytest.approx((0, 0), abs=1e-6)
    oslo, rome = maps.lambert_azimuthal(10.75, 59.9), maps.lambert_azimuthal(12.5, 41.9)
    assert oslo[1] < 0 < rome[1]  # SVG's y grows southwards
    # Equal-area: a 1° cell holds the same area on the centre's meridian at any latitude as on the sphere.
    for lat in (40, 60):
        (x0, y0), (_, y1) = maps.lambert_azimuthal(15, lat), maps.lambert_azimuthal(15, lat + 0.01)
        east = maps.lambert_azimuthal(15.01, lat)
        cell = abs(y1 - y0) * abs(east[0] - x0)
        sphere = (maps.EARTH_KM * math.radians(0.01)) ** 2 * math.cos(math.radians(lat))
        assert cell == pytest.approx(sphere, rel=0.01)


def test_no_outline_jumps_across_the_world_map():
    """A ring crossing the 180th meridian drawn as TopoJSON stores it would streak across the world map."""
    area = maps.region("world")
    for code, shape in maps.projected("world").items():
        for steps in re.findall(r"M[^l]*l([^z]*)z", shape.d):  # each ring: a start, then relative steps
            for dx, _ in re.findall(r"(-?[\d.]+),(-?[\d.]+)", steps):
                assert abs(float(dx)) < area.width / 3, (code, dx)


def test_the_small_states_of_europe_are_on_the_europe_map_as_dots():
    europe = maps.projected("europe")
    for code in ("LU", "MT", "LI", "AD", "MC", "SM", "VA", "XK"):
        assert code in europe, code
    for code in ("MT", "LI", "AD", "MC", "SM", "VA", "LU"):
        assert europe[code].dot is not None, code
    assert europe["FR"].dot is None and europe["DE"].dot is None
    assert "US" not in europe and "JP" not in europe


def test_projecting_is_done_once_per_process():
    maps.projected("europe")
    before = maps.projected.cache_info()
    maps.draw("europe", [maps.Mark("RO", "member", "Romania")], title="t", desc="d", labels={})
    assert maps.projected.cache_info().misses == before.misses


@pytest.mark.parametrize(
    "raw, expected", [("", (None, None)), ("World", ("world", None)), ("europe", ("europe", None))]
)
def test_parse_region(raw, expected):
    assert maps.parse_region(raw) == expected


def test_parse_region_refuses_anything_else():
    region, error = maps.parse_region("mars")
    assert region is None and "mars" in error


# --- /organizations/<id>/map.svg -------------------------------------------------------------------


@pytest.mark.django_db
def test_map_svg_is_svg_with_a_title_a_description_and_a_legend(client):
    response = client.get("/organizations/nato/map.svg")
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    root = parse(response)
    assert root.tag == f"{NS}svg" and "map-europe" in root.get("class")
    assert "NATO" in root.find(f"{NS}title").text
    assert "coloured and patterned by status" in root.find(f"{NS}desc").text
    legend = {g.get("data-status") for g in root.iter(f"{NS}g") if g.get("class") == "legend-item"}
    assert {"member", "none"} <= legend
    # Every state has its name as a <title>.
    titled = [p for p in root.iter(f"{NS}path") if p.get("class") == "state"]
    assert titled and all(p.find(f"{NS}title") is not None and p.find(f"{NS}title").text for p in titled)


@pytest.mark.django_db
def test_nato_today_fills_its_members_and_leaves_the_others_grey(client):
    root = parse(client.get("/organizations/nato/map.svg"))
    shown = fills(root)
    for code in ("RO", "PL", "TR", "FI", "SE", "GB"):
        assert shown[code] == MEMBER_FILL, code
    for code in ("AT", "CH", "IE", "UA"):  # the Partnership for Peace
        assert shown[code] == "url(#map-partner)", code
    assert shown["RU"] == "url(#map-suspended)"
    for code in ("CY", "XK", "LI", "MA"):
        assert shown[code] == maps.NO_STATUS_FILL, code
    title = next(p for p in root.iter(f"{NS}path") if p.get("data-code") == "RO").find(f"{NS}title").text
    assert title.startswith("Romania: member since 2004")
    # The two North American members are not on the Europe map, and the map says so.
    assert "US" not in shown and "United States" in notes(root) and "Canada" in notes(root)
    world = fills(parse(client.get("/organizations/nato/map.svg?region=world")))
    assert world["US"] == MEMBER_FILL and world["CA"] == MEMBER_FILL and world["JP"] == maps.NO_STATUS_FILL


@pytest.mark.django_db
def test_a_status_other_than_member_is_patterned_as_on_the_timelines(client):
    root = parse(client.get("/organizations/eu/map.svg"))
    shown = fills(root)
    assert shown["UA"] == "url(#map-candidate)" and shown["RO"] == MEMBER_FILL
    pattern = next(p for p in root.iter(f"{NS}pattern") if p.get("id") == "map-candidate")
    assert pattern.find(f"{NS}rect").get("fill") == svg.STATUS_STYLE["candidate"][0]
    assert dots(root)["MT"] == MEMBER_FILL  # Malta: too small to see, so a dot as well


@pytest.mark.django_db
def test_the_warsaw_pact_in_1980_names_its_former_states_instead_of_colouring_todays(client):
    root = parse(client.get("/organizations/warsaw-pact/map.svg?as_of=1980-01-01"))
    shown = fills(root)
    for code in ("PL", "HU", "RO", "BG"):
        assert shown[code] == MEMBER_FILL, code
    # The USSR, the GDR and Czechoslovakia were members; today's states in their place are not coloured.
    for code in ("RU", "UA", "BY", "DE", "CZ", "SK", "LT"):
        assert shown[code] == maps.NO_STATUS_FILL, code
    said = notes(root) + root.find(f"{NS}desc").text
    for name in ("USSR", "German Democratic Republic", "Czechoslovakia"):
        assert name in said
    assert "no longer exist" in said and "today's borders" in said


@pytest.mark.django_db
def test_a_universal_organization_gets_the_world_map_by_default(client):
    root = parse(client.get("/organizations/un/map.svg"))
    assert "map-world" in root.get("class")
    shown = fills(root)
    assert shown["BR"] == MEMBER_FILL and shown["AU"] == MEMBER_FILL
    assert dots(root)["MT"] == MEMBER_FILL  # island states missing from 1:110m are dots


@pytest.mark.django_db
def test_an_unknown_organization_is_a_404_in_json(client):
    response = client.get("/organizations/no-such-body/map.svg")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json()["not_found"] == {"kind": "organization", "identifier": "no-such-body"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, field", [("as_of=1980-13-01", "as_of"), ("as_of=yesterday", "as_of"), ("region=mars", "region")]
)
@pytest.mark.parametrize("path", ["/organizations/nato/map.svg", "/embed/organizations/nato/map/"])
def test_a_bad_date_or_region_is_a_400_in_json(client, path, query, field):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"] and body[field]


@pytest.mark.django_db
def test_another_spelling_of_the_organization_redirects_to_the_canonical_map(client):
    response = client.get("/organizations/NATO/map.svg?region=world")
    assert response.status_code == 301 and response["Location"] == "/organizations/nato/map.svg?region=world"


@pytest.mark.django_db
def test_map_svg_has_an_etag_and_answers_304(client):
    first = client.get("/organizations/nato/map.svg")
    again = client.get("/organizations/nato/map.svg", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


# --- the organization page and the embed -----------------------------------------------------------


def table_rows(page):
    return dict(re.findall(r'<tr data-code="([A-Z]+)"><th scope="row"><a [^>]*>[^<]+</a></th><td>([^<]+)</td>', page))


@pytest.mark.django_db
def test_the_organization_page_has_the_map_a_switch_and_the_same_states_as_a_table(client):
    response = client.get("/organizations/warsaw-pact/?as_of=1980-01-01")
    assert response.status_code == 200
    page = response.content.decode()
    match = re.search(r'<svg [^>]*class="chart map map-europe".*?</svg>', page, re.S)
    assert match
    marked = {
        p.get("data-code") for p in ET.fromstring(match.group(0)).iter() if p.get("data-code") and p.get("data-status")
    }
    rows = table_rows(page)
    assert marked == {"PL", "HU", "RO", "BG"}
    assert set(rows) == marked | {"SUHH", "DDDE", "CSHH"} and set(rows.values()) == {"Member"}
    assert "not drawn: a former state" in page
    assert 'href="?as_of=1980-01-01&amp;region=world"' in page
    assert "/organizations/warsaw-pact/map.svg?as_of=1980-01-01&amp;region=europe" in page
    assert "/embed/organizations/warsaw-pact/map/?as_of=1980-01-01&amp;region=europe" in page


@pytest.mark.django_db
def test_the_organization_page_takes_the_region_and_refuses_a_bad_one(client):
    page = client.get("/organizations/nato/?region=world").content.decode()
    assert 'class="chart map map-world"' in page and '<strong aria-current="page">The world</strong>' in page
    response = client.get("/organizations/nato/?region=mars")
    assert response.status_code == 400 and "is not a map" in response.content.decode()
    assert 'class="chart map map-europe"' in response.content.decode()


@pytest.mark.django_db
def test_only_the_embed_may_be_framed(client):
    embed = client.get("/embed/organizations/nato/map/")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    page = embed.content.decode()
    assert 'class="chart map map-europe"' in page and 'target="_top"' in page
    assert "<header" not in page  # a bare page: the map, its caption and its table
    # Revalidated, it stays framable (a 304's headers update the browser's stored ones).
    again = client.get("/embed/organizations/nato/map/", HTTP_IF_NONE_MATCH=embed["ETag"])
    assert again.status_code == 304 and "X-Frame-Options" not in again
    assert "frame-ancestors *" in again["Content-Security-Policy"]
    for path in ("/organizations/nato/", "/organizations/nato/map.svg"):
        other = client.get(path)
        assert other["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in other["Content-Security-Policy"], path
