"""manage.py validate_data finds each kind of problem that writes bypassing validation can leave behind."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from alliances.choices import MembershipStatus
from alliances.models import Citation, Country, CountryAlias, Membership, Organization, OrganizationAlias, Source
from alliances.selectors import find_problems

pytestmark = pytest.mark.django_db

D = datetime.date.fromisoformat


def run_validate_data():
    """Run the command expecting failure; return (error message, stderr lines)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("validate_data", stdout=stdout, stderr=stderr)
    lines = stderr.getvalue().splitlines()
    assert "no problems found" not in stdout.getvalue()
    return str(info.value), lines


def assert_reported(*fragments):
    """Exactly one problem mentions every fragment, both in find_problems() and the command's stderr."""
    problems = find_problems()
    matching = [p for p in problems if all(f in p for f in fragments)]
    assert len(matching) == 1, problems
    message, lines = run_validate_data()
    assert message == f"{len(problems)} problem(s) found."
    assert lines == [f"- {p}" for p in problems]
    assert any(all(f in line for f in fragments) for line in lines)
    return problems


def cite(membership, quote=None):
    """A citation whose quote names the country, so the quote-supports-fact check is content."""
    quote = quote or f"{membership.country.name} joined."
    source = Source.objects.get(slug="seed-article-2021-12")
    Citation.objects.bulk_create(
        [Citation(source=source, organization_id=membership.organization_id, membership=membership, quote=quote)]
    )


def insert_period(iso2, slug, start, end=None, status=MembershipStatus.MEMBER, cited=True):
    """A period inserted with bulk_create, so no validation runs."""
    (membership,) = Membership.objects.bulk_create(
        [
            Membership(
                country=Country.objects.get(iso2=iso2),
                organization=Organization.objects.get(slug=slug),
                status=status,
                start_date=D(start),
                end_date=D(end) if end else None,
            )
        ]
    )
    if membership.pk is None:  # backends that do not return ids from bulk_create
        membership = Membership.objects.get(country__iso2=iso2, organization__slug=slug, start_date=D(start))
    if cited:
        cite(membership)
    return membership


def test_fixtures_start_clean():
    """The baseline the other tests rely on: every problem they see is the one they made."""
    assert find_problems() == []
    stdout = io.StringIO()
    call_command("validate_data", stdout=stdout, stderr=io.StringIO())
    assert "Data is valid" in stdout.getvalue()


def test_overlapping_periods():
    if connection.vendor == "postgresql":
        # The exclusion constraint stops the bad row from being stored at all.
        with pytest.raises(IntegrityError), transaction.atomic():
            insert_period("RO", "nato", "2000-01-01", "2005-01-01", status=MembershipStatus.CANDIDATE)
        assert find_problems() == []
        return
    insert_period("RO", "nato", "2000-01-01", "2005-01-01", status=MembershipStatus.CANDIDATE)
    assert_reported("overlaps this one", "Romania in NATO", "2000-01-01", "2004-03-29")


def test_overlapping_periods_any_engine_via_adjacent_then_shift():
    """Two adjacent periods (allowed everywhere) then one stretched by update(): caught by the DB or the command."""
    # Romania's NATO partner period starts on 1994-01-26.
    insert_period("RO", "nato", "1990-01-01", "1994-01-25", status=MembershipStatus.CANDIDATE)
    assert find_problems() == []
    stretch = Membership.objects.filter(country__iso2="RO", organization__slug="nato", start_date=D("1990-01-01"))
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic():
            stretch.update(end_date=D("1994-01-26"))
        return
    stretch.update(end_date=D("1994-01-26"))
    assert_reported("overlaps this one", "Romania in NATO")


def test_period_starting_before_the_organization_was_founded():
    insert_period("JP", "nato", "1940-01-01")
    assert_reported("Japan in NATO", "NATO was founded on 1949-08-24; a membership cannot start before that")


def test_organization_founding_moved_after_existing_periods():
    Organization.objects.filter(slug="b9").update(founded=D("2015-11-05"))
    problems = find_problems()
    before_founding = [
        p for p in problems if "B9 was founded on 2015-11-05; a membership cannot start before that" in p
    ]
    assert len(before_founding) == 9
    message, _ = run_validate_data()
    assert message == f"{len(problems)} problem(s) found."


def test_b9_state_not_in_nato():
    Membership.objects.filter(country__iso2="RO", organization__slug="nato", status="member").update(
        end_date=D("2010-01-01")
    )
    assert_reported("Romania in B9", "Members of B9 must be members of NATO", "not a member of NATO on 2015-11-04")


def test_b9_state_whose_nato_period_is_deleted():
    Membership.objects.filter(country__iso2="EE", organization__slug="nato", status="member").delete()
    assert_reported("Estonia in B9", "must be members of NATO", "2015-11-04")


