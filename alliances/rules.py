"""The rules membership data must follow.

``check_membership`` and ``check_citation`` run from ``Model.clean()`` so every
write path that validates (admin, API, services) applies them on every engine.
``find_problems`` re-checks already stored data for ``manage.py validate_data``,
since ``loaddata`` and raw SQL bypass model validation.
"""

import datetime
from collections import defaultdict

import pycountry
from django.core.exceptions import ValidationError

from alliances import history
from alliances.choices import MembershipStatus
from alliances.text import normalize_name

ONE_DAY = datetime.timedelta(days=1)


def describe_period(start, end):
    return f"{start.isoformat()} to {end.isoformat() if end else 'ongoing'}"


def overlaps(a_start, a_end, b_start, b_end):
    """Whether two inclusive periods share a day; ``None`` as an end means open."""
    return (b_end is None or a_start <= b_end) and (a_end is None or b_start <= a_end)


def first_uncovered_day(periods, start, end):
    """First day in [start, end] that none of ``periods`` (start, end) covers, or None."""
    day = start
    for p_start, p_end in sorted(periods, key=lambda p: p[0]):
        if p_start > day:
            break
        if p_end is None:
            return None
        if p_end >= day:
            day = p_end + ONE_DAY
        if end is not None and day > end:
            return None
    return day


def _member_periods(membership_model, country_id, organization_id, *, replacing=None):
    periods = membership_model.objects.filter(
        country_id=country_id, organization_id=organization_id, status=MembershipStatus.MEMBER
    )
    if replacing is not None and replacing.pk is not None:
        periods = periods.exclude(pk=replacing.pk)
    result = list(periods.values_list("start_date", "end_date"))
    if (
        replacing is not None
        and replacing.organization_id == organization_id
        and replacing.status == MembershipStatus.MEMBER
    ):
        result.append((replacing.start_date, replacing.end_date))
    return result


def check_membership(membership):
    """Raise ValidationError, keyed by field, for every rule ``membership`` breaks."""
    from alliances.models import Membership

    errors = defaultdict(list)
    start, end = membership.start_date, membership.end_date
    if start is None or membership.country_id is None or membership.organization_id is None:
        return  # field validation already reports the missing values
    organization = membership.organization
    country = membership.country

    if membership.pk is not None:
        stored = Membership.objects.filter(pk=membership.pk).values_list("country_id", "organization_id").first()
        if stored is not None and stored[0] != country.pk:
            errors["country"].append("A period cannot move to another country; end it and record a new one.")
        if stored is not None and stored[1] != organization.pk:
            errors["organization"].append("A period cannot move to another organization; end it and record a new one.")
    if end is not None and end < start:
        errors["end_date"].append(f"The end date {end.isoformat()} is before the start date {start.isoformat()}.")
    if start < organization.founded:
        errors["start_date"].append(
            f"{organization.acronym} was founded on {organization.founded.isoformat()}; "
            f"a membership cannot start before that (got {start.isoformat()})."
        )
    if organization.dissolved and (end is None or end > organization.dissolved):
        errors["end_date"].append(
            f"{organization.acronym} was dissolved on {organization.dissolved.isoformat()}; "
            "the membership must end by then."
        )
    if errors:
        raise ValidationError(errors)

    others = Membership.objects.filter(country_id=country.pk, organization_id=organization.pk)
    if membership.pk is not None:
        others = others.exclude(pk=membership.pk)
    for other in others.order_by("start_date"):
        if overlaps(start, end, other.start_date, other.end_date):
            errors["start_date"].append(
                f"{country.name} already has a period in {organization.acronym} "
                f"({other.get_status_display().lower()}, {describe_period(other.start_date, other.end_date)}) "
                "that overlaps this one; a state has one status in an organization at a time."
            )

    if membership.status == MembershipStatus.MEMBER:
        for required in organization.members_must_belong_to.all():
            periods = _member_periods(Membership, country.pk, required.pk)
            gap = first_uncovered_day(periods, start, end)
            if gap is not None:
                field = "start_date" if gap == start else "end_date"
                errors[field].append(
                    f"Members of {organization.acronym} must be members of {required.acronym}, "
                    f"but {country.name} is not a member of {required.acronym} on {gap.isoformat()}."
                )

    # Shortening or removing a period must not leave a dependent membership
    # (a B9 seat, say) without the membership it requires.
    if membership.pk is not None:
        for dependent in organization.required_by.all():
            dependent_periods = Membership.objects.filter(
                country_id=country.pk, organization_id=dependent.pk, status=MembershipStatus.MEMBER
            )
            periods = _member_periods(Membership, country.pk, organization.pk, replacing=membership)
            for d_start, d_end in dependent_periods.values_list("start_date", "end_date"):
                gap = first_uncovered_day(periods, d_start, d_end)
                if gap is not None:
                    errors["end_date" if end is not None else "status"].append(
                        f"{country.name} is a member of {dependent.acronym} on {gap.isoformat()}, "
                        f"which requires membership of {organization.acronym} on that day."
                    )
                    break
    history.check_membership(membership, errors)
    if errors:
        raise ValidationError(dict(errors))


