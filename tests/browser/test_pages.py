"""The public pages and the admin in Chromium: no sideways scrolling, no console error (CSP included).

Each page is loaded at a desktop width (1,280 px) and a phone width (390 px) in
one browser context per width, and a full-page screenshot of each goes to
tests/screenshots/ (git-ignored). The admin is checked at 1,400 px.
"""

import json

import pytest

# One worker runs every browser test (pytest-xdist --dist loadgroup): one Chromium, one live server.
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("browser")]

WIDTHS = {"desktop": 1280, "phone": 390}
PAGES = {
    "home": "/",
    "home-as-of": "/?as_of=1995-01-01",
    "country": "/countries/Romania/",
    "country-gb": "/countries/gb/",
    "organization": "/organizations/NATO/",
    "organization-as-of": "/organizations/osce/?as_of=1990-01-01",
    "not-found": "/countries/Romnia/",
}


def watch_console(page):
    """Console errors (CSP violations are reported there) and uncaught exceptions, as they happen."""
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status == 404 else None)
    return problems


def horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def visit(page, url):
    response = page.goto(url)
    page.wait_for_load_state("load")
    return response


@pytest.mark.parametrize("width_name", list(WIDTHS))
def test_public_pages_fit_the_screen_without_console_errors(browser, site, screenshot, width_name):
    context = browser.new_context(viewport={"width": WIDTHS[width_name], "height": 900}, base_url=site)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = watch_console(page)
    try:
        for name, url in PAGES.items():
            response = visit(page, url)
            expected = 404 if name == "not-found" else 200
            assert response.status == expected, (url, response.status)
            assert horizontal_overflow(page) <= 0, f"{url} scrolls sideways at {WIDTHS[width_name]} px"
            # 404 pages are reported on the console by Chromium ("Failed to load resource"): that one is expected.
            unexpected = [p for p in problems if not (name == "not-found" and "404" in p)]
            assert unexpected == [], (url, unexpected)
            problems.clear()
            screenshot(page, f"page-{name}-{width_name}")
        # The picture and its data block are there as a browser sees them.
        visit(page, "/countries/ro/")
        wide = page.locator("svg.timeline[data-layout=wide] rect.period").count()
        assert wide == page.locator("table.periods tbody tr").count()
        assert page.locator("svg.timeline[data-layout=narrow] rect.period").count() == wide
        data = json.loads(page.locator('script[type="application/ld+json"]').text_content())
        assert data["@type"] == "Country"
        visit(page, "/organizations/nato/")
        assert page.locator("svg.step-chart[data-layout=wide] rect.step").count() > 5
        assert problems == []
    finally:
        context.close()


def test_search_box_takes_a_name_and_the_as_of_form_changes_the_counts(page, screenshot):
    visit(page, "/")
    page.fill("#q", "Bucharest Nine")
    with page.expect_navigation():
        page.press("#q", "Enter")
    assert page.url.endswith("/organizations/b9/")
    visit(page, "/")
    nato_today = page.locator('td[data-org="nato"]').inner_text()
    page.fill("#as_of", "1990-01-01")
    with page.expect_navigation():
        page.click(".as-of button")
    assert "as_of=1990-01-01" in page.url
    assert page.locator('td[data-org="nato"]').inner_text() == "16" != nato_today
    screenshot(page, "page-home-as-of-1990")


ADMIN_PAGES = {
    "admin-index": "/admin/",
    "admin-memberships": "/admin/alliances/membership/",
    "admin-countries": "/admin/alliances/country/",
    "admin-organizations": "/admin/alliances/organization/",
    "admin-sources": "/admin/alliances/source/",
}


def test_admin_fits_1400_pixels(curator_page, screenshot):
    page = curator_page
    page.set_viewport_size({"width": 1400, "height": 900})
    problems = watch_console(page)
    pages = dict(ADMIN_PAGES)
    visit(page, "/admin/alliances/organization/?q=nato")
    href = page.locator("#result_list tbody tr th a").first.get_attribute("href")
    pages["admin-organization-nato"] = href
    for name, url in pages.items():
        response = visit(page, url)
        assert response.status == 200, (url, response.status)
        assert horizontal_overflow(page) <= 0, f"{url} scrolls sideways at 1,400 px"
        screenshot(page, name)
    assert problems == []
