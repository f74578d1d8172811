"""The rulebook as the write paths apply it: full_clean() (alliances/validation.py), services, constraints."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from alliances import selectors, services
from alliances.choices import MembershipStatus
from alliances.models import (
    Citation,
    Country,
    CountryAlias,
    Membership,
    Organization,
    OrganizationAlias,
    Source,
)

pytestmark = pytest.mark.django_db

D = datetime.date.fromisoformat
ONE_DAY = datetime.timedelta(days=1)
CANDIDATE = MembershipStatus.CANDIDATE
MEMBER = MembershipStatus.MEMBER


def country(iso2):
    return Country.objects.get(iso2=iso2)


def org(slug):
    return Organization.objects.get(slug=slug)


def cite():
    """The citation a new period needs (every write path requires one)."""
    return [(Source.objects.get(slug="seed-article-2021-12"), "A sentence of the source.")]


def period(iso2, slug, start=None, status=MEMBER):
    """The period starting on ``start``, else the one of ``status`` (NATO partners, EU candidates are recorded too)."""
    qs = Membership.objects.filter(country__iso2=iso2, organization__slug=slug)
    return qs.get(start_date=start) if start else qs.get(status=status)


@pytest.fixture
def source():
    return Source.objects.create(slug="test-source", title="Test source", kind="official_page")


def validation_error(callable_, *args, **kwargs):
    with pytest.raises(ValidationError) as info:
        callable_(*args, **kwargs)
    return info.value


def messages(error, field):
    return " ".join(error.message_dict.get(field, []))


def is_member(iso2, slug, day):
    return selectors.organization_members(org(slug), as_of=day).filter(country__iso2=iso2).exists()


# --- end before start --------------------------------------------------------------------------------


def test_end_before_start_refused_by_full_clean():
    membership = Membership(country=country("JP"), organization=org("nato"), start_date=D("2010-01-02"))
    membership.end_date = D("2010-01-01")
    error = validation_error(membership.full_clean)
    assert "end_date" in error.message_dict
    assert "before the start date" in messages(error, "end_date")
    assert "start_date" not in error.message_dict


def test_end_on_start_day_is_a_valid_one_day_period():
    membership = Membership(
        country=country("JP"), organization=org("nato"), start_date=D("2010-01-01"), end_date=D("2010-01-01")
    )
    membership.full_clean()


def test_end_before_start_refused_by_service():
    count = Membership.objects.count()
    error = validation_error(
        services.membership_create,
        country=country("JP"),
        organization=org("nato"),
        start_date=D("2010-01-02"),
        end_date=D("2010-01-01"),
    )
    assert "end_date" in error.message_dict
    assert Membership.objects.count() == count


def test_end_before_start_refused_by_update_service():
    ro_nato = period("RO", "nato")
    error = validation_error(services.membership_end, membership=ro_nato, end_date=D("2004-03-28"))
    assert "end_date" in error.message_dict
    ro_nato.refresh_from_db()
    assert ro_nato.end_date is None


def test_database_check_refuses_end_before_start_on_bulk_create():
    row = Membership(
        country=country("JP"), organization=org("nato"), start_date=D("2010-01-02"), end_date=D("2010-01-01")
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.bulk_create([row])
    assert not Membership.objects.filter(country__iso2="JP", organization__slug="nato").exists()


def test_database_check_refuses_end_before_start_on_update():
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(country__iso2="RO", organization__slug="nato").update(end_date=D("2000-01-01"))
    assert period("RO", "nato").end_date is None


def test_database_check_refuses_unknown_status():
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(country__iso2="RO", organization__slug="nato").update(status="bogus")


# --- overlapping periods -----------------------------------------------------------------------------


def test_overlap_with_a_period_of_another_status_refused_by_full_clean():
    candidate = Membership(
        country=country("RO"),
        organization=org("nato"),
        status=CANDIDATE,
        start_date=D("2000-01-01"),
        end_date=D("2005-01-01"),
    )
    error = validation_error(candidate.full_clean)
    assert "start_date" in error.message_dict
    text = messages(error, "start_date")
    assert "overlaps" in text
    assert "2004-03-29 to ongoing" in text


def test_overlap_refused_by_service_and_nothing_written():
    count = Membership.objects.count()
    error = validation_error(
        services.membership_create,
        country=country("RO"),
        organization=org("nato"),
        status=CANDIDATE,
        start_date=D("2000-01-01"),
        end_date=D("2005-01-01"),
    )
    assert "start_date" in error.message_dict
    assert Membership.objects.count() == count


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2004-03-29", None),  # same start (also the unique constraint)
        ("2010-01-01", "2011-01-01"),  # inside the ongoing period
        ("2004-03-28", "2004-03-29"),  # shares only the first day
        ("1990-01-01", None),  # open-ended, covering it
    ],
)
def test_overlap_variants_refused(start, end):
    membership = Membership(
        country=country("RO"),
        organization=org("nato"),
        status=CANDIDATE,
        start_date=D(start),
        end_date=D(end) if end else None,
    )
    error = validation_error(membership.full_clean)
    assert "overlaps" in messages(error, "start_date")


def test_adjacent_period_before_is_allowed():
    """Romania's NATO partner period (1994-01-26 to 2004-03-28) is followed by its member period."""
    created = services.membership_create(
        citations=cite(),
        country=country("RO"),
        organization=org("nato"),
        status=CANDIDATE,
        start_date=D("1990-01-01"),
        end_date=D("1994-01-25"),
    )
    assert created.pk is not None
    periods = list(
        Membership.objects.filter(country__iso2="RO", organization__slug="nato")
        .order_by("start_date")
        .values_list("status", "start_date", "end_date")
    )
    assert periods == [
        (CANDIDATE, D("1990-01-01"), D("1994-01-25")),
        (MembershipStatus.PARTNER, D("1994-01-26"), D("2004-03-28")),
        (MEMBER, D("2004-03-29"), None),
    ]