def check_membership_removal(membership):
    """Raise ValidationError if deleting ``membership`` leaves a dependent membership uncovered."""
    from alliances.models import Membership

    if membership.pk is None or membership.status != MembershipStatus.MEMBER:
        return
    remaining = list(
        Membership.objects.filter(
            country_id=membership.country_id,
            organization_id=membership.organization_id,
            status=MembershipStatus.MEMBER,
        )
        .exclude(pk=membership.pk)
        .values_list("start_date", "end_date")
    )
    for dependent in membership.organization.required_by.all():
        dependent_periods = Membership.objects.filter(
            country_id=membership.country_id, organization_id=dependent.pk, status=MembershipStatus.MEMBER
        ).values_list("start_date", "end_date")
        for d_start, d_end in dependent_periods:
            gap = first_uncovered_day(remaining, d_start, d_end)
            if gap is not None:
                raise ValidationError(
                    f"{membership.country.name} is a member of {dependent.acronym} on {gap.isoformat()}, "
                    f"which requires membership of {membership.organization.acronym}; end or delete that first."
                )


def requirement_gaps(organization, required):
    """Member periods of ``organization`` not covered by membership of ``required``, as (membership, gap day)."""
    from alliances.models import Membership

    gaps = []
    for m in Membership.objects.filter(organization=organization, status=MembershipStatus.MEMBER).select_related(
        "country"
    ):
        periods = _member_periods(Membership, m.country_id, required.pk)
        gap = first_uncovered_day(periods, m.start_date, m.end_date)
        if gap is not None:
            gaps.append((m, gap))
    return gaps


def check_citation(citation):
    errors = {}
    if citation.membership_id is not None:
        membership_org = citation.membership.organization_id
        if citation.organization_id is None:
            citation.organization_id = membership_org
        elif citation.organization_id != membership_org:
            errors["organization"] = "The organization must be the membership's organization."
    if not (citation.quote or "").strip():
        errors["quote"] = "Quote the sentence of the source that supports the fact."
    if errors:
        raise ValidationError(errors)


def find_problems():
    """Every rule broken by the stored data, as readable sentences."""
    from alliances.models import Citation, Country, CountryAlias, Membership, Organization, OrganizationAlias

    problems = []
    memberships = list(Membership.objects.select_related("country", "organization").order_by("start_date"))

    by_pair = defaultdict(list)
    for m in memberships:
        by_pair[(m.country_id, m.organization_id)].append(m)
        if m.end_date is not None and m.end_date < m.start_date:
            problems.append(f"{m}: ends before it starts.")
        if m.start_date < m.organization.founded:
            problems.append(f"{m}: starts before {m.organization.acronym} was founded ({m.organization.founded}).")

    for periods in by_pair.values():
        for i, a in enumerate(periods):
            for b in periods[i + 1 :]:
                if overlaps(a.start_date, a.end_date, b.start_date, b.end_date):
                    problems.append(f"Overlapping periods: {a} / {b}.")

    member_periods = defaultdict(list)
    for m in memberships:
        if m.status == MembershipStatus.MEMBER:
            member_periods[(m.country_id, m.organization_id)].append((m.start_date, m.end_date))
    for organization in Organization.objects.prefetch_related("members_must_belong_to"):
        for required in organization.members_must_belong_to.all():
            for m in memberships:
                if m.organization_id != organization.pk or m.status != MembershipStatus.MEMBER:
                    continue
                gap = first_uncovered_day(member_periods[(m.country_id, required.pk)], m.start_date, m.end_date)
                if gap is not None:
                    problems.append(
                        f"{m}: {organization.acronym} members must be {required.acronym} members, "
                        f"but {m.country.name} is not one on {gap.isoformat()}."
                    )

    cited = set(Citation.objects.filter(membership__isnull=False).values_list("membership_id", flat=True))
    for m in memberships:
        if m.pk not in cited:
            problems.append(f"{m}: no citation.")
    for citation in Citation.objects.filter(membership__isnull=False).select_related(
        "source", "organization", "membership__organization"
    ):
        if citation.organization_id != citation.membership.organization_id:
            problems.append(
                f"Citation {citation.pk} of {citation.source}: organization {citation.organization.acronym} "
                f"differs from its membership's ({citation.membership.organization.acronym})."
            )
    for citation in Citation.objects.select_related("source", "organization"):
        if not citation.quote.strip():
            problems.append(f"Citation {citation.pk} of {citation.source}: empty quote.")

    for country in Country.objects.filter(iso2__isnull=False):
        known = pycountry.countries.get(alpha_2=country.iso2)
        if known is None:
            problems.append(f"Country {country.iso2} ({country.name}): pycountry does not know this code.")
        elif (known.alpha_3, known.numeric) != (country.iso3, country.numeric):
            problems.append(
                f"Country {country.iso2}: codes {country.iso3}/{country.numeric} differ from "
                f"pycountry's {known.alpha_3}/{known.numeric}."
            )

    for alias_model in (CountryAlias, OrganizationAlias):
        for alias in alias_model.objects.all():
            if alias.normalized != normalize_name(alias.name):
                problems.append(
                    f"Alias “{alias.name}”: stored lookup key “{alias.normalized}” should be "
                    f"“{normalize_name(alias.name)}”."
                )
    problems += history.find_problems()
    return problems
