"""Read queries: every question the API, the admin and the commands ask of the data."""

import datetime
import re
from collections import defaultdict

import pycountry
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from alliances import history, organization_rules
from alliances.choices import MembershipStatus, SuccessionKind
from alliances.models import (
    Citation,
    Country,
    CountryAlias,
    Membership,
    Organization,
    OrganizationAlias,
    OrganizationMembership,
    OrganizationMembershipCitation,
    OrganizationSuccession,
    Succession,
)
from alliances.names import MAX_IDENTIFIER_LENGTH, NotFound, country_resolve, organization_resolve, snapshot
from alliances.rules import citations as citation_rules
from alliances.rules import memberships as rules
from alliances.rules import records
from alliances.rules import successions as succession_rules
from alliances.rules.periods import POSSIBLE, certainty_on, count_series, coverage_gaps, day_or_today, overlaps
from alliances.rules.problems import BadSuccessionKind, Overlap
from alliances.text import normalize_name

_WORD_BREAKS = re.compile(r"[\W_]+")


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
    if country is not None or organization is not None:
        qs = qs.of(country=country, organization=organization)
    if as_of is not None:
        qs = qs.on(as_of)
    if statuses is not None:
        qs = qs.filter(status__in=list(statuses))
    return qs


def seat_holders(country):
    """The pks of ``country`` and of the states it continues (``rules.successions.continued``), itself first.

    A country from the names snapshot knows them (``continued_ids``); another costs one query.
    """
    continued = getattr(country, "continued_ids", None)
    if continued is None:
        continuations = Succession.objects.filter(kind=SuccessionKind.CONTINUATION).values_list(
            "predecessor_id", "successor_id"
        )
        continued = succession_rules.continued(country.pk, list(continuations))
    return [country.pk, *continued]


def country_memberships(country, *, as_of=None, statuses=(MembershipStatus.MEMBER,), organization=None):
    """Which groups ``country`` is in on ``as_of`` (every period when ``as_of`` is None), optionally in one.

    With the periods of the states it continues (the USSR's for Russia, each marked by its own state):
    on 1 June 1985 Russia's seats were the USSR's.
    """
    holders = seat_holders(country)
    if len(holders) == 1:
        periods = membership_list(country=country, organization=organization, as_of=as_of, statuses=statuses)
    else:
        periods = membership_list(organization=organization, as_of=as_of, statuses=statuses).filter(
            country_id__in=holders
        )
    return periods.order_by("organization__acronym", "start_date")


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
        day = day_or_today(as_of)
        periods = Membership.objects.on(day)
        if statuses is not None:
            periods = periods.filter(status__in=list(statuses))
        for organization in member_of:
            qs = qs.filter(pk__in=periods.of(organization=organization).values("country_id"))
        for organization in not_member_of:
            qs = qs.exclude(pk__in=periods.of(organization=organization).values("country_id"))
    if search:
        key = normalize_name(search)
        code = key.replace(" ", "").upper()
        qs = qs.filter(
            Q(aliases__normalized__contains=key) | Q(code=code) | Q(iso2=code) | Q(iso3=code) | Q(numeric=code)
        ).distinct()
    return qs.order_by("name")


def organization_list(as_of=None, kind=None):
    """Organizations (of ``kind``, if given) with ``member_count``: the number of members on ``as_of`` (today)."""
    members_today = (
        Membership.objects.on(day_or_today(as_of))
        .filter(organization=OuterRef("pk"), status=MembershipStatus.MEMBER)
        .values("organization")
        .annotate(n=Count("pk"))
        .values("n")
    )
    organizations = Organization.objects.filter(kind=kind) if kind else Organization.objects.all()
    return organizations.annotate(member_count=Coalesce(Subquery(members_today), 0)).order_by("acronym")


def country_membership_summary(country, today=None):
    """Every period of ``country`` in any status, split into today's, past and future ones."""
    today = day_or_today(today)
    summary = {"current": [], "past": [], "future": []}
    for m in country_memberships(country, statuses=None):
        if m.start_date > today:
            summary["future"].append(m)
        elif m.end_date is not None and m.end_date < today:
            summary["past"].append(m)
        else:
            summary["current"].append(m)
    summary["past"].sort(key=lambda m: (m.end_date, m.organization.acronym), reverse=True)
    summary["today"] = today
    return summary


def country_timeline(country):
    """Every period of ``country`` in every organization and status, with its citations and sources.

    Two queries (the periods with their organizations, then the citations), ordered
    by organization and start: the rows of the country page's timeline and its table.
    """
    return list(country_memberships(country, statuses=None))