def test_adjacent_period_after_an_ended_one_is_allowed_but_not_on_its_last_day():
    """The United Kingdom's EU period ends (inclusive) on 2020-01-31."""
    overlapping = Membership(
        country=country("GB"), organization=org("eu"), status=MembershipStatus.PARTNER, start_date=D("2020-01-31")
    )
    assert "overlaps" in messages(validation_error(overlapping.full_clean), "start_date")
    services.membership_create(
        citations=cite(),
        country=country("GB"),
        organization=org("eu"),
        status=MembershipStatus.PARTNER,
        start_date=D("2020-02-01"),
    )
    assert Membership.objects.filter(country__iso2="GB", organization__slug="eu").count() == 2


def test_editing_a_period_does_not_clash_with_itself():
    ro_nato = period("RO", "nato")
    ro_nato.note = "edited"
    ro_nato.full_clean()
    services.membership_update(membership=ro_nato, note="edited again")
    assert period("RO", "nato").note == "edited again"


def test_moving_a_period_onto_a_neighbour_is_refused():
    """The neighbour is Romania's NATO partner period, from 1994-01-26."""
    services.membership_create(
        citations=cite(),
        country=country("RO"),
        organization=org("nato"),
        status=CANDIDATE,
        start_date=D("1990-01-01"),
        end_date=D("1994-01-25"),
    )
    candidate = period("RO", "nato", D("1990-01-01"))
    error = validation_error(services.membership_update, membership=candidate, end_date=D("1994-01-26"))
    assert "overlaps" in messages(error, "start_date")
    candidate.refresh_from_db()
    assert candidate.end_date == D("1994-01-25")


def test_postgresql_exclusion_constraint_refuses_overlap_from_bulk_create():
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only")
    # Romania's NATO partner period starts on 1994-01-26.
    row = Membership(
        country=country("RO"),
        organization=org("nato"),
        status=CANDIDATE,
        start_date=D("1990-01-01"),
        end_date=D("1995-01-01"),
    )
    with pytest.raises(IntegrityError) as info, transaction.atomic():
        Membership.objects.bulk_create([row])
    assert "membership_no_overlapping_periods" in str(info.value)
    # Adjacent periods are fine for the constraint too (both ends inclusive).
    row.end_date = D("1994-01-25")
    with transaction.atomic():
        Membership.objects.bulk_create([row])
    assert Membership.objects.filter(country__iso2="RO", organization__slug="nato").count() == 3


