"""The rules a membership and a citation must follow, checked against the stored data.

``check_membership`` and ``check_citation`` run from ``Model.clean()`` so every
write path that validates (admin, API, services) applies them on every engine;
``check_membership_removal`` runs before a delete (``services.membership_delete``).
The interval arithmetic is ``alliances.periods``; the queries are the model's
own manager, reached through the instance (``type(membership).objects``), so
``models.py`` can import this module without an import cycle.
"""

from collections import defaultdict

from django.core.exceptions import ValidationError

from alliances import history, locks, periods
from alliances.choices import MembershipStatus, SuccessionKind
from alliances.periods import describe_period, first_coverage_gap, first_uncovered_day, overlaps


def dates_out_of_order(start, end):
    """The message if a period ends before it starts, else None."""
    if end is not None and end < start:
        return f"The end date {end.isoformat()} is before the start date {start.isoformat()}."
    return None


def imprecise_dates_off_their_bound(start, start_precision, end, end_precision):
    """(field, message) for a date known to the month or year that is not stored as its certain bound.

    ``Membership.clean()`` moves such a date there; a loaded row must already be there.
    """
    problems = []
    for field, day, precision, bound, which in (
        ("start_date", start, start_precision, periods.latest_day, "A start known to the {} is stored as its last day"),
        ("end_date", end, end_precision, periods.earliest_day, "An end known to the {} is stored as its first day"),
    ):
        stored = bound(day, precision)
        if day is not None and stored != day:
            problems.append((field, f"{which.format(precision)} ({stored.isoformat()}), not {day.isoformat()}."))
    return problems


def outside_organization(organization, start, end):
    """(field, message) for each way the period leaves ``organization``'s founded–dissolved span.

    A founding known to the month or year allows a start from the first day of it.
    """
    problems = []
    if start < organization.earliest_founding:
        problems.append(
            (
                "start_date",
                f"{organization.acronym} was founded on {organization.founded_text}; "
                f"a membership cannot start before that (got {start.isoformat()}).",
            )
        )
    if organization.dissolved and (end is None or end > organization.dissolved):
        problems.append(
            (
                "end_date",
                f"{organization.acronym} was dissolved on {organization.dissolved.isoformat()}; "
                "the membership must end by then.",
            )
        )
    return problems


def requirement_gap(organization, required, country, day):
    """The message for a member of ``organization`` who is not a member of ``required`` on ``day``."""
    return (
        f"Members of {organization.acronym} must be members of {required.acronym}, "
        f"but {country.name} is not a member of {required.acronym} on {day.isoformat()}."
    )


def check_membership(membership):
    """Raise ValidationError, keyed by field, for every rule ``membership`` breaks."""
    memberships = type(membership).objects
    errors = defaultdict(list)
    start, end = membership.start_date, membership.end_date
    if start is None or membership.country_id is None or membership.organization_id is None:
        return  # field validation already reports the missing values
    locks.lock_writes()  # the rules below read other rows: no concurrent write may slip in before the save
    organization = membership.organization
    country = membership.country

    if membership.pk is not None:
        stored = memberships.filter(pk=membership.pk).values_list("country_id", "organization_id").first()
        if stored is not None and stored[0] != country.pk:
            errors["country"].append("A period cannot move to another country; end it and record a new one.")
        if stored is not None and stored[1] != organization.pk:
            errors["organization"].append("A period cannot move to another organization; end it and record a new one.")
    if message := dates_out_of_order(start, end):
        errors["end_date"].append(message)
    for field, message in outside_organization(organization, start, end):
        errors[field].append(message)
    if errors:
        raise ValidationError(errors)

    others = memberships.filter(country_id=country.pk, organization_id=organization.pk)
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
            gap = first_uncovered_day(memberships.member_periods(country.pk, required.pk), start, end)
            if gap is not None:
                field = "start_date" if gap == start else "end_date"
                errors[field].append(requirement_gap(organization, required, country, gap))

    # Shortening or removing a period must not leave a dependent membership
    # (a B9 seat, say) without the membership it requires.
    if membership.pk is not None:
        periods = memberships.member_periods(country.pk, organization.pk, replacing=membership)
        for dependent in organization.required_by.all():
            uncovered = first_coverage_gap(periods, memberships.member_periods(country.pk, dependent.pk))
            if uncovered is not None:
                errors["end_date" if end is not None else "status"].append(
                    f"{country.name} is a member of {dependent.acronym} on {uncovered[1].isoformat()}, "
                    f"which requires membership of {organization.acronym} on that day."
                )
    _check_history(membership, errors)
    if errors:
        raise ValidationError(dict(errors))


def _continuations(country):
    """Continuation successions in which ``country`` is the predecessor or the successor."""
    links = [country.successor_links, country.predecessor_links]
    return [
        succession
        for related in links
        for succession in related.filter(kind=SuccessionKind.CONTINUATION).select_related("predecessor", "successor")
    ]


