"""Read queries: every question the API, the admin and the commands ask of the data."""

import datetime

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from alliances.choices import MembershipStatus
from alliances.models import Citation, Country, Membership, Organization
from alliances.reference import MAX_IDENTIFIER_LENGTH, NotFound, country_resolve, organization_resolve
from alliances.text import normalize_name


def citations_prefetch(prefix=""):
    """A membership's citations with their sources, as the list ``cited``.

    ``to_attr`` because Django otherwise builds a filtered queryset per row to hold
    the prefetched objects, which cost more than the query itself.
    """
    return Prefetch(
        f"{prefix}citations",
        queryset=Citation.objects.select_related("source").order_by("source__title", "pk"),
        to_attr="cited",
    )


def cited(membership):
    """The membership's citations: prefetched by ``membership_list``, else queried."""
    cached = getattr(membership, "cited", None)
    return cached if cached is not None else list(citations_prefetch().queryset.filter(membership=membership))


def membership_list(
    *,
    country=None,
    organization=None,
    as_of: datetime.date | None = None,
    statuses=(MembershipStatus.MEMBER,),
):
    """Membership periods with their country, organization and sources.

    ``as_of=None`` returns every period whatever its dates; ``statuses=None`` every status.
    """
    qs = Membership.objects.select_related("country", "organization").prefetch_related(citations_prefetch())
    if country is not None:
        qs = qs.filter(country=country)
    if organization is not None:
        qs = qs.filter(organization=organization)
    if as_of is not None:
        qs = qs.on(as_of)
    if statuses is not None:
        qs = qs.filter(status__in=list(statuses))
    return qs


def country_memberships(country, *, as_of=None, statuses=(MembershipStatus.MEMBER,)):
    """Which groups ``country`` is in on ``as_of`` (every period when ``as_of`` is None)."""
    return membership_list(country=country, as_of=as_of, statuses=statuses).order_by(
        "organization__acronym", "start_date"
    )


def organization_members(organization, *, as_of=None, statuses=(MembershipStatus.MEMBER,)):
    """Who is in ``organization`` on ``as_of`` (every period when ``as_of`` is None)."""
    return membership_list(organization=organization, as_of=as_of, statuses=statuses).order_by(
        "country__name", "start_date"
    )


def organization_changes(organization, *, date_from, date_to):
    """Joins and departures of ``organization`` between two dates (inclusive), in date order.

    Each change is ``(date, "joined" | "left", membership)``; a departure is dated
    by the last day of the period, since end dates are inclusive.
    """
    periods = membership_list(organization=organization, statuses=None).filter(
        Q(start_date__range=(date_from, date_to)) | Q(end_date__range=(date_from, date_to))
    )
    changes = []
    for m in periods:
        if date_from <= m.start_date <= date_to:
            changes.append((m.start_date, "joined", m))
        if m.end_date is not None and date_from <= m.end_date <= date_to:
            changes.append((m.end_date, "left", m))
    changes.sort(key=lambda c: (c[0], c[1] == "joined", c[2].country.name))
    return changes


def country_list(*, member_of=(), not_member_of=(), as_of=None, statuses=(MembershipStatus.MEMBER,), search=None):
    """Countries, optionally only those in every one of ``member_of`` and none of ``not_member_of``."""
    qs = Country.objects.all()
    if member_of or not_member_of:
        day = as_of or datetime.date.today()
        periods = Membership.objects.on(day)
        if statuses is not None:
            periods = periods.filter(status__in=list(statuses))
        for organization in member_of:
            qs = qs.filter(pk__in=periods.filter(organization=organization).values("country_id"))
        for organization in not_member_of:
            qs = qs.exclude(pk__in=periods.filter(organization=organization).values("country_id"))
    if search:
        key = normalize_name(search)
        code = key.replace(" ", "").upper()
        qs = qs.filter(
            Q(aliases__normalized__contains=key) | Q(code=code) | Q(iso2=code) | Q(iso3=code) | Q(numeric=code)
        ).distinct()
    return qs.order_by("name")


def organization_list():
    """Organizations with ``member_count``, the number of members today."""
    members_today = (
        Membership.objects.on(datetime.date.today())
        .filter(organization=OuterRef("pk"), status=MembershipStatus.MEMBER)
        .values("organization")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Organization.objects.annotate(member_count=Coalesce(Subquery(members_today), 0)).order_by("acronym")


__all__ = [
    "MAX_IDENTIFIER_LENGTH",
    "NotFound",
    "country_resolve",
    "organization_resolve",
    "citations_prefetch",
    "cited",
    "membership_list",
    "country_memberships",
    "organization_members",
    "organization_changes",
    "country_list",
    "organization_list",
]
