"""What a name means: "cow:360", "u.s.", "Burma" or "Bucharest Nine" resolved to a state or an organization.

The domain decides it (the API, the pages, the admin and the commands all ask
here), from an in-process snapshot of the small reference tables keyed by the
data version.

Countries, organizations and their aliases change rarely and are needed by
almost every request (to resolve "u.s." or "Bucharest Nine", to print a
header). Each process keeps one snapshot and rebuilds it when the data version
(``audit.data_version``) moves, so a write in any process is seen by every
other on its next request, and resolving a name costs no query at all.
"""

import contextvars
import copy
import dataclasses
import difflib
import threading

from django.db.models import Prefetch

from alliances.choices import SuccessionKind
from alliances.models import Country, CountryAlias, Organization, OrganizationAlias, OrganizationMembership, Succession
from alliances.rules import successions as succession_rules
from alliances.store import audit
from alliances.text import normalize_name

MAX_IDENTIFIER_LENGTH = 200


class NotFound(LookupError):
    """No record answers to an identifier; ``suggestions`` lists close names."""

    def __init__(self, kind, identifier, suggestions=()):
        self.kind = kind
        self.identifier = identifier
        self.suggestions = list(suggestions)
        super().__init__(f"No {kind} matches “{identifier}”.")

    def with_hint(self):
        """The message, followed by the close names when there are any: the API, admin and commands all say this."""
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        return f"{self}{hint}"


@dataclasses.dataclass
class Snapshot:
    version: str
    countries: dict  # pk -> Country, with ``alias_names`` set
    country_by_iso2: dict
    country_by_code: dict
    country_by_iso3: dict
    country_by_numeric: dict
    country_by_alias: dict  # normalized name -> pk
    country_by_cow: dict  # COW state code -> pk (a state that exists today first)
    country_by_cow_abbr: dict
    organizations: dict  # pk -> Organization, with ``alias_names`` and ``required_slugs`` set
    organization_by_slug: dict
    organization_by_acronym: dict
    organization_by_alias: dict

    @classmethod
    def load(cls, version):
        countries = {
            c.pk: c
            for c in Country.objects.prefetch_related(
                Prefetch("aliases", queryset=CountryAlias.objects.order_by("name"))
            )
        }
        # Every succession in one query (not two prefetches): the other state comes from ``countries``.
        successions = list(Succession.objects.order_by("date", "pk"))
        organizations = {
            o.pk: o
            for o in Organization.objects.prefetch_related(
                Prefetch("aliases", queryset=OrganizationAlias.objects.order_by("name")), "members_must_belong_to"
            )
        }
        for record in [*countries.values(), *organizations.values()]:
            attach_names(record, successions=successions, countries=countries)
        # Which organizations have organizations among their members, and which are members of others:
        # the members list and the page of any other ask no more.
        links = list(OrganizationMembership.objects.values_list("organization_id", "member_id"))
        with_member_organizations, members_of_others = {o for o, _ in links}, {m for _, m in links}
        for organization in organizations.values():
            organization.has_member_organizations = organization.pk in with_member_organizations
            organization.is_member_of_organizations = organization.pk in members_of_others
        return cls(
            version=version,
            countries=countries,
            country_by_iso2={c.iso2: c.pk for c in countries.values() if c.iso2},
            country_by_code={c.code: c.pk for c in countries.values()},
            country_by_iso3={c.iso3: c.pk for c in countries.values()},
            # A numeric code shared by former states (YUG and SCG: 891) names today's state first.
            country_by_numeric={
                c.numeric: c.pk for c in sorted(countries.values(), key=lambda c: (c.exists_to is None, c.pk))
            },
            country_by_alias={k: c.pk for c in countries.values() for k in c.alias_keys},
            country_by_cow=_by_cow(countries, 0),
            country_by_cow_abbr=_by_cow(countries, 1),
            organizations=organizations,
            organization_by_slug={o.slug.lower(): o.pk for o in organizations.values()},
            organization_by_acronym={normalize_name(o.acronym).replace(" ", ""): o.pk for o in organizations.values()},
            organization_by_alias={k: o.pk for o in organizations.values() for k in o.alias_keys},
        )


def _by_cow(countries, index):
    """COW code (``index`` 0) or abbreviation (1) -> pk. COW gives a state and its continuation
    one code (USSR and Russia: 365), so a state that exists today wins, then the lowest code."""
    ordered = sorted(countries.values(), key=lambda c: (c.exists_to is not None, c.code))
    found = {}
    for country in ordered:
        value = country.cow_codes[index]
        if value is not None:
            found.setdefault(value, country.pk)
    return found


def history_prefetches():
    """Prefetches of a country's successions (both directions) with the other state."""

    return [
        Prefetch("predecessor_links", queryset=Succession.objects.select_related("predecessor").order_by("date", "pk")),
        Prefetch("successor_links", queryset=Succession.objects.select_related("successor").order_by("date", "pk")),
    ]


