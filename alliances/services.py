"""Writes: every change to the data goes through a function here.

Each takes the write lock (``alliances.store.locks``) first, so the rules that read
other rows see every earlier commit and no concurrent write slips in before
the save; then validates with ``full_clean()`` (so the rulebook applies through
``alliances.validation``) inside a transaction, and turns a database constraint
violation that slipped past validation into a ValidationError with a plain
message (``alliances.store.constraints``).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from alliances import organization_rules, selectors, validation
from alliances.choices import MembershipStatus
from alliances.models import Citation, Membership, OrganizationMembership, OrganizationMembershipCitation
from alliances.rules import problems, records
from alliances.store import constraints, locks
from alliances.text import normalize_name


def _save(instance, **fields):
    locks.lock_writes()  # before full_clean() reads other rows
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise constraints.refusal(exc) from exc  # a plain message on its field, never the database's text
    return instance


@transaction.atomic
def record_save(instance, **fields):
    """Validate and save any model instance with ``fields`` applied."""
    return _save(instance, **fields)


@transaction.atomic
def membership_create(
    *,
    country,
    organization,
    start_date,
    end_date=None,
    status=MembershipStatus.MEMBER,
    founding=False,
    note="",
    citations=(),
    **precision_and_own_status,
):
    """Create a membership period and its citations (``(source, quote)`` pairs); at least one is needed.

    ``precision_and_own_status``: ``start_precision``, ``end_precision`` (day by default) and ``own_status``.
    """
    membership = _save(
        Membership(
            country=country,
            organization=organization,
            start_date=start_date,
            end_date=end_date,
            status=status,
            founding=founding,
            note=note,
            **precision_and_own_status,
        )
    )
    if not citations:  # after the rules, so a period that breaks one says which
        validation.refuse([problems.NeedsCitation()])
    for source, quote in citations:
        _save(Citation(source=source, organization=organization, membership=membership, quote=quote))
    return membership


@transaction.atomic
def membership_update(*, membership, **fields):
    """Change fields of a membership, re-checking every rule."""
    return _save(membership, **fields)


@transaction.atomic
def membership_delete(*, membership):
    """Delete a membership period unless a dependent membership (a B9 seat, say) needs it."""
    locks.lock_writes()
    validation.check_membership_removal(membership)
    membership.delete()


@transaction.atomic
def named_record_save(instance, **fields):
    """Save a Country or Organization and give it an alias for its name, so lookups by name find it."""
    _save(instance, **fields)
    if not instance.aliases.filter(normalized=normalize_name(instance.name)).exists():
        alias_model = instance.aliases.model
        _save(alias_model(**{alias_model.owner_field: instance}, name=instance.name))
    return instance


@transaction.atomic
def membership_end(*, membership, end_date):
    """Record a departure: the period's last day is ``end_date``."""
    return _save(membership, end_date=end_date)


@transaction.atomic
def membership_change_status(*, membership, new_status, on, note="", citations=()):
    """End ``membership`` the day before ``on`` and open a new period with ``new_status`` from ``on``.

    Used for a candidate becoming a member: two periods, one status at a time.
    """
    if on <= membership.start_date:
        raise ValidationError({"start_date": "The new status must start after the current period starts."})
    if membership.end_date is not None and on - datetime.timedelta(days=1) > membership.end_date:
        raise ValidationError({"start_date": "The current period has already ended before that date."})
    next_end = membership.end_date
    _save(membership, end_date=on - datetime.timedelta(days=1))
    return membership_create(
        country=membership.country,
        organization=membership.organization,
        start_date=on,
        end_date=next_end,
        status=new_status,
        note=note,
        citations=citations,
    )


class _Refused(Exception):
    """Raised inside a transaction to roll it back when any membership of a batch was refused."""


def memberships_end_all(*, memberships, end_date):
    """End every period on ``end_date``, all or none; return ``(membership, messages)`` for each refusal.

    Ending one period can depend on ending another first (a B9 seat before
    the NATO membership it requires), so refused ones are retried while
    others succeed. If any is still refused, everything is rolled back.
    """
    problems = [
        (m, [f"It already ended on {m.end_date.isoformat()}; edit the period to correct its end date."])
        for m in memberships
        if m.end_date is not None
    ]
    errors = {}
    try:
        with transaction.atomic():
            pending = [m for m in memberships if m.end_date is None]
            while pending:
                errors = {}
                for m in pending:
                    try:
                        with transaction.atomic():  # a refused one leaves nothing behind
                            membership_end(membership=m, end_date=end_date)
                    except ValidationError as exc:
                        errors[m.pk] = (m, exc.messages)
                if len(errors) == len(pending):
                    break  # no progress: these are refused for good
                pending = [m for m in pending if m.pk in errors]
            problems += list(errors.values())
            if problems:
                raise _Refused
    except _Refused:
        pass
    return problems


@transaction.atomic
def memberships_delete(*, memberships):
    """Delete a queryset of periods, all or none: refused if any is needed by a dependent membership.

    Each is checked against the stored data before any is deleted, as the
    admin's bulk delete always did.
    """
    locks.lock_writes()
    for membership in memberships:
        validation.check_membership_removal(membership)
    memberships.delete()


@transaction.atomic
def organization_membership_create(*, member, organization, start_date, citations=(), **fields):
    """Record an organization as a member of another, with its citations (``(source, quote)`` pairs; one at least).

    ``fields``: ``status``, ``own_status``, ``founding``, ``start_precision``, ``end_date``, ``end_precision``,
    ``note``.
    """
    period = _save(OrganizationMembership(member=member, organization=organization, start_date=start_date, **fields))
    if not citations:  # after the rules, so a period that breaks one says which
        raise ValidationError({"citations": organization_rules.NEEDS_CITATION})
    for source, quote in citations:
        _save(OrganizationMembershipCitation(period=period, source=source, quote=quote))
    return period


def requirement_problems(organization, required):
    """The problems of making ``organization``'s members belong to each of ``required``, against the stored data.

    The caller holds the write lock (``set_requirements``; the admin's organization form runs
    inside ``audit.acting_as``), so no membership written meanwhile can break a requirement.
    """
    found = []
    for other in required:
        is_itself = organization.pk is not None and other.pk == organization.pk
        if organization.pk is None and not is_itself:
            continue
        gaps = [] if is_itself else selectors.requirement_gaps(organization, other)
        found += records.requirement(
            organization.acronym, other.acronym, is_itself, [(m.country.name, day) for m, day in gaps]
        )
    return found


@transaction.atomic
def set_requirements(organization, required):
    """Set which organizations ``organization``'s members must belong to, on every write path (API, admin)."""
    locks.lock_writes()
    found = requirement_problems(organization, required)
    if found:
        raise ValidationError({"members_must_belong_to": [p.sentence for p in found]})
    organization.members_must_belong_to.set(required)
