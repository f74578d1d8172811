"""The rules an organization's own life follows: its memberships in other organizations, its names, its successions.

Kept apart from ``alliances.validation`` (the states' rules): none of these reads a state.
Like those, each runs from the model's ``clean()`` and reaches other rows through the
instance's own manager, so ``models.py`` imports this module without an import cycle.
"""

from collections import defaultdict

from django.core.exceptions import ValidationError

from alliances.rules import memberships as membership_rules
from alliances.rules import periods, problems
from alliances.rules.periods import describe_period, overlaps
from alliances.store import locks


def dates_out_of_order(start, end):
    """The rulebook's sentence if a period ends before it starts, else None."""
    found = membership_rules.dates(start, end)
    return found[0].sentence if found else None


def outside_organization(organization, start, end):
    """(field, sentence) for each way the period leaves ``organization``'s life (the rulebook's rule)."""
    return [
        (problem.field, problem.sentence) for problem in membership_rules.within_organization(organization, start, end)
    ]


NEEDS_CITATION = "An organization's membership period needs at least one citation: a source and its sentence."


def outside_member_life(member, start, end):
    """(field, message) for each way the period leaves the *member*'s own founded–dissolved span."""
    problems = []
    if start < member.earliest_founding:
        problems.append(
            ("start_date", f"{member.acronym} was founded on {member.founded_text}; it cannot be a member before that.")
        )
    if member.dissolved and (end is None or end > member.dissolved):
        problems.append(
            (
                "end_date",
                f"{member.acronym} was dissolved on {member.dissolved.isoformat()}; the period must end by then.",
            )
        )
    return problems


def check_organization_membership(period):
    """Raise ValidationError, keyed by field: not itself, in order, within both lives, no overlap with another."""
    if period.start_date is None or period.member_id is None or period.organization_id is None:
        return
    errors = defaultdict(list)
    if period.member_id == period.organization_id:
        errors["member"].append(problems.OrganizationItsOwnMember().sentence)
    if message := dates_out_of_order(period.start_date, period.end_date):
        errors["end_date"].append(message)
    if errors:
        raise ValidationError(dict(errors))
    locks.lock_writes()  # the overlap rule reads other rows
    for field, message in outside_organization(period.organization, period.start_date, period.end_date):
        errors[field].append(message)
    for field, message in outside_member_life(period.member, period.start_date, period.end_date):
        errors[field].append(message)
    others = type(period).objects.filter(member_id=period.member_id, organization_id=period.organization_id)
    if period.pk is not None:
        others = others.exclude(pk=period.pk)
    for other in others.order_by("start_date"):
        if overlaps(period.start_date, period.end_date, other.start_date, other.end_date):
            errors["start_date"].append(
                f"{period.member.acronym} already has a period in {period.organization.acronym} "
                f"({other.get_status_display().lower()}, {describe_period(other.start_date, other.end_date)}) "
                "that overlaps this one; a member has one status in an organization at a time."
            )
    if errors:
        raise ValidationError(dict(errors))


def check_organization_name(name):
    """Raise ValidationError if the name's span is reversed or leaves the organization's life."""
    if name.valid_from is None or name.organization_id is None:
        return
    errors = {}
    if message := dates_out_of_order(name.valid_from, name.valid_to):
        errors["valid_to"] = message
    organization = name.organization
    if name.valid_from < periods.earliest_day(organization.founded, "year"):
        errors["valid_from"] = (
            f"{organization.acronym} was founded on {organization.founded_text}; it bore no name before."
        )
    if errors:
        raise ValidationError(errors)


def check_organization_succession(succession):
    """Raise ValidationError if an organization succeeds itself or the successor did not exist on the day."""
    if succession.predecessor_id is None or succession.successor_id is None or succession.date is None:
        return
    if succession.predecessor_id == succession.successor_id:
        raise ValidationError({"successor": problems.OrganizationSelfSuccession().sentence})
    if succession.date < succession.successor.earliest_founding:
        successor = succession.successor
        raise ValidationError({"date": f"{successor.acronym} was founded on {successor.founded_text}, later."})
