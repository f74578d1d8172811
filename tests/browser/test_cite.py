"""The "Cite this" block and the permalink of a period in Chromium at a phone's width (390 px).

Long URLs, data versions and BibTeX lines must wrap rather than make the page
scroll sideways; the permalink must lead to the period's own page; the members'
sources on an organization page must open in place. No console error (CSP).
"""

import pytest

from tests.browser.test_pages import horizontal_overflow, visit, watch_console

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, site):
    context = browser.new_context(viewport=PHONE, base_url=site)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def open_every_citation(page):
    for summary in page.locator("section.cite details summary").all():
        summary.click()
    assert page.locator("section.cite pre").count() == 3
    for pre in page.locator("section.cite pre").all():
        assert pre.is_visible()


def test_cite_block_and_permalink_fit_a_phone(phone, screenshot):
    page = phone
    problems = watch_console(page)
    visit(page, "/countries/ro/")
    open_every_citation(page)
    assert horizontal_overflow(page) <= 0, "the country page's citations scroll sideways at 390 px"
    version = page.locator("footer.site .version code").inner_text()
    assert version and version in page.locator("section.cite pre.cite-bibtex").inner_text()
    screenshot(page, "cite-country-phone")

    # The BibTeX download is served as BibTeX.
    href = page.locator("section.cite a[type='text/x-bibtex']").get_attribute("href")
    answer = page.request.get(href)
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/x-bibtex")

    # A period's permalink leads to its page: quote, source, and its own citation.
    link = page.locator("a.permalink").first
    target = link.get_attribute("href")
    with page.expect_navigation():
        link.click()
    assert page.url.endswith(target) and target.startswith("/countries/ro/")
    assert page.locator("figure.quote blockquote").count() >= 1
    open_every_citation(page)
    assert horizontal_overflow(page) <= 0, f"{target} scrolls sideways at 390 px"
    assert target in page.locator("section.cite pre.cite-text").inner_text()
    screenshot(page, "cite-fact-phone")

    # An organization's members each open their source in place.
    visit(page, "/organizations/nato/")
    first = page.locator("details.member-source").first
    first.locator("summary").click()
    assert first.locator("blockquote").first.is_visible()
    open_every_citation(page)
    assert horizontal_overflow(page) <= 0, "the organization page scrolls sideways at 390 px with a source open"
    assert problems == []
