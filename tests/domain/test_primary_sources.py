"""research/primary-*.json against the fixtures conftest loads: each fact they list is a period the data
has, cited with that fact's quote from that source, and the quote-check's widened quotes are the ones stored.

These tests read the research file, not a copy of its numbers: adding a fact without rebuilding the fixtures
(research/build.py, then export_fixtures) makes them fail, as does a fact whose dates drift from the data's.
"""

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

from alliances.models import Citation, Membership, OrganizationMembership, OrganizationMembershipCitation, Source
from alliances.rules import periods

pytestmark = pytest.mark.django_db

RESEARCH_DIR = Path(settings.BASE_DIR) / "research"
RESEARCH = RESEARCH_DIR / "primary-sources.json"
# One file per family of organizations, each from its own search for primary sources.
FAMILY_FILES = sorted(RESEARCH_DIR.glob("primary-*.json"))
REFINEMENTS = json.loads((RESEARCH_DIR / "refinements.json").read_text(encoding="utf-8"))["refinements"]
PRIMARY_KINDS = {"official_page", "official_document", "treaty"}
# Hosts that only ever copy other publishers' texts: by the sources policy such a copy is secondary.
COPY_HOSTS = ("wikipedia.org", "wikisource.org", "docslib.org", "archive.fo", "web.archive.org", "masazerc.com")


def research(path=RESEARCH):
    return json.loads(path.read_text(encoding="utf-8"))


per_file = pytest.mark.parametrize("path", FAMILY_FILES, ids=lambda path: path.stem)


def test_there_are_family_files_beside_the_first():
    assert len(FAMILY_FILES) > 1, [path.name for path in FAMILY_FILES]


def refined_period(refinement):
    """The period a refinement dated more finely, at its new start; None if it was not applied."""
    day, precision = periods.parse_shown(refinement["to"])
    return Membership.objects.filter(
        country__code=refinement["state"],
        organization__slug=refinement["org"],
        status=refinement["status"],
        start_date=periods.latest_day(day, precision),
        start_precision=precision,
    ).first()


def refined_start(fact):
    """The start research/refinements.json dated more finely, where it did; else the fact's own."""
    for r in REFINEMENTS:
        same = (r["state"], r["org"], r["status"], r["start"]) == (
            fact["state"],
            fact["org"],
            fact["status"],
            fact["start"],
        )
        if same and refined_period(r) is not None:
            return r["to"]
    return fact["start"]


def period_of(fact):
    """The stored period a fact names: a state's, or an organization's where the fact's state is ``org:<slug>``."""
    start, start_precision = periods.parse_shown(refined_start(fact))
    same = {"organization__slug": fact["org"], "status": fact["status"]}
    same["start_date"] = periods.latest_day(start, start_precision)
    if fact["state"].startswith("org:"):
        return OrganizationMembership.objects.filter(member__slug=fact["state"].removeprefix("org:"), **same).first()
    return Membership.objects.filter(country__code=fact["state"], **same).first()


def citations_of(period):
    if isinstance(period, OrganizationMembership):
        return OrganizationMembershipCitation.objects.filter(period=period).select_related("source")
    return Citation.objects.filter(membership=period).select_related("source")


@per_file
def test_every_fact_repeats_a_stored_period_with_its_dates(path):
    facts = research(path)["facts"]
    assert facts, "the research file lists no facts"
    for fact in facts:
        period = period_of(fact)
        assert period is not None, f"no stored period for {fact['state']}/{fact['org']} from {fact['start']}"
        assert period.start_text == refined_start(fact), fact
        assert (period.end_text or None) == fact["end"], fact


@per_file
def test_every_fact_is_cited_on_its_period_with_its_quote(path):
    data = research(path)
    urls = {source["key"]: source["url"] for source in data["sources"]}
    for fact in data["facts"]:
        # The quote as written, or inside a longer one (a start's and an end's sentence of one page, joined
        # with " […] "); or, where an earlier family already cited the same page there, that page.
        citations = citations_of(period_of(fact))
        cited = [c for c in citations if fact["quote"] in c.quote] or [
            c for c in citations if c.source.url == urls.get(fact["source"], fact["source"])
        ]
        assert cited, f"{fact['state']}/{fact['org']}: the quote is not cited on the period"
        if fact["source"] in urls:  # a key of this file (else a source the fixtures hold already)
            assert urls[fact["source"]] in {c.source.url for c in cited}, fact


@per_file
def test_sources_called_primary_are_not_copies_on_third_party_sites(path):
    for source in research(path)["sources"]:
        if source["kind"] in PRIMARY_KINDS:
            host = urlparse(source["url"]).hostname or ""
            assert not host.endswith(COPY_HOSTS), f"{source['key']} ({host}) is a copy, so secondary"


@per_file
def test_the_stored_sources_keep_the_kind_the_research_gives(path):
    for source in research(path)["sources"]:
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


NOT_APPLIED = (RESEARCH_DIR / "REFUSED.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("refinement", REFINEMENTS, ids=lambda r: f"{r['state']}-{r['org']}-{r['to']}")
def test_each_refinement_dates_its_period_more_finely_with_its_quote_or_says_why_not(refinement):
    """The start the data knew to the month or year is now the finer one, cited with the page that gives it;
    or REFUSED.md lists it with the reason it was not applied."""
    period = refined_period(refinement)
    label = f"{refinement['state']} in {refinement['org']} from {refinement['start']} → {refinement['to']}"
    if period is None:
        assert label in NOT_APPLIED, label
        return
    assert period.start_text == refinement["to"]
    # Cited with the refinement's quote, or already with another quote of the same page (a fact of the research).
    family = json.loads((RESEARCH_DIR / f"{refinement['family']}.json").read_text(encoding="utf-8"))
    url = next((s["url"] for s in family["sources"] if s["key"] == refinement["source"]), None)
    cited = period.citations.filter(quote=refinement["quote"]) | period.citations.filter(source__url=url or "-")
    assert cited.exists(), label
    old_day, old_precision = periods.parse_shown(refinement["start"])
    assert (
        periods.earliest_day(old_day, old_precision) <= period.start_date <= periods.latest_day(old_day, old_precision)
    )


def test_most_refinements_were_applied():
    applied = [r for r in REFINEMENTS if f"{r['state']} in {r['org']} from {r['start']} → {r['to']}" not in NOT_APPLIED]
    assert len(applied) >= len(REFINEMENTS) * 0.8, len(applied)
