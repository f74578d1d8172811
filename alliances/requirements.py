"""Changing which organizations an organization's members must belong to, on every write path.

The admin's organization form checked this; the API set the relation without
a check. Both now refuse a requirement that names the organization itself or
that the stored data breaks, under the write lock (alliances/locks.py), so no
membership written meanwhile can break it either.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from alliances import locks, selectors


def requirement_problems(organization, required):
    """Messages for every requirement in ``required`` that ``organization`` cannot have."""
    locks.lock_writes()
    problems = []
    for other in required:
        if organization.pk is not None and other.pk == organization.pk:
            problems.append(f"{organization.acronym} cannot require membership of itself.")
            continue
        if organization.pk is None:
            continue
        gaps = selectors.requirement_gaps(organization, other)
        if gaps:
            m, gap = gaps[0]
            problems.append(
                f"{len(gaps)} member period(s) of {organization.acronym} break the requirement of {other.acronym}, "
                f"e.g. {m.country.name} is not a member of {other.acronym} on {gap.isoformat()}."
            )
    return problems


@transaction.atomic
def set_requirements(organization, required):
    problems = requirement_problems(organization, required)
    if problems:
        raise ValidationError({"members_must_belong_to": problems})
    organization.members_must_belong_to.set(required)
