"""Maps of an organization's states on a day: plain data in, SVG markup out, like ``svg``.

The shapes are Natural Earth's Admin 0 countries (public domain) from the npm
package ``world-atlas`` 2.0.2, in ``alliances/web/data/natural_earth.json``
(``scripts/build_map_shapes.py`` says how it was made). Two maps:

- **Europe**: 1:50m shapes in the Lambert azimuthal equal-area projection centred
  on 15° E, 52° N (the projection of the EU's own statistical maps, EPSG:3035, on
  a sphere), from Iceland to Azerbaijan and from the North Cape to Cyprus;
- **World**: 1:110m shapes in the equirectangular projection (longitude and
  latitude as x and y), from 84° N to 57° S (no organization here has Antarctica).

Projecting is done once per map and process (``projected``, cached): a request
only picks each state's fill. A state too small to see (Malta, Andorra, the
Vatican; on the world map most island states) is drawn as a dot as well, when it
has a status. States are drawn on today's borders, so a state that no longer
exists (the USSR, the GDR, Czechoslovakia, Yugoslavia) has no shape: the caller
lists it beside the map instead of colouring today's states in its place.

Statuses are coloured and patterned as on the timelines (``svg.STATUS_STYLE``).
"""

import dataclasses
import functools
import json
import math
import pathlib
import textwrap
from xml.sax.saxutils import escape, quoteattr

from alliances.web import svg

DATA_FILE = pathlib.Path(__file__).resolve().parent / "data" / "natural_earth.json"
REGIONS = ("europe", "world")
WIDTH = 600  # viewBox units, like the charts: phones' 24-unit text (site.css) stays readable
NO_STATUS_FILL = "#dfe3e8"
SEA_FILL = "#f4f7fa"
BORDER = "#ffffff"
DOT_RADIUS = 4.5
# Projected size (the longer side of a state's bounding box, in viewBox units) under which a state also gets a dot.
DOT_BELOW = {"europe": 10, "world": 3}
# The smallest step kept between two points of an outline, in viewBox units: finer detail is not seen.
MIN_STEP = 0.6
# The width of a character of the 24-unit text phones get (site.css), with room for wide fallback fonts (DejaVu Sans).
CHAR_WIDTH = 16
LINE_HEIGHT = 32  # the 24-unit text's box is about 30 units tall
REGION_LABELS = {"europe": "Europe", "world": "the world"}