# --- founding date -----------------------------------------------------------------------------------


def test_start_before_the_organization_was_founded_refused():
    nato = org("nato")
    early = Membership(country=country("JP"), organization=nato, start_date=nato.founded - ONE_DAY)
    error = validation_error(early.full_clean)
    assert "founded on 1949-08-24" in messages(error, "start_date")
    on_the_day = Membership(country=country("JP"), organization=nato, start_date=nato.founded)
    on_the_day.full_clean()


def test_start_before_founded_refused_by_service():
    error = validation_error(
        services.membership_create,
        citations=cite(),
        country=country("JP"),
        organization=org("b9"),
        start_date=D("2015-11-03"),
    )
    assert "founded" in messages(error, "start_date")


def test_membership_must_end_by_the_dissolution():
    Organization.objects.filter(slug="osce").update(dissolved=D("2030-01-01"))
    ongoing = Membership(country=country("BR"), organization=org("osce"), start_date=D("2000-01-01"))
    assert "dissolved" in messages(validation_error(ongoing.full_clean), "end_date")
    ended = Membership(
        country=country("BR"), organization=org("osce"), start_date=D("2000-01-01"), end_date=D("2030-01-01")
    )
    ended.full_clean()


# --- B9 members must be NATO members -----------------------------------------------------------------


def test_b9_membership_for_a_nato_non_member_refused():
    error = validation_error(
        services.membership_create,
        citations=cite(),
        country=country("AT"),
        organization=org("b9"),
        start_date=D("2016-01-01"),
    )
    text = messages(error, "start_date")
    assert "must be members of NATO" in text
    assert "Austria is not a member of NATO on 2016-01-01" in text
    assert not Membership.objects.filter(country__iso2="AT", organization__slug="b9").exists()


def test_b9_membership_refused_until_the_nato_accession_day():
    """Finland joined NATO on 2023-04-04: a B9 seat from the day before is refused, from that day allowed."""
    error = validation_error(
        services.membership_create,
        citations=cite(),
        country=country("FI"),
        organization=org("b9"),
        start_date=D("2023-04-03"),
    )
    assert "not a member of NATO on 2023-04-03" in messages(error, "start_date")
    services.membership_create(
        citations=cite(), country=country("FI"), organization=org("b9"), start_date=D("2023-04-04")
    )
    assert is_member("FI", "b9", D("2023-04-04"))


def test_b9_membership_for_romania_starting_before_its_nato_accession_refused():
    # Move the B9 founding date back so the founding rule does not hide the NATO rule,
    # and remove Romania's real B9 period so the overlap rule does not either.
    Organization.objects.filter(slug="b9").update(founded=D("1999-01-01"))
    period("RO", "b9").delete()
    error = validation_error(
        services.membership_create,
        citations=cite(),
        country=country("RO"),
        organization=org("b9"),
        start_date=D("2004-03-28"),
    )
    assert "Romania is not a member of NATO on 2004-03-28" in messages(error, "start_date")
    assert "founded" not in messages(error, "start_date")
    services.membership_create(
        citations=cite(), country=country("RO"), organization=org("b9"), start_date=D("2004-03-29")
    )


def test_b9_period_outlasting_a_nato_period_refused_on_end_date():
    """A B9 period that would run past the end of the NATO membership fails on the first uncovered day."""
    Membership.objects.filter(country__iso2="FI", organization__slug="nato", status=MEMBER).update(
        end_date=D("2030-12-31")
    )
    error = validation_error(
        services.membership_create,
        citations=cite(),
        country=country("FI"),
        organization=org("b9"),
        start_date=D("2024-01-01"),
    )
    assert "not a member of NATO on 2031-01-01" in messages(error, "end_date")
    services.membership_create(
        citations=cite(),
        country=country("FI"),
        organization=org("b9"),
        start_date=D("2024-01-01"),
        end_date=D("2030-12-31"),
    )


