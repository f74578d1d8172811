"""The charts in Chromium at 1,280 and 390 px: no clipped or overlapping text, measured, not looked at.

For every chart kind (an organization's step chart, a country's timeline, with and without a
marked day), on the pages, in the embeds and as standalone files, the test reads the boxes
the browser drew: each text element inside the picture's visible area, no two labels
overlapping, no legend swatch over a label, no row label over a bar, and the text at least
11 px tall on screen where the picture is shown at the layout's own width. Then a page of
another origin frames an embed (shown) and a page (refused).
"""

import contextlib
import datetime
import http.server
import threading

import pytest

from alliances.models import Organization
from alliances.web import charts, svg

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("browser")]

WIDTHS = {"desktop": 1280, "phone": 390}
URLS = [
    "/organizations/nato/",
    "/organizations/nato/?as_of=1999-01-01",
    "/organizations/eu/?as_of=2004-05-01",
    "/countries/bg/",  # 23 groups, the most of any state
    "/countries/de/",
    "/countries/ru/",
    "/embed/organizations/nato/chart/?as_of=1990-01-01",
    "/embed/organizations/osce/chart/",
    "/embed/countries/ro/timeline/",
    "/embed/countries/pl/timeline/?as_of=2004-05-01",
]
FILES = ["/organizations/nato/chart.svg?as_of=1990-01-01", "/countries/bg/timeline.svg"]

# Everything the check needs, in one round trip: the visible charts' boxes in CSS pixels.
MEASURE = """
() => [...document.querySelectorAll('svg.chart')].filter(s => s.getBoundingClientRect().width > 0).map(s => {
  const box = r => { const b = r.getBoundingClientRect(); return {l: b.left, r: b.right, t: b.top, b: b.bottom}; };
  const scale = s.getBoundingClientRect().width / s.viewBox.baseVal.width;
  return {
    layout: s.dataset.layout,
    box: box(s),
    scale: scale,
    texts: [...s.querySelectorAll('text')].map(t => ({
      text: t.textContent, cls: t.getAttribute('class') || (t.closest('.legend-item') ? 'legend' : ''),
      px: parseFloat(getComputedStyle(t).fontSize) * scale, ...box(t)})),
    swatches: [...s.querySelectorAll('rect.swatch')].map(box),
    bars: [...s.querySelectorAll('rect.period')].map(box),
  };
})
"""
EPSILON = 0.5  # sub-pixel rounding


def overlap(a, b):
    return min(a["r"], b["r"]) - max(a["l"], b["l"]) > EPSILON and min(a["b"], b["b"]) - max(a["t"], b["t"]) > EPSILON


def inside(inner, outer):
    return (
        inner["l"] >= outer["l"] - EPSILON
        and inner["r"] <= outer["r"] + EPSILON
        and inner["t"] >= outer["t"] - EPSILON
        and inner["b"] <= outer["b"] + EPSILON
    )


def problems_of(chart, *, min_px):
    """Every clipped text, overlapping pair, swatch over a label, row label over a bar and too-small text."""
    found = []
    texts = chart["texts"]
    for t in texts:
        if not inside(t, chart["box"]):
            found.append(f"clipped: {t['text']!r} {t} outside {chart['box']}")
        if min_px and t["px"] < min_px:
            found.append(f"too small: {t['text']!r} at {t['px']:.1f} px")
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            if overlap(a, b):
                found.append(f"overlap: {a['text']!r} and {b['text']!r}")
        for s in chart["swatches"]:
            if overlap(a, s):
                found.append(f"swatch over {a['text']!r}")
        if a["cls"] == "row-label":
            found += [f"bar over {a['text']!r}" for bar in chart["bars"] if overlap(a, bar)]
    return found


def check_charts(page, url, width, *, standalone=False):
    measured = page.evaluate(MEASURE)
    assert measured, f"no visible chart on {url}"
    expected = "narrow" if width < 640 and not standalone else "wide"
    problems = []
    for chart in measured:
        assert chart["layout"] == expected, (url, width, chart["layout"])
        assert len(chart["texts"]) > 5
        # A file opened on its own is scaled to the window; inline, the text is drawn at its size.
        problems += problems_of(chart, min_px=0 if standalone else 11)
    assert problems == [], (url, width, problems)
    return measured


