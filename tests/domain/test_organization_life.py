"""An organization's own life on the real fixtures: its periods in other organizations, its names, its successions.

The rules (alliances/organization_rules.py), the database's own guards (check constraints everywhere, the
exclusion constraint on PostgreSQL), the audit trail, the loader's refusals, and periods.certainty_on.
"""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from alliances import selectors, services
from alliances.models import (
    AuditEvent,
    Organization,
    OrganizationMembership,
    OrganizationName,
    OrganizationSuccession,
    Source,
)
from alliances.rules import periods, problems
from alliances.store import audit, loading

pytestmark = pytest.mark.django_db
D = datetime.date.fromisoformat


def org(slug):
    return Organization.objects.get(slug=slug)


def any_source():
    return Source.objects.get(slug="osce-budapest-summit-1994")


# --- what the fixtures hold ---------------------------------------------------------------------------


def test_the_eu_and_the_au_are_members_of_organizations_each_period_quoted():
    periods_of = {
        (p.member.slug, p.organization.slug): p
        for p in OrganizationMembership.objects.select_related("member", "organization")
    }
    assert {("eu", "g20"), ("eu", "wto"), ("eu", "cbss"), ("au", "g20")} <= set(periods_of)
    for period in periods_of.values():
        citations = list(period.citations.select_related("source"))
        assert citations, period
        assert all(c.quote.strip() and c.source.kind for c in citations), period
    # Each date as far as the source gives it: the G20's founding month, the New Delhi summit's day.
    assert (periods_of[("eu", "g20")].start_text, periods_of[("au", "g20")].start_text) == ("1999-09", "2023-09-09")
    # The EU's WTO seat rests on a copy of the WTO's list on a student site: said to be secondary.
    assert {c.source.kind for c in periods_of[("eu", "wto")].citations.all()} == {"secondary"}


def test_the_african_union_is_held_only_as_a_member_and_says_so():
    au = org("au")
    assert (au.founded_text, au.founded_precision) == ("2002-07", "month")
    assert not au.memberships.exists()  # its member states are outside the data set
    assert "Outside this data set's European scope" in au.description
    assert au.citations.filter(membership__isnull=True).exists()


def test_names_and_successions_are_dated_and_quoted():
    osce = {n.acronym: n for n in OrganizationName.objects.filter(organization__slug="osce")}
    assert (osce["CSCE"].to_text, osce["OSCE"].from_text, osce["OSCE"].valid_to) == ("1994-12-31", "1995-01-01", None)
    eu = [n.acronym for n in OrganizationName.objects.filter(organization__slug="eu").order_by("valid_from")]
    assert eu == ["EEC", "EU"]
    links = {(s.predecessor.slug, s.successor.slug): s for s in OrganizationSuccession.objects.all()}
    assert {("oeec", "oecd"), ("gatt", "wto"), ("eurasec", "eaeu"), ("weu", "eu")} <= set(links)
    assert links[("weu", "eu")].kind == "functions_transferred"
    for link in links.values():  # the successor exists on the day, the predecessor was gone by then
        assert link.successor.earliest_founding <= link.date
        assert link.predecessor.dissolved is None or link.predecessor.dissolved < link.date
        assert link.quote.strip()
    for name in OrganizationName.objects.all():
        assert name.quote.strip() and name.source_id


# --- the rules --------------------------------------------------------------------------------------------


def test_an_organization_cannot_be_a_member_of_itself():
    eu = org("eu")
    with pytest.raises(ValidationError) as info:
        services.organization_membership_create(
            member=eu, organization=eu, start_date=D("2000-01-01"), citations=[(any_source(), "q")]
        )
    assert "cannot be a member of itself" in str(info.value)
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it without the rules too
        OrganizationMembership.objects.bulk_create(
            [OrganizationMembership(member=eu, organization=eu, start_date=D("2000-01-01"))]
        )


def test_a_period_stays_within_both_lives():
    with pytest.raises(ValidationError) as info:  # the AU was launched in July 2002
        services.organization_membership_create(
            member=org("au"), organization=org("g20"), start_date=D("2001-01-01"), citations=[(any_source(), "q")]
        )
    assert "AU was founded on 2002-07" in str(info.value)
    with pytest.raises(ValidationError) as info:  # the WEU ended on 2011-06-30
        services.organization_membership_create(
            member=org("weu"), organization=org("osce"), start_date=D("2000-01-01"), citations=[(any_source(), "q")]
        )
    assert "WEU was dissolved on 2011-06-30" in str(info.value)
    with pytest.raises(ValidationError) as info:  # the G20 was founded in September 1999
        services.organization_membership_create(
            member=org("osce"), organization=org("g20"), start_date=D("1998-01-01"), citations=[(any_source(), "q")]
        )
    assert "G20 was founded" in str(info.value)


def test_two_periods_of_one_member_in_one_organization_never_overlap():
    with pytest.raises(ValidationError) as info:
        services.organization_membership_create(
            member=org("eu"),
            organization=org("g20"),
            start_date=D("2020-01-01"),
            status="observer",
            citations=[(any_source(), "q")],
        )
    assert "EU already has a period in G20" in str(info.value)