def attach_successions(country, successions=None, countries=None):
    """Set ``predecessor_items`` / ``successor_items`` (code, name, date, kind).

    From ``successions`` (every succession, in date order) and ``countries`` (pk -> Country) when
    given, as the snapshot does; else from the country's (prefetched) links.
    """

    def item(other, link):
        return {"code": other.code, "name": other.name, "date": link.date, "kind": link.kind}

    if successions is None:
        predecessors = [(link.predecessor, link) for link in country.predecessor_links.all()]
        successors = [(link.successor, link) for link in country.successor_links.all()]
    else:
        predecessors = [
            (countries[link.predecessor_id], link) for link in successions if link.successor_id == country.pk
        ]
        successors = [(countries[link.successor_id], link) for link in successions if link.predecessor_id == country.pk]
    country.predecessor_items = [item(other, link) for other, link in predecessors]
    country.successor_items = [item(other, link) for other, link in successors]
    if successions is not None:
        # Transitively (Serbia continues Serbia and Montenegro, which continues Yugoslavia): the snapshot
        # holds every succession, so a state's groups ask for its seats' earlier holders with no query.
        continuations = [
            (link.predecessor_id, link.successor_id) for link in successions if link.kind == SuccessionKind.CONTINUATION
        ]
        country.continued_ids = succession_rules.continued(country.pk, continuations)
    return country


def attach_names(record, successions=None, countries=None):
    """Set ``alias_names`` (and ``required_slugs`` on an organization) from its prefetched relations."""
    own = normalize_name(record.name)
    aliases = sorted(record.aliases.all(), key=lambda a: a.name)
    record.alias_names = [a.name for a in aliases if a.normalized != own]
    record.alias_keys = [a.normalized for a in aliases]
    if isinstance(record, Country):
        attach_successions(record, successions, countries)
    if isinstance(record, Organization):
        record.required_slugs = sorted(r.slug for r in record.members_must_belong_to.all())
    return record


_lock = threading.Lock()
_current: Snapshot | None = None

# The data version an API request read when it started; set for the length of
# the request, so resolving its identifiers costs no further query.
request_version: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_version", default=None)


def snapshot(version=None) -> Snapshot:
    """The snapshot for ``version`` (default: the request's, else the current data version)."""
    global _current
    if version is None:
        version = request_version.get() or audit.data_version()
    current = _current
    if current is None or current.version != version:
        with _lock:
            if _current is None or _current.version != version:
                _current = Snapshot.load(version)
            current = _current
    return current


def _clean(identifier, kind):
    # PostgreSQL refuses NUL in text parameters; no name contains one.
    text = (identifier or "").replace("\x00", "").strip()
    key = normalize_name(text)
    if not key or len(text) > MAX_IDENTIFIER_LENGTH:
        raise NotFound(kind, identifier)
    return text, key


def _suggest(key, names_by_key, label):
    close = difflib.get_close_matches(key, list(names_by_key), n=5, cutoff=0.75)
    # Substring matches catch "romani" or "bucharest" that difflib scores low.
    if len(key) >= 3:
        close += [n for n in names_by_key if key in n and n not in close]
    suggestions = []
    for n in close:
        if label(names_by_key[n]) not in suggestions:
            suggestions.append(label(names_by_key[n]))
    return suggestions[:5]


def country_resolve(identifier: str, *, version=None) -> Country:
    """The country a code, name or alias names: RO, rou, 642, Romania, “u.s.”, cow:360, cow:ROM.

    Case, accents and punctuation are ignored; codes win over names. Returns a
    copy the caller may change. Raises NotFound with suggestions.
    """
    text, key = _clean(identifier, "country")
    snap = snapshot(version)
    code = key.replace(" ", "").upper()
    pk = None
    if text[:4].lower() == "cow:":
        # Correlates of War code or abbreviation, prefixed so a bare number keeps meaning ISO numeric.
        cow = text[4:].strip().upper()
        pk = (
            snap.country_by_cow.get(int(cow))
            if cow.isascii() and cow.isdigit() and len(cow) <= 4
            else snap.country_by_cow_abbr.get(cow)
        )
        if pk is None:
            raise NotFound("country", identifier)
        return copy.copy(snap.countries[pk])
    if len(code) == 2 and code.isalpha():
        pk = snap.country_by_iso2.get(code)
    elif len(code) == 4 and code.isalpha():
        pk = snap.country_by_code.get(code)
    elif len(code) == 3 and code.isalpha():
        pk = snap.country_by_iso3.get(code)
    elif code.isdigit() and len(code) <= 3:
        pk = snap.country_by_numeric.get(code.zfill(3))
    if pk is None:
        pk = snap.country_by_alias.get(key)
    if pk is None:
        label = lambda pk: f"{snap.countries[pk].name} ({snap.countries[pk].code})"  # noqa: E731
        raise NotFound("country", identifier, _suggest(key, snap.country_by_alias, label))
    return copy.copy(snap.countries[pk])


def organization_resolve(identifier: str, *, version=None) -> Organization:
    """The organization a slug, acronym, name or alias names: nato, EU, “Bucharest Nine”."""
    text, key = _clean(identifier, "organization")
    snap = snapshot(version)
    pk = (
        snap.organization_by_slug.get(text.lower())
        or snap.organization_by_acronym.get(key.replace(" ", ""))
        or snap.organization_by_alias.get(key)
    )
    if pk is None:
        label = lambda pk: f"{snap.organizations[pk].name} ({snap.organizations[pk].slug})"  # noqa: E731
        raise NotFound("organization", identifier, _suggest(key, snap.organization_by_alias, label))
    return copy.copy(snap.organizations[pk])