def test_b9_candidate_is_not_bound_by_the_nato_rule():
    services.membership_create(
        citations=cite(), country=country("AT"), organization=org("b9"), start_date=D("2016-01-01"), status=CANDIDATE
    )


def test_ending_romania_nato_membership_before_its_b9_period_ends_refused():
    ro_nato = period("RO", "nato")
    error = validation_error(services.membership_end, membership=ro_nato, end_date=D("2010-01-01"))
    text = messages(error, "end_date")
    assert "Romania is a member of B9 on 2015-11-04" in text
    assert "requires membership of NATO" in text
    ro_nato.refresh_from_db()
    assert ro_nato.end_date is None
    assert is_member("RO", "nato", datetime.date.today())


def test_ending_nato_while_b9_is_ongoing_refused_even_after_b9_started():
    ro_nato = period("RO", "nato")
    error = validation_error(services.membership_end, membership=ro_nato, end_date=D("2020-01-01"))
    assert "on 2020-01-02" in messages(error, "end_date")


def test_ending_b9_first_then_nato_is_allowed():
    services.membership_end(membership=period("RO", "b9"), end_date=D("2020-01-01"))
    ro_nato = period("RO", "nato")
    error = validation_error(services.membership_end, membership=ro_nato, end_date=D("2019-12-31"))
    assert "on 2020-01-01" in messages(error, "end_date")
    services.membership_end(membership=period("RO", "nato"), end_date=D("2020-01-01"))
    assert not is_member("RO", "nato", D("2020-01-02"))
    assert is_member("RO", "nato", D("2020-01-01"))


def test_changing_romania_nato_status_away_from_member_refused():
    ro_nato = period("RO", "nato")
    error = validation_error(services.membership_update, membership=ro_nato, status=MembershipStatus.SUSPENDED)
    assert "requires membership of NATO" in messages(error, "status")
    assert period("RO", "nato").status == MEMBER


# --- status changes ----------------------------------------------------------------------------------


def test_membership_change_status_candidate_then_member(source):
    candidate = services.membership_create(
        country=country("JP"),
        organization=org("nato"),
        status=CANDIDATE,
        start_date=D("2020-01-01"),
        citations=[(source, "Japan applied.")],
    )
    member = services.membership_change_status(
        membership=candidate,
        new_status=MEMBER,
        on=D("2022-05-01"),
        note="joined",
        citations=[(source, "Japan joined.")],
    )
    periods = list(
        Membership.objects.filter(country__iso2="JP", organization__slug="nato")
        .order_by("start_date")
        .values_list("status", "start_date", "end_date", "note")
    )
    assert periods == [
        (CANDIDATE, D("2020-01-01"), D("2022-04-30"), ""),
        (MEMBER, D("2022-05-01"), None, "joined"),
    ]
    assert [c.quote for c in member.citations.all()] == ["Japan joined."]
    assert member.citations.get().organization.slug == "nato"
    assert not is_member("JP", "nato", D("2022-04-30"))
    assert is_member("JP", "nato", D("2022-05-01"))


def test_membership_change_status_keeps_the_end_of_a_closed_period(source):
    candidate = services.membership_create(
        citations=cite(),
        country=country("BR"),
        organization=org("osce"),
        status=CANDIDATE,
        start_date=D("2000-01-01"),
        end_date=D("2010-12-31"),
    )
    observer = services.membership_change_status(
        membership=candidate, new_status=MembershipStatus.OBSERVER, on=D("2005-01-01"), citations=cite()
    )
    assert (observer.start_date, observer.end_date) == (D("2005-01-01"), D("2010-12-31"))
    candidate.refresh_from_db()
    assert candidate.end_date == D("2004-12-31")


def test_ukraine_eu_candidate_becomes_member(source):
    ua_eu = period("UA", "eu", status=CANDIDATE)
    assert ua_eu.status == CANDIDATE
    before = Membership.objects.filter(country__iso2="UA", organization__slug="eu").count()  # applicant, candidate
    services.membership_change_status(
        membership=ua_eu, new_status=MEMBER, on=D("2030-01-01"), citations=[(source, "Ukraine joined the EU.")]
    )
    assert not is_member("UA", "eu", D("2029-12-31"))
    assert is_member("UA", "eu", D("2030-01-01"))
    assert Membership.objects.filter(country__iso2="UA", organization__slug="eu").count() == before + 1