def test_postgresql_refuses_an_overlap_that_skips_the_rules():
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only")
    row = OrganizationMembership(member=org("eu"), organization=org("g20"), start_date=D("2020-01-01"))
    with pytest.raises(IntegrityError) as info, transaction.atomic():
        OrganizationMembership.objects.bulk_create([row])
    assert "orgmembership_no_overlapping_periods" in str(info.value)


def test_a_period_needs_a_citation_and_a_new_one_is_audited_as_its_writer():
    with pytest.raises(ValidationError) as info:
        services.organization_membership_create(member=org("eu"), organization=org("osce"), start_date=D("2000-01-01"))
    assert "at least one citation" in str(info.value)
    before = audit.data_version()
    with audit.acting_as("tester"):
        period = services.organization_membership_create(
            member=org("eu"),
            organization=org("osce"),
            start_date=D("2000-06-15"),
            start_precision="month",
            status="observer",
            citations=[(any_source(), "A quote.")],
        )
    assert (period.start_date, period.start_text) == (D("2000-06-30"), "2000-06")  # stored as its certain day
    events = AuditEvent.objects.filter(table="alliances_organizationmembership", row_id=period.pk)
    assert [(e.operation, e.actor) for e in events] == [("insert", "tester")]
    assert AuditEvent.objects.filter(table="alliances_organizationmembershipcitation", actor="tester").count() == 1
    assert audit.data_version() != before  # cached answers follow


def test_names_and_successions_keep_their_rules():
    osce = org("osce")
    with pytest.raises(ValidationError) as info:
        services.record_save(
            OrganizationName(organization=osce, name="X", valid_from=D("1990-01-01"), valid_to=D("1989-01-01")),
            source=any_source(),
            quote="q",
        )
    assert "before the start date" in str(info.value)
    with pytest.raises(ValidationError) as info:
        services.record_save(
            OrganizationName(organization=osce, name="X", valid_from=D("1960-01-01")), source=any_source(), quote="q"
        )
    assert "OSCE was founded" in str(info.value)
    with pytest.raises(ValidationError) as info:
        services.record_save(
            OrganizationSuccession(predecessor=osce, successor=osce, date=D("2000-01-01"), kind="replaced"),
            source=any_source(),
            quote="q",
        )
    assert "cannot succeed itself" in str(info.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizationSuccession.objects.bulk_create(
            [OrganizationSuccession(predecessor=osce, successor=osce, date=D("2000-01-01"), kind="replaced", quote="q")]
        )


# --- the loader ---------------------------------------------------------------------------------------------


def period_row(member, organization, start, end=None):
    return {
        "model": "alliances.organizationmembership",
        "fields": {
            "member": [member],
            "organization": [organization],
            "status": "member",
            "start_date": start,
            "start_precision": "day",
            "end_date": end,
            "end_precision": "day",
        },
    }


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (period_row("eu", "g20", "2010-01-01"), "overlaps its period"),
        (period_row("au", "osce", "2000-01-01"), "AU was founded on 2002-07"),
        (period_row("eu", "eu", "2000-01-01"), problems.OrganizationItsOwnMember.refusal),
        (period_row("eu", "osce", "2000-01-01", "1999-01-01"), problems.EndBeforeStart.refusal),
    ],
)
def test_the_loader_refuses_a_period_that_breaks_a_rule(tmp_path, row, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([row]), encoding="utf-8")
    before = OrganizationMembership.objects.count()
    with pytest.raises(loading.LoadRefused) as info, audit.acting_as("loader:tests"):
        loading.load(loading.read([path]))
    assert message in str(info.value)
    assert OrganizationMembership.objects.count() == before


# --- certain or possible ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("1991-12-31", None),
        ("1992-01-01", "possible"),  # a start known to 1992: any day of it
        ("1992-12-30", "possible"),
        ("1992-12-31", "certain"),  # stored as the year's last day
        ("2008-03-01", "certain"),  # an end known to 2008-03, stored as its first day
        ("2008-03-02", "possible"),
        ("2008-03-31", "possible"),
        ("2008-04-01", None),
    ],
)
def test_certainty_on(day, expected):
    start = periods.latest_day(D("1992-01-01"), "year")
    end = periods.earliest_day(D("2008-03-01"), "month")
    assert periods.certainty_on(D(day), start, "year", end, "month") == expected


def test_validate_data_checks_organizations_periods_too():
    assert selectors.organization_life_problems() == []
    # A period written past the rules (bulk_create, as plain loaddata would) is reported.
    OrganizationMembership.objects.bulk_create(
        [OrganizationMembership(member=org("au"), organization=org("osce"), start_date=D("2000-01-01"))]
    )
    problems = selectors.organization_life_problems()
    assert any("AU in OSCE" in p and "AU was founded on 2002-07" in p for p in problems)
    assert any("AU in OSCE" in p and "no citation" in p for p in problems)
    assert set(problems) <= set(selectors.find_problems())