def country_successions(country):
    """``{"predecessors": [...], "successors": [...]}``: the ``Succession`` rows naming ``country``, one query."""
    result = {"predecessors": [], "successors": []}
    for s in Succession.objects.filter(Q(predecessor=country) | Q(successor=country)).select_related(
        "predecessor", "successor"
    ):
        if s.successor_id == country.pk:
            result["predecessors"].append(s)
        if s.predecessor_id == country.pk:
            result["successors"].append(s)
    return result


def member_count_series(organization):
    """How many states held each status in ``organization`` from each day the numbers changed.

    ``[(day, {status: count}), ...]`` (see ``periods.count_series``), computed from
    the organization's periods read in one query, not one query per day.
    """
    rows = Membership.objects.filter(organization=organization).values_list("start_date", "end_date", "status")
    return count_series(rows)


def _dates(membership):
    return membership.start_date, membership.end_date


def requirement_gaps(organization, required):
    """Member periods of ``organization`` not covered by membership of ``required``, as (membership, gap day).

    ``services.requirement_problems`` asks it to validate a write, under the lock its caller took.
    """
    gaps = []
    for m in Membership.objects.filter(organization=organization, status=MembershipStatus.MEMBER).select_related(
        "country"
    ):
        gaps.extend(coverage_gaps(Membership.objects.member_periods(m.country_id, required.pk), [m], dates=_dates))
    return gaps


# Codes ISO does not assign, for states that need one here: the user-assigned XK that the EU and
# others use for Kosovo, and former states ISO 3166-3 does not list (named old code + successor).
USER_ASSIGNED_CODES = {
    "XK": "Kosovo: user-assigned alpha-2 code, as the European Union uses it",
    "UASS": "Ukrainian SSR (a UN member from 1945): ISO kept UA for Ukraine and lists no former code",
    "ZBTZ": "Zanzibar (1963-64, merged into Tanzania): before ISO 3166, so no former code",
}


def iso_code_problems(country, code, known, register, unknown):
    """What is wrong with ``country``'s codes against ``known``, its entry in an ISO ``register`` (None: absent).

    ``code`` names the country in the messages; ``unknown`` says why an absent entry is a problem.
    """
    if known is None:
        return [] if code in USER_ASSIGNED_CODES else [f"Country {code} ({country.name}): {unknown}."]
    if (known.alpha_3, known.numeric) != (country.iso3, country.numeric):
        return [
            f"Country {code}: codes {country.iso3}/{country.numeric} differ from "
            f"{register}'s {known.alpha_3}/{known.numeric}."
        ]
    return []


def find_problems():
    """Every rule broken by the stored data, as readable sentences."""
    problems = []
    memberships = list(Membership.objects.select_related("country", "organization").order_by("start_date"))

    by_pair = defaultdict(list)
    for m in memberships:
        by_pair[(m.country_id, m.organization_id)].append(m)
        for problem in rules.dates(m.start_date, m.end_date) + rules.within_organization(
            m.organization, m.start_date, m.end_date
        ):
            problems.append(f"{m}: {problem}")

    for periods in by_pair.values():
        for a, b in rules.overlapping(periods, dates=_dates):
            overlap = Overlap(a.country.name, a.organization.acronym, a.status, a.start_date, a.end_date)
            problems.append(f"{b}: {overlap}")

    member_periods = defaultdict(list)
    for m in memberships:
        if m.status == MembershipStatus.MEMBER:
            member_periods[(m.country_id, m.organization_id)].append((m.start_date, m.end_date))
    for organization in Organization.objects.prefetch_related("members_must_belong_to"):
        for required in organization.members_must_belong_to.all():
            for m in memberships:
                if m.organization_id != organization.pk or m.status != MembershipStatus.MEMBER:
                    continue
                for problem in rules.required_membership(
                    organization.acronym,
                    required.acronym,
                    m.country.name,
                    m.start_date,
                    m.end_date,
                    member_periods[(m.country_id, required.pk)],
                ):
                    problems.append(f"{m}: {problem}")

    cited = set(Citation.objects.filter(membership__isnull=False).values_list("membership_id", flat=True))
    for m in memberships:
        if m.pk not in cited:
            problems.append(f"{m}: no citation.")
    for citation in Citation.objects.filter(membership__isnull=False).select_related(
        "source", "organization", "membership__organization"
    ):
        for problem in citation_rules.same_organization(citation.organization_id, citation.membership.organization_id):
            problems.append(
                f"Citation {citation.pk} of {citation.source} (about {citation.organization.acronym}, its period "
                f"about {citation.membership.organization.acronym}): {problem}"
            )
    for citation in Citation.objects.select_related("source", "organization"):
        for problem in citation_rules.quoted(citation.quote):
            problems.append(f"Citation {citation.pk} of {citation.source}: {problem}")

    for country in Country.objects.filter(iso2__isnull=False):
        known = pycountry.countries.get(alpha_2=country.iso2)
        problems += iso_code_problems(country, country.iso2, known, "pycountry", "pycountry does not know this code")

    for alias_model in (CountryAlias, OrganizationAlias):
        for alias in alias_model.objects.all():
            for problem in records.alias(alias.name, alias.normalized):
                problems.append(f"Alias “{alias.name}”: {problem}")
    problems += history_problems(memberships)
    problems += organization_life_problems()
    return problems


