"""research/primary-sources.json against the fixtures conftest loads: each fact it lists is a period the data
has, cited with that fact's quote from that source, and the quote-check's widened quotes are the ones stored.

These tests read the research file, not a copy of its numbers: adding a fact without rebuilding the fixtures
(research/build.py, then export_fixtures) makes them fail, as does a fact whose dates drift from the data's.
"""

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

from alliances.models import Citation, Membership, Source
from alliances.rules import periods

pytestmark = pytest.mark.django_db

RESEARCH = Path(settings.BASE_DIR) / "research" / "primary-sources.json"
PRIMARY_KINDS = {"official_page", "official_document", "treaty"}
# Hosts that only ever copy other publishers' texts: by the sources policy such a copy is secondary.
COPY_HOSTS = ("wikipedia.org", "wikisource.org", "docslib.org", "archive.fo", "web.archive.org", "masazerc.com")


def research():
    return json.loads(RESEARCH.read_text(encoding="utf-8"))


def period_of(fact):
    start, start_precision = periods.parse_shown(fact["start"])
    return Membership.objects.filter(
        country__code=fact["state"],
        organization__slug=fact["org"],
        status=fact["status"],
        start_date=periods.latest_day(start, start_precision),
    ).first()


def test_every_fact_repeats_a_stored_period_with_its_dates():
    facts = research()["facts"]
    assert facts, "the research file lists no facts"
    for fact in facts:
        period = period_of(fact)
        assert period is not None, f"no stored period for {fact['state']}/{fact['org']} from {fact['start']}"
        assert period.start_text == fact["start"], fact
        assert (period.end_text or None) == fact["end"], fact


def test_every_fact_is_cited_on_its_period_with_its_quote():
    data = research()
    urls = {source["key"]: source["url"] for source in data["sources"]}
    for fact in data["facts"]:
        citation = Citation.objects.filter(membership=period_of(fact), quote=fact["quote"]).select_related("source")
        assert citation.exists(), f"{fact['state']}/{fact['org']}: the quote is not cited on the period"
        assert citation.first().source.url == urls[fact["source"]], fact


def test_sources_called_primary_are_not_copies_on_third_party_sites():
    for source in research()["sources"]:
        if source["kind"] in PRIMARY_KINDS:
            host = urlparse(source["url"]).hostname or ""
            assert not host.endswith(COPY_HOSTS), f"{source['key']} ({host}) is a copy, so secondary"


def test_the_stored_sources_keep_the_kind_the_research_gives():
    for source in research()["sources"]:
        stored = Source.objects.filter(url=source["url"]).first()
        if stored is not None:  # a source only the corrections name is never written
            assert stored.kind == source["kind"], source["key"]


def test_widened_quotes_replaced_the_short_ones():
    fixes = research()["quote_fixes"]
    assert fixes
    for fix in fixes:
        quotes = set(
            Citation.objects.filter(
                membership__country__code=fix["state"],
                membership__organization__slug=fix["org"],
                membership__start_date=fix["start"],
                source__slug=fix["source"],
            ).values_list("quote", flat=True)
        )
        assert quotes == {fix["new"]}, fix["state"]
        # The widened quote keeps the old one whole, after the page's preceding sentence.
        assert fix["new"].endswith(fix["old"]) and len(fix["new"]) > len(fix["old"])


def test_corrections_are_proposed_not_applied():
    """build.py never applies a correction: the data still has the date the research disputes."""
    for correction in research()["corrections"]:
        if correction["org"] != "warsaw-pact":
            continue
        starts = set(
            Membership.objects.filter(
                organization__slug="warsaw-pact", country__code__in=correction["states"], founding=True
            ).values_list("start_date", flat=True)
        )
        assert {d.isoformat() for d in starts} == {correction["data"]}