@pytest.mark.parametrize("on", ["2022-06-23", "2022-06-01"])
def test_membership_change_status_must_start_after_the_current_period(on):
    ua_eu = period("UA", "eu", status=CANDIDATE)
    before = Membership.objects.filter(country__iso2="UA", organization__slug="eu").count()
    error = validation_error(services.membership_change_status, membership=ua_eu, new_status=MEMBER, on=D(on))
    assert "start_date" in error.message_dict
    assert Membership.objects.filter(country__iso2="UA", organization__slug="eu").count() == before


def test_membership_change_status_after_the_period_ended_refused():
    gb_eu = period("GB", "eu")
    error = validation_error(
        services.membership_change_status, membership=gb_eu, new_status=MembershipStatus.PARTNER, on=D("2020-02-02")
    )
    assert "already ended" in messages(error, "start_date")
    gb_eu.refresh_from_db()
    assert gb_eu.end_date == D("2020-01-31")


def test_membership_change_status_is_atomic(source):
    """If the new period is refused, the old one is not shortened."""
    at_b9 = services.membership_create(
        citations=cite(), country=country("AT"), organization=org("b9"), status=CANDIDATE, start_date=D("2016-01-01")
    )
    error = validation_error(services.membership_change_status, membership=at_b9, new_status=MEMBER, on=D("2017-01-01"))
    assert "must be members of NATO" in messages(error, "start_date")
    at_b9.refresh_from_db()
    assert at_b9.end_date is None
    assert Membership.objects.filter(country__iso2="AT", organization__slug="b9").count() == 1


# --- citations ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("quote", ["", "   ", "\n\t"])
def test_citation_with_empty_quote_refused(source, quote):
    citation = Citation(source=source, organization=org("nato"), membership=period("RO", "nato"), quote=quote)
    error = validation_error(citation.full_clean)
    assert "quote" in error.message_dict
    error = validation_error(services.record_save, citation)
    assert "quote" in error.message_dict
    assert not Citation.objects.filter(source=source).exists()


