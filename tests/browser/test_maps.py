"""The organization maps in Chromium at 1,280 and 390 px: the map, its legend and its notes fit, nothing overlaps.

Bounding boxes are measured as the browser lays the page out (with the phones'
larger SVG text of site.css), and the embeddable page is framed by another
origin while the organization page refuses to be.
"""

import http.server
import threading

import pytest

from tests.browser.test_pages import WIDTHS, horizontal_overflow, visit, watch_console

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("browser")]

MAP_PAGES = {
    "nato": "/organizations/nato/",
    "warsaw-pact-1980": "/organizations/warsaw-pact/?as_of=1980-01-01",
    "un-world": "/organizations/un/",
    "embed": "/embed/organizations/eu/map/",
}

# Every box of the map's texts and swatches, and the map's own box, in CSS pixels.
BOXES = """() => {
  const svg = document.querySelector('svg.map');
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  return {
    svg: box(svg),
    viewport: document.documentElement.clientWidth,
    items: [...svg.querySelectorAll('.legend-item')].map(
      g => [box(g.querySelector('rect')), box(g.querySelector('text'))]),
    notes: [...svg.querySelectorAll('text.map-note')].map(box),
  };
}"""


def inside(inner, outer, slack=0.5):
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def overlap(a, b):
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


@pytest.mark.parametrize("width_name", list(WIDTHS))
def test_the_map_and_its_legend_fit_without_clipped_or_overlapping_text(browser, site, screenshot, width_name):
    context = browser.new_context(viewport={"width": WIDTHS[width_name], "height": 900}, base_url=site)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = watch_console(page)
    try:
        for name, url in MAP_PAGES.items():
            response = visit(page, url)
            assert response.status == 200, (url, response.status)
            assert horizontal_overflow(page) <= 0, f"{url} scrolls sideways at {WIDTHS[width_name]} px"
            boxes = page.evaluate(BOXES)
            svg = boxes["svg"]
            assert svg[0] >= 0 and svg[2] <= boxes["viewport"], (url, svg)
            assert boxes["items"], url
            parts = [b for item in boxes["items"] for b in item] + boxes["notes"]
            for part in parts:
                assert inside(part, svg), (url, width_name, part, svg)
            for i, a in enumerate(parts):
                for b in parts[i + 1 :]:
                    assert not overlap(a, b), (url, width_name, a, b)
            if name == "warsaw-pact-1980":
                assert len(boxes["notes"]) >= 2  # the former states, named under the map
            assert problems == [], (url, problems)
            screenshot(page, f"map-{name}-{width_name}")
    finally:
        context.close()


@pytest.fixture
def other_site(site):
    """Another origin on this machine (a port of its own) whose one page frames the embed and the organization page."""
    frames = (
        "<!doctype html>"
        f'<iframe id="embed" src="{site}/embed/organizations/nato/map/" width="800" height="700"></iframe>'
        f'<iframe id="page" src="{site}/organizations/nato/" width="800" height="700"></iframe>'
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(frames)))
            self.end_headers()
            self.wfile.write(frames)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_the_embed_can_be_framed_by_another_site_and_the_organization_page_cannot(browser, other_site):
    context = browser.new_context(viewport={"width": 900, "height": 900})
    page = context.new_page()
    try:
        page.goto(other_site)
        page.wait_for_load_state("load")
        embed = page.frame_locator("#embed")
        assert embed.locator("svg.map path.state[data-code='RO']").count() == 1
        # Refused. Chromium obeys the CSP's frame-ancestors before X-Frame-Options (tests/web/test_maps.py checks both).
        assert page.frame_locator("#page").locator("svg.map").count() == 0
    finally:
        context.close()