@functools.cache
def shape_data():
    """The shipped Natural Earth shapes (longitude, latitude), read once per process."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


# --- projections -----------------------------------------------------------------------------------

EARTH_KM = 6371.0
LAEA_CENTRE = (15.0, 52.0)
EUROPE_VIEW_KM = (-2350.0, -2300.0, 3050.0, 1900.0)  # x from, y from (north), x to, y to (south)
WORLD_VIEW_DEG = (-180.0, 84.0, 180.0, -57.0)  # west, north, east, south


def lambert_azimuthal(lon, lat):
    """Lambert azimuthal equal-area on a sphere, in km from ``LAEA_CENTRE``; y grows southwards (SVG's way)."""
    lam0, phi0 = map(math.radians, LAEA_CENTRE)
    lam, phi = math.radians(lon), math.radians(lat)
    cos_c = math.sin(phi0) * math.sin(phi) + math.cos(phi0) * math.cos(phi) * math.cos(lam - lam0)
    k = math.sqrt(2 / max(1 + cos_c, 1e-9))
    x = k * math.cos(phi) * math.sin(lam - lam0)
    y = k * (math.cos(phi0) * math.sin(phi) - math.sin(phi0) * math.cos(phi) * math.cos(lam - lam0))
    return x * EARTH_KM, -y * EARTH_KM


@dataclasses.dataclass(frozen=True)
class Region:
    name: str
    width: float
    height: float
    project: object  # (lon, lat) -> (x, y) in viewBox units


def _europe():
    x0, y0, x1, y1 = EUROPE_VIEW_KM
    scale = WIDTH / (x1 - x0)

    def project(lon, lat):
        x, y = lambert_azimuthal(lon, lat)
        return (x - x0) * scale, (y - y0) * scale

    return Region("europe", WIDTH, round((y1 - y0) * scale, 1), project)


def _world():
    west, north, east, south = WORLD_VIEW_DEG
    scale = WIDTH / (east - west)

    def project(lon, lat):
        return (lon - west) * scale, (north - lat) * scale

    return Region("world", WIDTH, round((north - south) * scale, 1), project)


@functools.cache
def region(name):
    return {"europe": _europe, "world": _world}[name]()


@dataclasses.dataclass(frozen=True)
class Shape:
    code: str
    name: str
    d: str  # the SVG path, "" when the state is only a point on this map
    dot: tuple | None  # (x, y) where a dot goes when the state has a status, or None


def _number(tenths):
    """A tenth-of-a-unit integer as short SVG number text: 12 -> "1.2", -3 -> "-.3", 40 -> "4"."""
    text = f"{tenths / 10:g}"
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text


def _path(rings, project):
    """One SVG path for a state's rings, dropping points closer than ``MIN_STEP`` to the last one kept.

    Points are rounded to a tenth of a unit and written relative to the previous
    one (``l dx,dy``), which makes the maps about a third smaller than absolute ones.
    """
    parts = []
    for ring in rings:
        kept = []
        for lon, lat in ring:
            x, y = project(lon, lat)
            point = (round(x * 10), round(y * 10))
            if not kept or abs(point[0] - kept[-1][0]) + abs(point[1] - kept[-1][1]) >= MIN_STEP * 10:
                kept.append(point)
        if len(kept) >= 3:
            steps = " ".join(
                f"{_number(b[0] - a[0])},{_number(b[1] - a[1])}" for a, b in zip(kept, kept[1:], strict=False)
            )
            parts.append(f"M{_number(kept[0][0])},{_number(kept[0][1])}l{steps}z")
    return "".join(parts)


@functools.cache
def projected(name):
    """``{code: Shape}`` for every state that shows on the map ``name``. Computed once per process."""
    data, area = shape_data(), region(name)
    source = data["europe"] if name == "europe" else data["world"]
    shapes = {}
    for code, entry in source.items():
        rings = [r for polygon in entry["polygons"] for r in polygon]
        points = [area.project(lon, lat) for r in rings for lon, lat in r]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        if max(xs) < 0 or min(xs) > area.width or max(ys) < 0 or min(ys) > area.height:
            continue  # inside the shipped window but outside this view
        small = max(max(xs) - min(xs), max(ys) - min(ys)) < DOT_BELOW[name]
        point = data["points"].get(code)
        dot = (area.project(*point) if point else ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)) if small else None
        shapes[code] = Shape(code, entry["name"], _path(rings, area.project), dot)
    # States in the 1:50m points but without a shape here (island states on the 1:110m world map): a dot only.
    for code, (lon, lat) in data["points"].items():
        if code not in shapes:
            x, y = area.project(lon, lat)
            if 0 <= x <= area.width and 0 <= y <= area.height:
                shapes[code] = Shape(code, data["europe"].get(code, {}).get("name", code), "", (x, y))
    return shapes


def parse_region(raw):
    """``(region, error)``: ``europe`` or ``world``, None for no choice, or an error sentence for anything else."""
    raw = (raw or "").strip().lower()
    if not raw:
        return None, None
    if raw in REGIONS:
        return raw, None
    return None, f"“{raw[:40]}” is not a map (europe or world)."


def default_region(codes, *, universal):
    """World for a universal organization, or when more than a quarter of ``codes`` lie outside the Europe map."""
    if universal:
        return "world"
    drawable = [c for c in codes if c in projected("world") or c in projected("europe")]
    outside = [c for c in drawable if c not in projected("europe")]
    return "world" if drawable and len(outside) * 4 > len(drawable) else "europe"


