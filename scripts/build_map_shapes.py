"""Build ``alliances/web/data/natural_earth.json``, the country shapes the maps draw.

The shapes are Natural Earth's Admin 0 countries (public domain), as packaged in
TopoJSON by the npm package ``world-atlas`` (ISC licence, Mike Bostock), version
2.0.2. The app does not need npm: the derived file is in the repository. To
rebuild it (only when moving to a newer ``world-atlas``)::

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python scripts/build_map_shapes.py package/ > alliances/web/data/natural_earth.json

What the file holds, in degrees (longitude, latitude) rounded to 0.01° (about
1 km, a tenth of a unit on the 600-unit-wide maps):

- ``world``: the 1:110m shapes, Antarctica left out (no organization here has it);
- ``europe``: the 1:50m shapes clipped to the Europe window (``EUROPE_WINDOW``),
  which has Malta, Andorra, Liechtenstein, Monaco, San Marino and the Vatican that
  1:110m lacks;
- ``points``: one point per 1:50m country (the middle of its largest piece's
  bounding box), so a state too small for a map, or missing from 1:110m, is
  still drawn as a dot.

Shapes are keyed by ISO 3166-1 alpha-2, the app's ``Country.code`` for today's
states, looked up from the ISO numeric code ``world-atlas`` gives through
``fixtures/01_countries.json`` (today's states only: the Ukrainian SSR shares
Ukraine's 804). Natural Earth's units without an ISO code follow the state ISO
counts them under (Somaliland with Somalia, Northern Cyprus with Cyprus); Kosovo
has the user-assigned XK the fixtures use; the rest (Siachen Glacier, the Indian
Ocean territories) are left out.
"""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
EUROPE_WINDOW = (-45.0, 27.0, 80.0, 85.0)  # west, south, east, north: a little more than the Europe map shows
WITHOUT_ISO = {"Kosovo": "XK", "Somaliland": "SO", "N. Cyprus": "CY"}
LEFT_OUT = {"010"}  # Antarctica


def decode_arcs(topology):
    """The arcs as lists of (longitude, latitude), undoing TopoJSON's quantization and delta encoding."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs, indices):
    points = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def polygons(arcs, geometry):
    """Each polygon as a list of rings (the outer ring first, then any holes)."""
    if geometry["type"] == "Polygon":
        return [[ring(arcs, r) for r in geometry["arcs"]]]
    if geometry["type"] == "MultiPolygon":
        return [[ring(arcs, r) for r in polygon] for polygon in geometry["arcs"]]
    return []


def clip(points, window):
    """Sutherland–Hodgman clipping of a ring to a longitude/latitude rectangle (enough for filled shapes)."""
    west, south, east, north = window
    edges = [
        (lambda p: p[0] >= west, lambda a, b: _at_x(a, b, west)),
        (lambda p: p[0] <= east, lambda a, b: _at_x(a, b, east)),
        (lambda p: p[1] >= south, lambda a, b: _at_y(a, b, south)),
        (lambda p: p[1] <= north, lambda a, b: _at_y(a, b, north)),
    ]
    for inside, cut in edges:
        if not points:
            break
        result, previous = [], points[-1]
        for point in points:
            if inside(point):
                if not inside(previous):
                    result.append(cut(previous, point))
                result.append(point)
            elif inside(previous):
                result.append(cut(previous, point))
            previous = point
        points = result
    return points


def split_antimeridian(points):
    """A ring that crosses the 180th meridian (TopoJSON keeps it in one piece) as pieces on either side of it.

    The ring is unwrapped (longitudes run on past 180° instead of jumping to -180°),
    then clipped to [-180°, 180°] as it is and shifted by a full turn.
    """
    unwrapped = [points[0]]
    for lon, lat in points[1:]:
        previous = unwrapped[-1][0]
        while lon - previous > 180:
            lon -= 360
        while previous - lon > 180:
            lon += 360
        unwrapped.append((lon, lat))
    if all(-180 <= lon <= 180 for lon, _ in unwrapped):
        return [points]
    pieces = []
    for shift in (-360, 0, 360):
        piece = clip([(lon + shift, lat) for lon, lat in unwrapped], (-180, -90, 180, 90))
        if len(piece) >= 3:
            pieces.append(piece)
    return pieces


def _at_x(a, b, x):
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def _at_y(a, b, y):
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def rounded(points):
    out = []
    for lon, lat in points:
        p = [round(lon, 2), round(lat, 2)]
        if not out or out[-1] != p:
            out.append(p)
    return out


def area(points):
    return abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(points, points[1:] + points[:1], strict=True))) / 2


def iso_codes():
    """ISO numeric -> alpha-2 for today's states, from the fixtures."""
    rows = json.loads((ROOT / "fixtures" / "01_countries.json").read_text())
    return {
        r["fields"]["numeric"]: r["fields"]["code"]
        for r in rows
        if r["model"] == "alliances.country" and not r["fields"].get("exists_to") and len(r["fields"]["code"]) == 2
    }


def shapes(path, codes, window=None):
    topology = json.loads(path.read_text())
    arcs = decode_arcs(topology)
    out = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry["properties"]["name"]
        code = codes.get(geometry.get("id")) or WITHOUT_ISO.get(name)
        if code is None or geometry.get("id") in LEFT_OUT:
            continue
        entry = out.setdefault(code, {"name": name, "polygons": []})
        for polygon in polygons(arcs, geometry):
            rings = [piece for r in polygon for piece in split_antimeridian(r)]
            rings = [clip(r, window) if window else r for r in rings]
            rings = [rounded(r) for r in rings if len(r) >= 3]
            rings = [r for r in rings if len(r) >= 3]
            if rings:
                entry["polygons"].append(rings)
    return {code: entry for code, entry in sorted(out.items()) if entry["polygons"]}


def points(world50):
    """The middle of the bounding box of each country's largest piece."""
    out = {}
    for code, entry in world50.items():
        largest = max((p[0] for p in entry["polygons"]), key=area)
        lons, lats = [p[0] for p in largest], [p[1] for p in largest]
        out[code] = [round((min(lons) + max(lons)) / 2, 2), round((min(lats) + max(lats)) / 2, 2)]
    return out


def main(package):
    package = pathlib.Path(package)
    codes = iso_codes()
    version = json.loads((package / "package.json").read_text())["version"]
    world50 = shapes(package / "countries-50m.json", codes)
    data = {
        "source": (
            f"Natural Earth Admin 0 countries (public domain), 1:110m and 1:50m, as TopoJSON in the npm package "
            f"world-atlas {version} (ISC licence); built by scripts/build_map_shapes.py"
        ),
        "europe_window": EUROPE_WINDOW,
        "world": shapes(package / "countries-110m.json", codes),
        "europe": shapes(package / "countries-50m.json", codes, EUROPE_WINDOW),
        "points": points(world50),
    }
    json.dump(data, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
