"""The rules of membership periods, over plain periods: ``(start, end)`` pairs and names.

Each function takes what its rule reads (the periods of the other rows included)
and returns a list of problems (``alliances.rules.problems``); an empty list
means the rule holds. ``organization`` and ``country`` are anything with the
attributes named (a model instance, or a plain record): no query is made here.
"""

from alliances.rules import periods
from alliances.rules.problems import (
    AfterDissolution,
    AfterExistence,
    BeforeExistence,
    BeforeFounding,
    DependentUncovered,
    EndBeforeStart,
    OffItsBound,
    Overlap,
    RequirementGap,
)


def dates(start, end):
    """A period that ends before it starts."""
    if start is not None and end is not None and end < start:
        return [EndBeforeStart(start, end)]
    return []


def precision(start, start_precision, end, end_precision):
    """A date known to the month or year that is not stored as its certain bound.

    ``Membership.clean()`` moves such a date there; a loaded row must already be there.
    """
    found = []
    for which, day, known_to, bound in (
        ("start", start, start_precision, periods.latest_day),
        ("end", end, end_precision, periods.earliest_day),
    ):
        stored = bound(day, known_to)
        if day is not None and stored != day:
            found.append(OffItsBound(which, known_to, stored, day))
    return found


def within_organization(organization, start, end):
    """The period leaves ``organization``'s founded–dissolved span (a founding known to the year allows its 1 January).

    ``organization``: ``acronym``, ``earliest_founding``, ``founded_text``, ``dissolved``.
    """
    found = []
    if start < organization.earliest_founding:
        found.append(BeforeFounding(organization.acronym, organization.founded_text, start))
    if organization.dissolved and (end is None or end > organization.dissolved):
        found.append(AfterDissolution(organization.acronym, organization.dissolved))
    return found


def within_existence(country, start, end):
    """The period has a day ``country`` did not exist on (``exists_from``/``exists_to``, inclusive, empty: open)."""
    if country.exists_from is not None and start < country.exists_from:
        return [BeforeExistence(country.name, country.exists_from, start)]
    if country.exists_to is not None and (end is None or end > country.exists_to):
        return [AfterExistence(country.name, country.exists_to, end)]
    return []


def no_overlap(country, organization, start, end, others):
    """Periods of one state in one organization share no day, whatever their status: one status at a time.

    ``others``: the state's other periods in the organization, as ``(status, start, end)``.
    """
    return [
        Overlap(country, organization, status, o_start, o_end)
        for status, o_start, o_end in sorted(others, key=lambda o: o[1])
        if periods.overlaps(start, end, o_start, o_end)
    ]


def overlapping(items, *, dates=lambda item: item):
    """Each pair ``(a, b)`` of ``items`` (one state's periods in one organization) that share a day, a first."""
    items = sorted(items, key=lambda item: dates(item)[0])
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            if periods.overlaps(*dates(a), *dates(b)):
                yield a, b


def required_membership(organization, required, country, start, end, required_periods):
    """A member of ``organization`` is a member of ``required`` on every day of its member period.

    ``required_periods``: the state's member periods in ``required``, as ``(start, end)``.
    """
    gap = periods.first_uncovered_day(required_periods, start, end)
    if gap is None:
        return []
    return [RequirementGap(organization, required, country, gap, on="start_date" if gap == start else "end_date")]


def dependents_covered(country, organization, remaining, dependents, *, on=None):
    """Shortening or removing a member period leaves no membership that requires ``organization`` uncovered.

    ``remaining``: the state's member periods in ``organization`` after the change;
    ``dependents``: ``(acronym, member periods)`` of each organization that requires it.
    """
    found = []
    for dependent, dependent_periods in dependents:
        uncovered = periods.first_coverage_gap(remaining, dependent_periods)
        if uncovered is not None:
            found.append(DependentUncovered(country, dependent, organization, uncovered[1], on=on))
    return found
