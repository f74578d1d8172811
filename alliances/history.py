"""Rules about history: states that began or ended, successions, and quotes that prove a date.

- **Existence**: no membership on a day its country did not exist
  (``Country.exists_from`` / ``exists_to``, both inclusive, empty = open).
- **Continuation**: a continuation succession (the USSR → Russia) is one seat:
  the predecessor's and the successor's periods in the same organization never
  share a day.
- **Organization lifetime**: no period outside the organization's founded..dissolved
  (``rules.check_membership`` refuses it on writes; ``find_problems`` re-checks it).
- **Quote supports fact** (``validate_data`` only): a membership's citation quotes a
  sentence that names the country (name, official name, alias or code) or the
  period's start or end year; where no stored sentence does, the membership's note
  says where the date comes from, starting with the marker ``Date from:``.

``check_membership`` is called from ``rules.check_membership`` (so from
``Membership.clean()`` on every write path); ``find_problems`` from
``rules.find_problems`` (``manage.py validate_data``).
"""

import re
from collections import defaultdict

import pycountry
from django.core.exceptions import ValidationError

from alliances.choices import SuccessionKind
from alliances.text import normalize_name

DATE_FROM_MARKER = "Date from:"


def _overlaps(a_start, a_end, b_start, b_end):
    return (b_end is None or a_start <= b_end) and (a_end is None or b_start <= a_end)


def _period(start, end):
    return f"{start.isoformat()} to {end.isoformat() if end else 'ongoing'}"


def existence_problem(country, start, end):
    """A sentence if the period [start, end] has a day ``country`` did not exist on, else None."""
    if country.exists_from is not None and start < country.exists_from:
        return (
            f"{country.name} existed as a state from {country.exists_from.isoformat()}; "
            f"a period cannot start before that (got {start.isoformat()})."
        )
    if country.exists_to is not None and (end is None or end > country.exists_to):
        return (
            f"{country.name} existed as a state until {country.exists_to.isoformat()}; "
            f"a period must end by then (got {end.isoformat() if end else 'ongoing'})."
        )
    return None


def continuations_of(country_id):
    """Continuation successions in which ``country_id`` is the predecessor or the successor."""
    from django.db.models import Q

    from alliances.models import Succession

    return Succession.objects.filter(
        Q(predecessor_id=country_id) | Q(successor_id=country_id), kind=SuccessionKind.CONTINUATION
    ).select_related("predecessor", "successor")


def check_membership(membership, errors):
    """Add to ``errors`` (field -> list of messages) what ``membership`` breaks of the history rules."""
    from alliances.models import Membership

    country, start, end = membership.country, membership.start_date, membership.end_date
    problem = existence_problem(country, start, end)
    if problem:
        field = "start_date" if country.exists_from is not None and start < country.exists_from else "end_date"
        errors[field].append(problem)
    for succession in continuations_of(country.pk):
        other = succession.successor if succession.predecessor_id == country.pk else succession.predecessor
        clash = (
            Membership.objects.filter(country=other, organization_id=membership.organization_id)
            .order_by("start_date")
            .values_list("start_date", "end_date")
        )
        for o_start, o_end in clash:
            if _overlaps(start, end, o_start, o_end):
                errors["start_date"].append(
                    f"{succession.successor.name} continues {succession.predecessor.name} from "
                    f"{succession.date.isoformat()}: one seat, so this period cannot share a day with "
                    f"{other.name}'s period in {membership.organization.acronym} ({_period(o_start, o_end)})."
                )
                break


def check_country(country):
    """Raise ValidationError if ``country``'s existence span is reversed or leaves a stored period outside it."""
    from alliances.models import Membership

    if country.exists_from and country.exists_to and country.exists_to < country.exists_from:
        raise ValidationError({"exists_to": "The last day of existence is before the first."})
    if country.pk is None:
        return
    for m in Membership.objects.filter(country_id=country.pk).select_related("organization").order_by("start_date"):
        problem = existence_problem(country, m.start_date, m.end_date)
        if problem:
            raise ValidationError(
                {
                    "exists_from" if "start" in problem else "exists_to": f"{m.organization.acronym} period "
                    f"{_period(m.start_date, m.end_date)}: {problem}"
                }
            )


def check_succession(succession):
    """Raise ValidationError if ``succession`` names one state twice or a continuation would be two seats."""
    from alliances.models import Membership

    if succession.predecessor_id is None or succession.successor_id is None:
        return
    if succession.predecessor_id == succession.successor_id:
        raise ValidationError({"successor": "A state cannot succeed itself."})
    if succession.kind != SuccessionKind.CONTINUATION:
        return
    mine = list(Membership.objects.filter(country_id=succession.predecessor_id).select_related("organization"))
    theirs = defaultdict(list)
    for m in Membership.objects.filter(country_id=succession.successor_id):
        theirs[m.organization_id].append(m)
    for a in mine:
        for b in theirs[a.organization_id]:
            if _overlaps(a.start_date, a.end_date, b.start_date, b.end_date):
                raise ValidationError(
                    {
                        "kind": f"A continuation is one seat, but {succession.predecessor.name} "
                        f"({_period(a.start_date, a.end_date)}) and {succession.successor.name} "
                        f"({_period(b.start_date, b.end_date)}) share days in {a.organization.acronym}."
                    }
                )