def organization_life_problems():
    """The rules of organizations' periods in other organizations (alliances/organization_rules.py), stored."""
    problems = []
    found = list(
        OrganizationMembership.objects.select_related("member", "organization")
        .annotate(citation_count=Count("citations"))
        .order_by("start_date", "pk")
    )
    by_pair = defaultdict(list)
    for period in found:
        if message := organization_rules.dates_out_of_order(period.start_date, period.end_date):
            problems.append(f"{period}: {message}")
        outside = organization_rules.outside_organization(period.organization, period.start_date, period.end_date)
        outside += organization_rules.outside_member_life(period.member, period.start_date, period.end_date)
        problems += [f"{period}: {message}" for _, message in outside]
        if not period.citation_count:
            problems.append(f"{period}: no citation.")
        for other in by_pair[(period.member_id, period.organization_id)]:
            if overlaps(period.start_date, period.end_date, other.start_date, other.end_date):
                problems.append(f"Overlapping periods: {other} / {period}.")
        by_pair[(period.member_id, period.organization_id)].append(period)
    return problems


def unsupported_citations():
    """Membership citations whose quote names neither the country nor the start (or end) year, unexplained."""
    aliases = defaultdict(set)
    for country_id, normalized in CountryAlias.objects.values_list("country_id", "normalized"):
        aliases[country_id].add(normalized)
    # Each state's and period's fields are read once, not once per citation; only the citations that
    # fail are read as rows (with what their sentence names).
    countries = {c.pk: c for c in Country.objects.only("code", "iso2", "iso3", "name", "official_name")}
    dates = {
        pk: (country_id, start, end, note)
        for pk, country_id, start, end, note in Membership.objects.values_list(
            "pk", "country_id", "start_date", "end_date", "note"
        )
    }
    failing = []
    for pk, membership_id, quote in Citation.objects.filter(membership__isnull=False).values_list(
        "pk", "membership_id", "quote"
    ):
        country_id, start, end, note = dates[membership_id]
        if history.explains_its_date(note):
            continue
        if not history.quote_supports(quote, countries[country_id], aliases[country_id], start, end):
            failing.append(pk)
    citations = Citation.objects.filter(pk__in=failing).select_related(
        "source", "membership__country", "membership__organization"
    )
    return list(citations.order_by("membership__organization__slug", "membership__start_date", "pk"))


def history_problems(memberships):
    """Every history rule (alliances/history.py) the stored data breaks, as readable sentences."""
    problems = []
    for m in memberships:
        for problem in rules.within_existence(m.country, m.start_date, m.end_date):
            problems.append(f"{m}: {problem}")

    by_pair = defaultdict(list)
    for m in memberships:
        by_pair[(m.country_id, m.organization_id)].append(m)
    for succession in Succession.objects.select_related("predecessor", "successor"):
        found = succession_rules.not_itself(succession.predecessor_id, succession.successor_id)
        if succession.kind not in SuccessionKind.values:
            found.append(BadSuccessionKind())
        if succession.kind == SuccessionKind.CONTINUATION:
            for (country_id, organization_id), periods in by_pair.items():
                if country_id != succession.predecessor_id:
                    continue
                found += succession_rules.one_seat(
                    succession.predecessor.name,
                    succession.successor.name,
                    succession.date,
                    periods[0].organization.acronym,
                    [_dates(m) for m in periods],
                    [_dates(m) for m in by_pair.get((succession.successor_id, organization_id), [])],
                )
        problems += [f"Succession {succession}: {problem}" for problem in found]

    for citation in unsupported_citations():
        m = citation.membership
        problems.append(
            f"Citation {citation.pk} of {citation.source.slug} for {m}: the quote names neither "
            f"{m.country.name} nor the year {m.start_date.year}, and the note does not say where the date "
            f"comes from (“{history.DATE_FROM_MARKER} …”)."
        )

    for country in Country.objects.all():
        if country.iso2:
            if country.code != country.iso2:
                problems.append(f"Country {country.iso2}: its code {country.code} should be its alpha-2 code.")
            continue
        known = pycountry.historic_countries.get(alpha_4=country.code)
        problems += iso_code_problems(country, country.code, known, "ISO 3166-3", "not a former state in ISO 3166-3")
        if country.exists_to is None:
            problems.append(f"Country {country.code} ({country.name}): a former state needs its last day.")
    return problems


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
    "country_membership_summary",
    "country_timeline",
    "country_successions",
    "member_count_series",
    "requirement_gaps",
    "find_problems",
]


