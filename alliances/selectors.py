"""Read queries: every question the API, the admin and the commands ask of the data."""

import datetime
import difflib

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from alliances.choices import MembershipStatus
from alliances.models import Citation, Country, CountryAlias, Membership, Organization, OrganizationAlias
from alliances.text import normalize_name

MAX_IDENTIFIER_LENGTH = 200


class NotFound(LookupError):
    """No record answers to an identifier; ``suggestions`` lists close names."""

    def __init__(self, kind, identifier, suggestions=()):
        self.kind = kind
        self.identifier = identifier
        self.suggestions = list(suggestions)
        super().__init__(f"No {kind} matches “{identifier}”.")


def _suggest(identifier, alias_model, label):
    key = normalize_name(identifier)
    names = {}
    for alias in alias_model.objects.select_related(alias_model.owner_field):
        names.setdefault(alias.normalized, label(getattr(alias, alias_model.owner_field)))
    close = difflib.get_close_matches(key, list(names), n=5, cutoff=0.75)
    # Substring matches catch "romani" or "bucharest" that difflib scores low.
    if len(key) >= 3:
        close += [n for n in names if key in n and n not in close]
    seen, suggestions = set(), []
    for n in close:
        if names[n] not in seen:
            seen.add(names[n])
            suggestions.append(names[n])
    return suggestions[:5]


def country_resolve(identifier: str, *, queryset=None) -> Country:
    """The country a code, name or alias names: RO, rou, 642, Romania, “u.s.”.

    Case, accents and punctuation are ignored. Raises NotFound with suggestions.
    """
    # PostgreSQL refuses NUL in text parameters; no name contains one.
    text = (identifier or "").replace("\x00", "").strip()
    key = normalize_name(text)
    if not key or len(text) > MAX_IDENTIFIER_LENGTH:
        raise NotFound("country", identifier)
    code = key.replace(" ", "").upper()
    condition = Q(aliases__normalized=key)
    if len(code) == 2 and code.isalpha():
        condition |= Q(iso2=code)
    elif len(code) == 3 and code.isalpha():
        condition |= Q(iso3=code)
    elif code.isdigit() and len(code) <= 3:
        condition |= Q(numeric=code.zfill(3))
    # Codes win over names: "US" is the United States even if an alias says otherwise.
    base = Country.objects.all() if queryset is None else queryset
    matches = list(base.filter(condition).distinct()[:2])
    if len(matches) == 2:
        matches.sort(key=lambda c: code not in (c.iso2, c.iso3, c.numeric))
    if matches:
        return matches[0]
    raise NotFound("country", identifier, _suggest(text, CountryAlias, lambda c: f"{c.name} ({c.iso2})"))


def organization_resolve(identifier: str, *, queryset=None) -> Organization:
    """The organization a slug, acronym, name or alias names: nato, EU, “Bucharest Nine”."""
    # PostgreSQL refuses NUL in text parameters; no name contains one.
    text = (identifier or "").replace("\x00", "").strip()
    key = normalize_name(text)
    if not key or len(text) > MAX_IDENTIFIER_LENGTH:
        raise NotFound("organization", identifier)
    base = Organization.objects.all() if queryset is None else queryset
    matches = list(
        base.filter(
            Q(slug__iexact=text) | Q(acronym__iexact=key.replace(" ", "")) | Q(aliases__normalized=key)
        ).distinct()[:2]
    )
    if matches:
        matches.sort(key=lambda o: o.slug.lower() != text.lower())
        return matches[0]
    raise NotFound("organization", identifier, _suggest(text, OrganizationAlias, lambda o: f"{o.name} ({o.slug})"))


def citations_prefetch(prefix=""):
    return Prefetch(
        f"{prefix}citations", queryset=Citation.objects.select_related("source").order_by("source__title", "pk")
    )


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
    qs = Country.objects.prefetch_related("aliases")
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
        qs = qs.filter(Q(aliases__normalized__contains=key) | Q(iso2=code) | Q(iso3=code) | Q(numeric=code)).distinct()
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
    return (
        Organization.objects.prefetch_related("aliases", "members_must_belong_to")
        .annotate(member_count=Coalesce(Subquery(members_today), 0))
        .order_by("acronym")
    )