def test_database_check_refuses_empty_quote(source):
    row = Citation(source=source, organization=org("nato"), membership=period("RO", "nato"), quote="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Citation.objects.bulk_create([row])


def test_citation_organization_must_be_the_membership_organization(source):
    citation = Citation(source=source, organization=org("eu"), membership=period("RO", "nato"), quote="Romania.")
    error = validation_error(citation.full_clean)
    assert "organization" in error.message_dict


def test_citation_organization_is_taken_from_the_membership(source):
    citation = Citation(source=source, membership=period("RO", "nato"), quote="Romania joined NATO.")
    citation.clean()
    assert citation.organization == org("nato")


def test_citation_unique_per_source_and_membership(source):
    membership = period("RO", "nato")
    services.record_save(Citation(source=source, organization=org("nato"), membership=membership, quote="One."))
    error = validation_error(
        services.record_save, Citation(source=source, organization=org("nato"), membership=membership, quote="Two.")
    )
    assert error.messages
    assert Citation.objects.filter(source=source).count() == 1


# --- aliases -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Czech Republic", "czech republic.", "CZECH REPUBLIC", "Czéch Republic"])
def test_country_alias_clash_refused(name):
    alias = CountryAlias(country=country("RO"), name=name)
    error = validation_error(alias.full_clean)
    assert "already an alias of Czechia" in messages(error, "name")
    assert not CountryAlias.objects.filter(country__iso2="RO", normalized="czech republic").exists()


def test_country_alias_clash_refused_for_the_same_country():
    error = validation_error(services.record_save, CountryAlias(country=country("CZ"), name="Czech  Republic!"))
    assert "already an alias of Czechia" in messages(error, "name")


def test_organization_alias_clash_refused():
    error = validation_error(services.record_save, OrganizationAlias(organization=org("nato"), name="B-9"))
    assert "already an alias of B9" in messages(error, "name")


def test_alias_needs_a_letter_or_digit():
    error = validation_error(CountryAlias(country=country("RO"), name="--- !").full_clean)
    assert "letter or digit" in messages(error, "name")


def test_alias_normalized_key_set_on_validation():
    alias = services.record_save(CountryAlias(country=country("RO"), name="Rumänien!"))
    alias.refresh_from_db()
    assert (alias.name, alias.normalized) == ("Rumänien!", "rumanien")
    assert selectors.country_resolve("rumanien") == country("RO")


def test_database_refuses_duplicate_and_empty_alias_keys():
    with pytest.raises(IntegrityError), transaction.atomic():
        CountryAlias.objects.create(country=country("RO"), name="x", normalized="czech republic")
    with pytest.raises(IntegrityError), transaction.atomic():
        CountryAlias.objects.create(country=country("RO"), name="x", normalized="")


# --- natural keys ------------------------------------------------------------------------------------


def round_trip(obj):
    model = type(obj)
    key = obj.natural_key()
    assert model.objects.get_by_natural_key(*key) == obj
    return key


def test_natural_keys_round_trip():
    assert round_trip(country("RO")) == ("RO",)
    assert round_trip(org("b9")) == ("b9",)
    assert round_trip(period("RO", "nato")) == ("RO", "nato", "2004-03-29")
    seed = Source.objects.get(slug="seed-article-2021-12")
    assert round_trip(seed) == ("seed-article-2021-12",)
    about_b9 = Citation.objects.get(source=seed, organization__slug="b9", membership=None)
    assert round_trip(about_b9) == ("seed-article-2021-12", "b9", None, None)
    ro_b9 = Citation.objects.get(source=seed, membership=period("RO", "b9"))
    assert round_trip(ro_b9) == ("seed-article-2021-12", "b9", "RO", "2015-11-04")
    assert round_trip(CountryAlias.objects.get(name="Czech Republic")) == ("czech republic",)
    assert round_trip(OrganizationAlias.objects.get(name="Bucharest Format")) == ("bucharest format",)


@pytest.mark.parametrize(
    "model", [Country, Organization, Membership, Source, Citation, CountryAlias, OrganizationAlias]
)
def test_natural_keys_round_trip_for_every_row(model):
    # The rows' natural keys read their related rows: fetched with them, not one query per row each.
    related = {
        Membership: ["country", "organization"],
        Citation: ["source", "organization", "membership__country", "membership__organization"],
    }
    objects = list(model.objects.select_related(*related.get(model, [])))
    assert objects
    keys = set()
    for obj in objects:
        key = obj.natural_key()
        assert model.objects.get_by_natural_key(*key).pk == obj.pk
        keys.add(key)
    assert len(keys) == len(objects)


# --- regressions found while writing these tests -----------------------------------------------------


def test_moving_a_nato_period_to_another_country_keeps_the_b9_rule():
    ro_nato = period("RO", "nato")
    with pytest.raises(ValidationError):
        services.membership_update(membership=ro_nato, country=country("JP"))


def test_overlapping_edit_sharing_a_start_date_is_a_validation_error():
    Membership.objects.filter(country__iso2="RO", organization__slug="nato", status=MEMBER).update(
        end_date=D("2009-12-31")
    )
    second = services.membership_create(
        citations=cite(), country=country("RO"), organization=org("nato"), start_date=D("2010-01-01")
    )
    error = validation_error(services.membership_update, membership=second, start_date=D("2004-03-29"))
    assert "overlaps" in messages(error, "start_date")


def test_changing_a_membership_organization_keeps_its_citations_consistent():
    ua_eu = period("UA", "eu", status=CANDIDATE)
    assert ua_eu.citations.exists()
    try:
        services.membership_update(membership=ua_eu, organization=org("nato"))
    except ValidationError:
        return  # refusing the change is an acceptable fix too
    assert set(ua_eu.citations.values_list("organization__slug", flat=True)) == {"nato"}