# Quote supports fact -------------------------------------------------------------------------------------------


def country_keys(country, alias_keys=()):
    """Normalized names a quote may use for ``country``: name, official name, aliases."""
    keys = {normalize_name(country.name), normalize_name(country.official_name or "")}
    keys.update(alias_keys)
    return {k for k in keys if k}


def quote_names_country(quote, country, alias_keys=()):
    text = normalize_name(quote)
    for key in country_keys(country, alias_keys):
        # At the start of a word; a suffix is allowed ("Sweden’s" normalizes to "swedens").
        if re.search(r"(?<!\w)" + re.escape(key), text):
            return True
    codes = {c for c in (country.code, country.iso2, country.iso3) if c}
    return any(re.search(r"(?<![A-Za-z])" + code + r"(?![A-Za-z])", quote) for code in codes)


def quote_names_year(quote, *days):
    return any(day is not None and re.search(rf"(?<!\d){day.year}(?!\d)", quote) for day in days)


def unsupported_citations():
    """Membership citations whose quote names neither the country nor the start (or end) year, unexplained."""
    from alliances.models import Citation, CountryAlias

    aliases = defaultdict(set)
    for country_id, normalized in CountryAlias.objects.values_list("country_id", "normalized"):
        aliases[country_id].add(normalized)
    found = []
    citations = Citation.objects.filter(membership__isnull=False).select_related(
        "source", "membership__country", "membership__organization"
    )
    for citation in citations.order_by("membership__organization__slug", "membership__start_date", "pk"):
        m = citation.membership
        if DATE_FROM_MARKER.lower() in (m.note or "").lower():
            continue
        if quote_names_country(citation.quote, m.country, aliases[m.country_id]):
            continue
        if quote_names_year(citation.quote, m.start_date, m.end_date):
            continue
        found.append(citation)
    return found


def find_problems():
    """Every history rule broken by the stored data, as readable sentences."""
    from alliances.models import Country, Membership, Succession

    problems = []
    memberships = list(Membership.objects.select_related("country", "organization").order_by("start_date"))
    for m in memberships:
        problem = existence_problem(m.country, m.start_date, m.end_date)
        if problem:
            problems.append(f"{m}: {problem}")
        dissolved = m.organization.dissolved
        if dissolved is not None and (m.end_date is None or m.end_date > dissolved):
            problems.append(f"{m}: ends after {m.organization.acronym} was dissolved ({dissolved}).")

    by_pair = defaultdict(list)
    for m in memberships:
        by_pair[(m.country_id, m.organization_id)].append(m)
    for succession in Succession.objects.select_related("predecessor", "successor"):
        if succession.predecessor_id == succession.successor_id:
            problems.append(f"Succession {succession}: a state cannot succeed itself.")
        if succession.kind not in SuccessionKind.values:
            problems.append(f"Succession {succession}: unknown kind “{succession.kind}”.")
        if succession.kind != SuccessionKind.CONTINUATION:
            continue
        for (country_id, organization_id), periods in by_pair.items():
            if country_id != succession.predecessor_id:
                continue
            for a in periods:
                for b in by_pair.get((succession.successor_id, organization_id), []):
                    if _overlaps(a.start_date, a.end_date, b.start_date, b.end_date):
                        problems.append(f"Continuation {succession}: two seats at once: {a} / {b}.")

    for citation in unsupported_citations():
        m = citation.membership
        problems.append(
            f"Citation {citation.pk} of {citation.source.slug} for {m}: the quote names neither "
            f"{m.country.name} nor the year {m.start_date.year}, and the note does not say where the date "
            f"comes from (“{DATE_FROM_MARKER} …”)."
        )

    for country in Country.objects.all():
        if country.iso2:
            if country.code != country.iso2:
                problems.append(f"Country {country.iso2}: its code {country.code} should be its alpha-2 code.")
            continue
        known = pycountry.historic_countries.get(alpha_4=country.code)
        if known is None:
            problems.append(f"Country {country.code} ({country.name}): not a former state in ISO 3166-3.")
        elif (known.alpha_3, known.numeric) != (country.iso3, country.numeric):
            problems.append(
                f"Country {country.code}: codes {country.iso3}/{country.numeric} differ from "
                f"ISO 3166-3's {known.alpha_3}/{known.numeric}."
            )
        if country.exists_to is None:
            problems.append(f"Country {country.code} ({country.name}): a former state needs its last day.")
    return problems
