"""``Model.clean()``'s adapter to the rulebook: reads what each rule needs, raises what it finds.

``check_membership`` and ``check_citation`` run from ``Model.clean()`` so every
write path that validates (admin, API, services) applies them on every engine;
``check_membership_removal`` runs before a delete (``services.membership_delete``).
The rules and their sentences are ``alliances.rules``; this module only queries
(through the model's own manager, ``type(membership).objects``, so ``models.py``
can import it without an import cycle) and renders the problems as a
``ValidationError`` keyed by field.

The write lock (alliances/store/locks.py) is not taken here: the write's entry point
(a service, ``audit.acting_as`` around the admin's and the API's writes) takes
it before anything is read.
"""

from collections import defaultdict

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from alliances.choices import MembershipStatus, SuccessionKind
from alliances.rules import citations, memberships, problems, records, successions

NEEDS_CITATION = problems.NeedsCitation().sentence


def refuse(found, *, keyed=True):
    """Raise the problems as one ValidationError, each sentence on its field (``keyed=False``: a plain list)."""
    if not found:
        return
    if not keyed:
        raise ValidationError([p.sentence for p in found])
    errors = defaultdict(list)
    for p in found:
        errors[p.field or NON_FIELD_ERRORS].append(p.sentence)
    raise ValidationError(dict(errors))


def check_membership(membership):
    """Raise ValidationError, keyed by field, for every rule ``membership`` breaks."""
    manager = type(membership).objects
    start, end = membership.start_date, membership.end_date
    if start is None or membership.country_id is None or membership.organization_id is None:
        return  # field validation already reports the missing values
    organization, country = membership.organization, membership.country

    found = []
    if membership.pk is not None:
        stored = manager.filter(pk=membership.pk).values_list("country_id", "organization_id").first()
        if stored is not None and stored[0] != country.pk:
            found.append(problems.MovedToAnother("country"))
        if stored is not None and stored[1] != organization.pk:
            found.append(problems.MovedToAnother("organization"))
    found += memberships.dates(start, end)
    found += memberships.within_organization(organization, start, end)
    refuse(found)

    others = manager.filter(country_id=country.pk, organization_id=organization.pk)
    if membership.pk is not None:
        others = others.exclude(pk=membership.pk)
    found += memberships.no_overlap(
        country.name, organization.acronym, start, end, others.values_list("status", "start_date", "end_date")
    )
    if membership.status == MembershipStatus.MEMBER:
        for required in organization.members_must_belong_to.all():
            found += memberships.required_membership(
                organization.acronym,
                required.acronym,
                country.name,
                start,
                end,
                manager.member_periods(country.pk, required.pk),
            )
    if membership.pk is not None:
        # Shortening or removing a period must not leave a dependent membership (a B9 seat, say) uncovered.
        remaining = manager.member_periods(country.pk, organization.pk, replacing=membership)
        found += _dependents(manager, country, organization, remaining, on="end_date" if end else "status")
    found += memberships.within_existence(country, start, end)
    if country.pk is not None:
        for succession, other in _continuations(country):
            theirs = other.memberships.filter(organization_id=organization.pk).values_list("start_date", "end_date")
            mine, clash = [(start, end)], list(theirs)
            if succession.predecessor_id != country.pk:
                mine, clash = clash, mine
            found += successions.one_seat(
                succession.predecessor.name,
                succession.successor.name,
                succession.date,
                organization.acronym,
                mine,
                clash,
            )[:1]
    refuse(found)


def _dependents(manager, country, organization, remaining, *, on=None):
    dependents = [
        (dependent.acronym, manager.member_periods(country.pk, dependent.pk))
        for dependent in organization.required_by.all()
    ]
    return memberships.dependents_covered(country.name, organization.acronym, remaining, dependents, on=on)


def _continuations(country):
    """``(succession, the other state)`` for each continuation in which ``country`` is one of the two."""
    found = []
    for related in (country.successor_links, country.predecessor_links):
        for succession in related.filter(kind=SuccessionKind.CONTINUATION).select_related("predecessor", "successor"):
            other = succession.successor if succession.predecessor_id == country.pk else succession.predecessor
            found.append((succession, other))
    return found


def check_country(country):
    """Raise ValidationError if ``country``'s existence span is reversed or leaves a stored period outside it."""
    refuse([p for p in records.country(country.code, country.exists_from, country.exists_to) if p.field != "code"])
    if country.pk is None:
        return
    for m in country.memberships.select_related("organization").order_by("start_date"):
        for problem in memberships.within_existence(country, m.start_date, m.end_date):
            refuse([problems.PeriodOutsideExistence(m.organization.acronym, m.start_date, m.end_date, problem)])


def check_succession(succession):
    """Raise ValidationError if ``succession`` names one state twice or a continuation would be two seats."""
    if succession.predecessor_id is None or succession.successor_id is None:
        return
    refuse(successions.not_itself(succession.predecessor_id, succession.successor_id))
    if succession.kind != SuccessionKind.CONTINUATION:
        return
    theirs = defaultdict(list)
    for organization_id, start, end in succession.successor.memberships.values_list(
        "organization_id", "start_date", "end_date"
    ):
        theirs[organization_id].append((start, end))
    mine = defaultdict(list)
    acronyms = {}
    for m in succession.predecessor.memberships.select_related("organization").order_by("start_date"):
        mine[m.organization_id].append((m.start_date, m.end_date))
        acronyms[m.organization_id] = m.organization.acronym
    for organization_id, periods in mine.items():
        found = successions.one_seat(
            succession.predecessor.name,
            succession.successor.name,
            succession.date,
            acronyms[organization_id],
            periods,
            theirs[organization_id],
            on="kind",
        )
        refuse(found[:1])


def check_membership_removal(membership):
    """Raise ValidationError if deleting ``membership`` leaves a dependent membership uncovered."""
    if membership.pk is None or membership.status != MembershipStatus.MEMBER:
        return
    manager = type(membership).objects
    remaining = manager.exclude(pk=membership.pk).member_periods(membership.country_id, membership.organization_id)
    refuse(_dependents(manager, membership.country, membership.organization, remaining)[:1], keyed=False)


def check_citation_removal(citations_removed):
    """Raise ValidationError if removing ``citations_removed`` from their periods (deleting them, or moving them
    to another period) would leave a period that still exists with no citation."""
    removed = {c.pk for c in citations_removed if c.pk is not None}
    cited_periods = {c.membership_id for c in citations_removed if c.membership_id is not None}
    if not removed or not cited_periods:
        return
    model = type(next(iter(citations_removed)))
    kept = set(
        model.objects.filter(membership_id__in=cited_periods)
        .exclude(pk__in=removed)
        .values_list("membership_id", flat=True)
    )
    bare = cited_periods - kept
    if bare:
        Membership = model._meta.get_field("membership").related_model
        # Periods being deleted with their citations are not left bare.
        left = [str(m) for m in Membership.objects.filter(pk__in=bare).select_related("country", "organization")]
        refuse(citations.none_left_bare(left), keyed=False)


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
    found = []
    if citation.membership_id is not None:
        membership_org = citation.membership.organization_id
        if citation.organization_id is None:
            citation.organization_id = membership_org
        found += citations.same_organization(citation.organization_id, membership_org)
    found += citations.quoted(citation.quote)
    for p in found:
        errors[p.field] = p.sentence
    if errors:
        raise ValidationError(errors)