def test_b9_state_with_a_nato_gap_inside_its_b9_period():
    Membership.objects.filter(country__iso2="PL", organization__slug="nato", status="member").update(
        end_date=D("2019-12-31")
    )
    insert_period("PL", "nato", "2020-01-10")
    assert_reported("Poland in B9", "not a member of NATO on 2020-01-01")


def test_b9_state_whose_nato_period_is_not_member_status():
    Membership.objects.filter(country__iso2="LT", organization__slug="nato", status="member").update(
        status=MembershipStatus.SUSPENDED
    )
    assert_reported("Lithuania in B9", "must be members of NATO")


def test_b9_state_that_never_joined_nato():
    insert_period("AT", "b9", "2016-01-01")
    assert_reported("Austria in B9", "not a member of NATO on 2016-01-01")


def test_membership_with_no_citation():
    ro_eu = Membership.objects.get(country__iso2="RO", organization__slug="eu", status="member")
    # As a raw write (loaddata, SQL) could leave it: the ORM refuses to delete a period's last citation.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM alliances_citation WHERE membership_id = %s", [ro_eu.pk])
    assert_reported("Romania in EU", "no citation")


def test_bulk_created_membership_without_citation():
    insert_period("BR", "osce", "2000-01-01", status=MembershipStatus.PARTNER, cited=False)
    assert_reported("Brazil in OSCE", "no citation")


def test_empty_quote():
    citation = Citation.objects.filter(membership__country__iso2="RO", organization__slug="eu").first()
    Citation.objects.filter(pk=citation.pk).update(quote="   ")
    assert_reported(f"Citation {citation.pk} of", "Quote the sentence of the source")


def test_empty_quote_cannot_even_be_stored():
    with pytest.raises(IntegrityError), transaction.atomic():
        Citation.objects.filter(membership__country__iso2="RO").update(quote="")


def test_unknown_country_code():
    Country.objects.bulk_create([Country(code="XX", iso2="XX", iso3="XXX", numeric="999", name="Nowhere")])
    assert_reported("Country XX (Nowhere)", "pycountry does not know this code")


def test_country_codes_differing_from_pycountry():
    Country.objects.filter(iso2="RO").update(iso3="ROM", numeric="999")
    assert_reported("Country RO", "ROM/999", "pycountry's ROU/642")


def test_stale_country_alias_key():
    # (not "czechoslovakia" any more: that is Czechoslovakia's own alias now)
    CountryAlias.objects.filter(name="Czech Republic").update(normalized="czech rep")
    assert_reported("Alias “Czech Republic”", "is “czech republic”, not “czech rep”")


def test_stale_organization_alias_key():
    OrganizationAlias.objects.filter(name="Bucharest Format").update(name="Bucharest-Format (B9)")
    assert_reported("Alias “Bucharest-Format (B9)”", "is “bucharestformat b9”")


def test_several_problems_are_all_listed():
    Membership.objects.filter(country__iso2="RO", organization__slug="nato", status="member").update(
        end_date=D("2010-01-01")
    )
    CountryAlias.objects.filter(name="Czech Republic").update(normalized="stale")
    Country.objects.bulk_create([Country(code="XX", iso2="XX", iso3="XXX", numeric="999", name="Nowhere")])
    problems = find_problems()
    assert len(problems) == 3
    message, lines = run_validate_data()
    assert message == "3 problem(s) found."
    assert len(lines) == 3


def test_citation_organization_differing_from_its_membership():
    citation = Citation.objects.filter(membership__country__iso2="RO", organization__slug="eu").first()
    Citation.objects.filter(pk=citation.pk).update(organization=Organization.objects.get(slug="nato"))
    assert_reported(f"Citation {citation.pk}", "organization")


def test_the_sources_report_counts_each_organization_and_lists_the_weakly_sourced_periods():
    """Per organization: periods by status and start precision, citations by source kind, and every period
    whose citations are all news or secondary (those are listed one by one for a curator)."""
    out = io.StringIO()
    call_command("validate_data", "--sources", stdout=out)
    text = out.getvalue()
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert len(rows) == Organization.objects.count() + 1  # and the header
    nato = rows["NATO"]
    assert f"{Membership.objects.filter(organization__slug='nato', status='member').count()} member" in nato
    weak = [
        m
        for m in Membership.objects.select_related("country", "organization")
        if {c.source.kind for c in m.citations.select_related("source")} <= {"news_article", "secondary"}
    ]
    assert f"{len(weak)} period(s) rest only on news or secondary sources:" in text
    for m in weak[:20]:
        assert f"- {m.organization.acronym}: {m}" in text
    # A year-only start is counted as such: the OSCE's Partners for Co-operation.
    assert "12 year" in rows["OSCE"]
    assert "Data is valid" in text