# --- drawing ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Mark:
    """One state with a status on the day: what the map fills and what its ``<title>`` says."""

    code: str
    status: str
    label: str  # e.g. "Romania: member since 2004-03-29"
    href: str = ""


def _legend(prefix, statuses, labels, *, y, width):
    """The status swatches and one for "no status", wrapped like ``svg``'s legends. Returns (markup, height)."""
    items = [(s, svg._fill(prefix, s), labels.get(s, s.capitalize())) for s in statuses]
    items.append(("none", NO_STATUS_FILL, "No status on this day"))
    parts, x, cy = [], 8, y
    for status, fill, label in items:
        item_width = 24 + CHAR_WIDTH * len(label) + 18
        if x > 8 and x + item_width > width - 8:
            x, cy = 8, cy + LINE_HEIGHT
        parts.append(
            f'<g class="legend-item" data-status="{escape(status)}">'
            f'<rect x="{x}" y="{cy}" width="18" height="14" fill="{fill}" stroke="{svg.TEXT}" stroke-width="0.5"/>'
            f"{svg._tag('text', label, x=x + 24, y=cy + 12, fill=svg.TEXT)}</g>"
        )
        x += item_width
    return "".join(parts), cy - y + LINE_HEIGHT


def _notes(lines, *, y, width):
    """Sentences under the map, wrapped for the phones' larger text (``CHAR_WIDTH``)."""
    out, cy = [], y
    for line in lines:
        for piece in textwrap.wrap(line, max(20, int((width - 16) // CHAR_WIDTH))):
            out.append(svg._tag("text", piece, x=8, y=cy + 18, fill=svg.TEXT, class_="map-note"))
            cy += LINE_HEIGHT
    return "".join(out), cy - y


def draw(name, marks, *, title, desc, labels, notes=(), prefix="map"):
    """The map ``name`` with each of ``marks`` filled by its status; every other state in grey.

    Each state is a ``<path class="state" data-code=…>`` named by a ``<title>``; a
    state with a status links to ``href`` and, when too small to see, has a
    ``<circle class="dot">`` as well. ``notes`` are sentences printed under the legend.
    """
    area, shapes = region(name), projected(name)
    by_code = {m.code: m for m in marks}
    statuses = sorted({m.status for m in marks if m.code in shapes}, key=svg.status_rank)
    legend, legend_height = _legend(prefix, statuses, labels, y=area.height + 12, width=area.width)
    note_markup, notes_height = _notes(notes, y=area.height + 12 + legend_height + 4, width=area.width)
    height = round(area.height + 12 + legend_height + 4 + notes_height + 4, 1)

    out = svg._chart_head(prefix, f"map map-{name}", area.width, height, title, desc, statuses)
    out.append(
        f'<clipPath id="{prefix}-frame"><rect width="{area.width}" height="{area.height}"/></clipPath>'
        f'<rect class="sea" x="0" y="0" width="{area.width}" height="{area.height}" fill="{SEA_FILL}"/>'
        f'<g class="states" clip-path="url(#{prefix}-frame)" stroke="{BORDER}" stroke-width="0.4" '
        'stroke-linejoin="round" fill-rule="evenodd">'
    )
    for code, shape in shapes.items():  # the others first, so the marked states' borders lie on top
        if code not in by_code and shape.d:
            out.append(
                f'<path class="state" data-code="{code}" d="{shape.d}" fill="{NO_STATUS_FILL}">'
                f"{svg._tag('title', shape.name)}</path>"
            )
    dots = []
    for mark in sorted(marks, key=lambda m: svg.status_rank(m.status)):  # the rarer statuses on top
        shape = shapes.get(mark.code)
        if shape is None:
            continue
        fill = svg._fill(prefix, mark.status)
        attrs = f'data-code="{mark.code}" data-status="{escape(mark.status)}" fill="{fill}"'
        parts = []
        if shape.d:
            parts.append(f'<path class="state" {attrs} d="{shape.d}">{svg._tag("title", mark.label)}</path>')
        if shape.dot:
            x, y = shape.dot
            dots.append((mark, attrs, x, y))
        if parts:
            out.append(f"<a href={quoteattr(mark.href)}>{''.join(parts)}</a>" if mark.href else "".join(parts))
    out.append("</g>")
    out.append(f'<g class="dots" clip-path="url(#{prefix}-frame)">')
    for mark, attrs, x, y in dots:  # above every shape, so a neighbour never hides them
        circle = (
            f'<circle class="dot" {attrs} cx="{x:.1f}" cy="{y:.1f}" r="{DOT_RADIUS}" stroke="{svg.TEXT}" '
            f'stroke-width="0.8">{svg._tag("title", mark.label)}</circle>'
        )
        out.append(f"<a href={quoteattr(mark.href)}>{circle}</a>" if mark.href else circle)
    out.append("</g>")
    out.append(legend)
    out.append(note_markup)
    out.append("</svg>")
    return "".join(out)


# --- an organization's states on a day -------------------------------------------------------------


def _and(names):
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def members_map(organization, members, *, as_of, region_name, labels, country_url, prefix="map"):
    """What a map of ``members`` (the periods on ``as_of``) shows, in picture and in words.

    ``members`` are membership periods with their ``country`` loaded; ``country_url``
    gives a country's page. Returns a dict: ``svg`` (the markup), ``rows`` (the table
    equivalent: every state, its status, since when and how the map shows it),
    ``notes`` (the sentences saying which states the map cannot show), ``title``
    and ``region``. No database query.
    """
    shapes = projected(region_name)
    best = {}
    for m in sorted(members, key=lambda m: svg.status_rank(m.status)):
        best.setdefault(m.country.code, m)  # a state in two statuses at once is drawn in the higher one
    rows, marks, former, elsewhere, unshown = [], [], [], [], []
    for m in sorted(members, key=lambda m: (svg.status_rank(m.status), m.country.name)):
        code, name, url = m.country.code, m.country.name, country_url(m.country)
        status_label = labels.get(m.status, m.status)
        if m.country.exists_to is not None:
            shown = "not drawn: a former state"
            former.append(name)
        elif code not in shapes:
            if code in projected("world") or code in projected("europe"):
                shown = "not on this map"
                elsewhere.append(name)
            else:
                shown = "not drawn: too small for the map's shapes"
                unshown.append(name)
        elif best[code] is not m:
            shown = f"drawn as {labels.get(best[code].status, best[code].status).lower()}"
        else:
            shown = "as a dot" if shapes[code].dot else "drawn"
            marks.append(Mark(code, m.status, f"{name}: {status_label.lower()} since {m.start_text}", url))
            if shapes[code].dot and shapes[code].d:
                shown = "drawn, and as a dot"
        rows.append(
            {
                "country": m.country,
                "url": url,
                "status": m.status,
                "status_label": status_label,
                "since": m.start_text,
                "shown": shown,
            }
        )
    notes = []
    if former:
        notes.append(
            f"Not drawn, as {'it no longer exists' if len(former) == 1 else 'they no longer exist'} "
            f"and the map has today's borders: {_and(sorted(set(former)))}."
        )
    if elsewhere:
        other = "world" if region_name == "europe" else "Europe"
        notes.append(f"Outside this map (see the {other} map): {_and(sorted(set(elsewhere)))}.")
    if unshown:
        notes.append(f"Too small for the map's shapes: {_and(sorted(set(unshown)))}.")
    day = as_of.isoformat()
    title = f"{organization.acronym} on {day}: states by status, map of {REGION_LABELS[region_name]}"
    desc = (
        f"Map of {REGION_LABELS[region_name]} on today's borders (Natural Earth) with the {len(marks)} state(s) of "
        f"{organization.name} drawn on it on {day}, coloured and patterned by status; other states in grey. "
        + " ".join(notes)
        + " The table beside it lists the same states."
    )
    picture = draw(region_name, marks, title=title, desc=desc, labels=labels, notes=notes, prefix=prefix)
    return {"svg": picture, "rows": rows, "notes": notes, "title": title, "region": region_name}