def _check_history(membership, errors):
    """Existence span and one seat per continuation (alliances/history.py)."""
    country, start, end = membership.country, membership.start_date, membership.end_date
    problem = history.existence_problem(country, start, end)
    if problem:
        field = "start_date" if country.exists_from is not None and start < country.exists_from else "end_date"
        errors[field].append(problem)
    if country.pk is None:
        return
    for succession in _continuations(country):
        other = succession.successor if succession.predecessor_id == country.pk else succession.predecessor
        clash = (
            other.memberships.filter(organization_id=membership.organization_id)
            .order_by("start_date")
            .values_list("start_date", "end_date")
        )
        for o_start, o_end in clash:
            if overlaps(start, end, o_start, o_end):
                errors["start_date"].append(
                    f"{succession.successor.name} continues {succession.predecessor.name} from "
                    f"{succession.date.isoformat()}: one seat, so this period cannot share a day with "
                    f"{other.name}'s period in {membership.organization.acronym} ({describe_period(o_start, o_end)})."
                )
                break


def check_country(country):
    """Raise ValidationError if ``country``'s existence span is reversed or leaves a stored period outside it."""
    if country.exists_from and country.exists_to and country.exists_to < country.exists_from:
        raise ValidationError({"exists_to": "The last day of existence is before the first."})
    if country.pk is None:
        return
    for m in country.memberships.select_related("organization").order_by("start_date"):
        problem = history.existence_problem(country, m.start_date, m.end_date)
        if problem:
            raise ValidationError(
                {
                    "exists_from" if "start" in problem else "exists_to": f"{m.organization.acronym} period "
                    f"{describe_period(m.start_date, m.end_date)}: {problem}"
                }
            )


def check_succession(succession):
    """Raise ValidationError if ``succession`` names one state twice or a continuation would be two seats."""
    if succession.predecessor_id is None or succession.successor_id is None:
        return
    if succession.predecessor_id == succession.successor_id:
        raise ValidationError({"successor": "A state cannot succeed itself."})
    if succession.kind != SuccessionKind.CONTINUATION:
        return
    locks.lock_writes()
    theirs = defaultdict(list)
    for m in succession.successor.memberships.all():
        theirs[m.organization_id].append(m)
    for a in succession.predecessor.memberships.select_related("organization"):
        for b in theirs[a.organization_id]:
            if overlaps(a.start_date, a.end_date, b.start_date, b.end_date):
                raise ValidationError(
                    {
                        "kind": f"A continuation is one seat, but {succession.predecessor.name} "
                        f"({describe_period(a.start_date, a.end_date)}) and {succession.successor.name} "
                        f"({describe_period(b.start_date, b.end_date)}) share days in {a.organization.acronym}."
                    }
                )


def check_membership_removal(membership):
    """Raise ValidationError if deleting ``membership`` leaves a dependent membership uncovered."""
    if membership.pk is None or membership.status != MembershipStatus.MEMBER:
        return
    locks.lock_writes()
    memberships = type(membership).objects
    country_id = membership.country_id
    remaining = memberships.exclude(pk=membership.pk).member_periods(country_id, membership.organization_id)
    for dependent in membership.organization.required_by.all():
        uncovered = first_coverage_gap(remaining, memberships.member_periods(country_id, dependent.pk))
        if uncovered is not None:
            raise ValidationError(
                f"{membership.country.name} is a member of {dependent.acronym} on {uncovered[1].isoformat()}, "
                f"which requires membership of {membership.organization.acronym}; end or delete that first."
            )


NEEDS_CITATION = "A membership period needs at least one citation: a source and the sentence of it that says so."


def check_citation_removal(citations):
    """Raise ValidationError if removing ``citations`` from their periods (deleting them, or moving them
    to another period) would leave a period that still exists with no citation."""
    removed = {c.pk for c in citations if c.pk is not None}
    periods = {c.membership_id for c in citations if c.membership_id is not None}
    if not removed or not periods:
        return
    model = type(next(iter(citations)))
    kept = set(
        model.objects.filter(membership_id__in=periods).exclude(pk__in=removed).values_list("membership_id", flat=True)
    )
    bare = periods - kept
    if bare:
        Membership = model._meta.get_field("membership").related_model
        left = [str(m) for m in Membership.objects.filter(pk__in=bare).select_related("country", "organization")]
        if left:  # periods being deleted with their citations are not left bare
            more = f" and {len(left) - 5} more" if len(left) > 5 else ""
            raise ValidationError(f"{NEEDS_CITATION} This would leave none on: {', '.join(left[:5])}{more}.")


def check_citation(citation):
    errors = {}
    if citation.pk is not None:
        stored = type(citation).objects.filter(pk=citation.pk).values_list("membership_id", flat=True).first()
        if stored is not None and stored != citation.membership_id:
            moved = type(citation)(pk=citation.pk, membership_id=stored)
            try:
                check_citation_removal([moved])
            except ValidationError as exc:
                errors["membership"] = exc.messages
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