@pytest.mark.parametrize("width_name", list(WIDTHS))
def test_every_chart_and_embed_keeps_its_text_clear_and_inside(browser, site, screenshot, width_name):
    width = WIDTHS[width_name]
    context = browser.new_context(viewport={"width": width, "height": 900}, base_url=site)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        for url in URLS:
            response = page.goto(url)
            assert response.status == 200, url
            check_charts(page, url, width)
            assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, url
            screenshot(page, f"chart-{url.strip('/').replace('/', '-').replace('?', '-')}-{width_name}")
        for url in FILES:
            assert page.goto(url).status == 200, url
            check_charts(page, url, width, standalone=True)
        # On a phone, the members on the chosen day come before the chart, near the top.
        page.goto("/organizations/nato/")
        top = page.locator("#members-h").bounding_box()["y"]
        assert top < page.locator("#chart-h").bounding_box()["y"]
        assert top < 700, f"the members start {top:.0f} px down at {width} px"
    finally:
        context.close()


def test_a_timeline_of_thirty_groups_stays_one_readable_picture_at_390_px(browser, site):
    """Thirty rows under the longest acronyms there are, each layout at its own width, measured as above."""
    acronyms = sorted(Organization.objects.values_list("acronym", flat=True), key=len, reverse=True)[:30]
    assert len(acronyms) == 30
    day = datetime.date(1950, 1, 1)
    bars = [
        svg.Bar(a, status, day + datetime.timedelta(days=700 * i), None, a)
        for i, a in enumerate(acronyms)
        for status in ["member"] + (["observer"] if i % 7 == 0 else [])
    ]
    common = {"title": "t", "desc": "d", "today": datetime.date.today(), "labels": charts.STATUS_LABELS}
    context = browser.new_context(viewport={"width": 390, "height": 900}, base_url=site)
    page = context.new_page()
    try:
        for layout, markup, width in [
            ("narrow", svg.timeline(bars, compact=True, **charts.NARROW, **common), 358),
            ("wide", svg.timeline(bars, **charts.WIDE, **common), 720),
        ]:
            page.set_content(f'<div style="width:{width}px">{markup.replace("<svg ", "<svg width=100% ")}</div>')
            (chart,) = page.evaluate(MEASURE)
            assert chart["layout"] == layout
            assert len([t for t in chart["texts"] if t["cls"] == "row-label"]) == 30
            assert problems_of(chart, min_px=12) == [], layout
    finally:
        context.close()


@contextlib.contextmanager
def another_site(body):
    """A second web server on the loopback, another origin than the site's, answering every GET with ``body``.

    A real server, not an intercepted request: Chromium lets a page framed from a local address
    only by a page that was itself served from one (local network access checks).
    """

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/article"
    finally:
        server.shutdown()
        server.server_close()


def test_another_site_may_frame_an_embed_but_not_a_page(browser, site):
    """A page on another origin frames the embed (it shows its chart) and a page (Chromium refuses it)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    host = (
        "<!doctype html><title>elsewhere</title>"
        f'<iframe id="embed" src="{site}/embed/organizations/nato/chart/" width="760" height="500"></iframe>'
        f'<iframe id="page" src="{site}/organizations/nato/" width="760" height="500"></iframe>'
    )
    try:
        with another_site(host) as elsewhere:
            assert elsewhere.split("/")[2] != site.split("/")[2]
            page.goto(elsewhere)
            page.wait_for_load_state("load")
            embed = page.frame_locator("#embed")
            embed.locator("svg.chart[data-layout=wide]").wait_for()
            assert (
                page.locator("#embed").element_handle().content_frame().url.endswith("/embed/organizations/nato/chart/")
            )
            assert embed.locator("svg.chart[data-layout=wide] rect.step").count() > 5
            assert embed.locator("h1.embed-title a").get_attribute("href").endswith("/organizations/nato/")
            # The page is refused: Chromium shows its error page in the frame instead.
            refused_frame = page.locator("#page").element_handle().content_frame()
            assert refused_frame.url.startswith("chrome-error:"), refused_frame.url
            assert page.frame_locator("#page").locator("header.site, svg.chart").count() == 0
    finally:
        context.close()