WEAK_SOURCE_KINDS = ("news_article", "secondary")


def sources_report():
    """Per organization: its periods by status and by the precision of their start, its citations by
    the kind of their source, and the periods that rest only on news or secondary sources (weakest first).

    What ``validate_data --sources`` prints, so curators see where better sources are wanted.
    """
    by_org = {}
    organizations = Organization.objects.order_by("acronym")
    for organization in organizations:
        by_org[organization.pk] = {
            "organization": organization,
            "statuses": defaultdict(int),
            "precision": defaultdict(int),
            "kinds": defaultdict(int),
            "weak": [],
        }
    kinds_of = defaultdict(set)
    for membership_id, organization_id, kind in Citation.objects.filter(membership__isnull=False).values_list(
        "membership_id", "organization_id", "source__kind"
    ):
        kinds_of[membership_id].add(kind)
        by_org[organization_id]["kinds"][kind] += 1
    for m in Membership.objects.select_related("country").order_by("organization__acronym", "start_date"):
        row = by_org[m.organization_id]
        row["statuses"][m.status] += 1
        row["precision"][m.start_precision] += 1
        if kinds_of[m.pk] and kinds_of[m.pk] <= set(WEAK_SOURCE_KINDS):
            row["weak"].append(m)
    return [by_org[o.pk] for o in organizations]


def _name_words(name):
    """A name as space-separated lookup words: "Guinea-Bissau" -> "guinea bissau" (normalize_name joins them)."""
    return normalize_name(_WORD_BREAKS.sub(" ", name or ""))


def countries_sharing_name(query, *, version=None):
    """The states of today whose short name holds ``query`` as whole words, when there are two or more.

    "Congo" names two states, "Korea" two, "Guinea" four: a search for such a name
    should ask which one rather than jump to the one whose name it happens to equal.
    Only states that exist today and are in the Correlates of War state system count
    ("Germany" is not ambiguous because of East Germany, nor "Georgia" because of South
    Georgia, a territory); a query of fewer than three letters (a code) never is.
    An empty list otherwise.
    """
    key = _name_words(query)
    if len(key.replace(" ", "")) < 3 or len(query) > MAX_IDENTIFIER_LENGTH:
        return []
    needle = f" {key} "
    countries = snapshot(version).countries.values()
    found = [
        c for c in countries if c.exists_to is None and c.cow_code is not None and needle in f" {_name_words(c.name)} "
    ]
    return sorted(found, key=lambda c: c.name) if len(found) > 1 else []


# --- an organization's own life: its memberships in other organizations, its names, its successions ---


def organization_periods(*, member=None, organization=None, as_of=None, statuses=(MembershipStatus.MEMBER,)):
    """Periods in which an organization is itself a member of another (the EU in the G20), with their sources.

    ``member``: what it belongs to; ``organization``: who belongs to it. ``as_of=None``: every period.
    """
    qs = OrganizationMembership.objects.select_related("member", "organization").prefetch_related(
        Prefetch(
            "citations",
            queryset=OrganizationMembershipCitation.objects.select_related("source").order_by("source__title", "pk"),
            to_attr="cited",
        )
    )
    if member is not None:
        qs = qs.filter(member=member)
    if organization is not None:
        qs = qs.filter(organization=organization)
    if as_of is not None:
        qs = qs.on(as_of)
    if statuses is not None:
        qs = qs.filter(status__in=list(statuses))
    return qs.order_by("organization__acronym", "member__acronym", "start_date")


def possibly_on(queryset, day):
    """The periods of ``queryset`` that only possibly cover ``day`` (periods.certainty_on).

    A start or end known to the year leaves at most a year of doubt each side of the stored dates,
    so only periods within that reach of ``day`` are read.
    """
    reach = datetime.timedelta(days=366)
    near = queryset.filter(Q(end_date__isnull=True) | Q(end_date__gte=day - reach), start_date__lte=day + reach)
    near = near.exclude(start_precision="day", end_precision="day")
    return [
        p for p in near if certainty_on(day, p.start_date, p.start_precision, p.end_date, p.end_precision) == POSSIBLE
    ]


def possible_members(organization, day):
    """The states' periods in ``organization`` that only possibly cover ``day``, every status (no citations)."""
    return possibly_on(Membership.objects.of(organization=organization).select_related("country"), day)


def organization_lineage(organization):
    """``(names, predecessors, successors)``: its dated names and the successions that link it to others."""
    names = list(organization.names.select_related("source").order_by("valid_from", "name"))
    links = list(
        OrganizationSuccession.objects.select_related("predecessor", "successor", "source")
        .filter(Q(successor=organization) | Q(predecessor=organization))
        .order_by("date", "pk")
    )
    return (
        names,
        [link for link in links if link.successor_id == organization.pk],
        [link for link in links if link.predecessor_id == organization.pk],
    )
