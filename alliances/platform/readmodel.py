"""A read model per data version: the hot listings assembled from pre-rendered JSON, not queried and serialised.

Every hot answer (a state's groups, an organization's members, the set filters
of the country list, the membership list) is a pure function of the data
version, the day and the query. Each process keeps, for the current data
version, every membership period with its representation (citations
included) rendered once to JSON bytes, and each state's and organization's
periods as a list in memory; an answer then picks the periods valid on the
day and joins their bytes (``orjson.Fragment``), with no query besides the
data version the request reads anyway.

Like the names snapshot (``names.py``) it is rebuilt when the data version
moves, so a write in any process is seen by every other on its next request.
It is only kept when the data did not change while it was read (the version
is read again after), so it never mixes two versions.

**Bounded.** Above ``settings.READ_MODEL_MAX_PERIODS`` periods it is not built
and every answer takes the SQL path (the viewsets' queries and serializers),
whose range indexes keep it flat at any size. Measured (tracemalloc): the
fixtures' 304 periods, with their long quotes, hold 0.8 MB; 9,904 periods
(the fixtures and 9,600 synthetic ones) hold 9.3 MB, peak 12 MB while building,
and take ~1 s to build (the ORM reads ~0.1 ms a period), once per data version
in each worker. The default bound of 5,000 periods keeps both a worker's
memory and the first read after a write small; a model of a million periods
would fit neither.

Orders follow the database's: the rank of each state by name and each
organization by acronym is read from an ``ORDER BY``, so the collation that
orders the SQL path (PostgreSQL's locale, SQLite's bytes) orders this one.
"""

import dataclasses
import datetime
import threading

import orjson
from django.conf import settings

from alliances import names, selectors
from alliances.models import Country, Membership, Organization
from alliances.platform.renderers import dumps
from alliances.rules import periods
from alliances.rules.periods import contains
from alliances.store import audit

BUILD_CHUNK = 1000  # periods read (with their citations) per query while building


@dataclasses.dataclass(frozen=True)
class Representations:
    """How the interface renders each record (the API's serializers), as plain dicts."""

    membership: object  # Membership (with ``cited``) -> dict
    country: object  # Country from the snapshot -> dict (the country list's items)
    country_header: object  # Country -> dict (the header of a state's groups)
    organization_brief: object  # Organization -> dict (the header of an organization's members)


@dataclasses.dataclass(slots=True)
class Period:
    """One membership period: its dates and status to select it, its JSON to answer with, its sort keys."""

    pk: int
    country_id: int
    organization_id: int
    status: str
    start: datetime.date
    end: datetime.date | None
    fragment: orjson.Fragment
    groups_order: tuple  # a state's groups: organization acronym, start
    members_order: tuple  # an organization's members: country name, start
    list_order: tuple  # the membership list: organization acronym, start, country name

    def on(self, day):
        return contains(self.start, self.end, day)


class ReadModel:
    """The periods of one data version, by state and by organization, with their rendered JSON."""

    def __init__(self, version, size, representations, periods=None, country_order=()):
        self.version = version
        self.size = size  # the number of periods in the database when it was read
        self.representations = representations
        self.built = periods is not None
        self.periods = sorted(periods or [], key=lambda p: p.list_order)
        self.by_country, self.by_organization = {}, {}
        for period in self.periods:
            self.by_country.setdefault(period.country_id, []).append(period)
            self.by_organization.setdefault(period.organization_id, []).append(period)
        self.country_order = list(country_order)  # every state's pk, in the database's order of names
        self._fragments = {}  # (kind, pk) -> orjson.Fragment, rendered on first use

    @classmethod
    def load(cls, version, representations, limit):
        size = Membership.objects.count()
        if size > limit:
            return cls(version, size, representations)
        country_rank = {pk: i for i, pk in enumerate(Country.objects.order_by("name").values_list("pk", flat=True))}
        organization_rank = {
            pk: i for i, pk in enumerate(Organization.objects.order_by("acronym").values_list("pk", flat=True))
        }
        # The selectors' prefetch of citations (the records the SQL path renders), read in chunks so the
        # ORM objects of only one chunk are alive at once: the build's peak stays bounded too.
        rows = (
            Membership.objects.select_related("country", "organization")
            .prefetch_related(selectors.citations_prefetch())
            .iterator(chunk_size=BUILD_CHUNK)
        )
        periods = []
        for m in rows:
            c, o = country_rank[m.country_id], organization_rank[m.organization_id]
            periods.append(
                Period(
                    pk=m.pk,
                    country_id=m.country_id,
                    organization_id=m.organization_id,
                    status=m.status,
                    start=m.start_date,
                    end=m.end_date,
                    fragment=kept(representations.membership(m)),
                    groups_order=(o, m.start_date, m.pk),
                    members_order=(c, m.start_date, m.pk),
                    list_order=(o, m.start_date, c, m.pk),
                )
            )
        return cls(version, size, representations, periods, sorted(country_rank, key=country_rank.get))

    def memberships(
        self, *, country=None, organization=None, as_of=None, statuses=None, order="list_order", continued=False
    ):
        """The periods of ``country`` and/or ``organization`` (every one if neither) that include ``as_of``
        (every period if None) with a status in ``statuses`` (every status if None), sorted by ``order``;
        ``continued``: with the periods of the states ``country`` continues (``selectors.seat_holders``)."""
        if country is not None:
            holders = selectors.seat_holders(country) if continued else [country.pk]
            candidates = [p for pk in holders for p in self.by_country.get(pk, [])]
            if organization is not None:
                candidates = [p for p in candidates if p.organization_id == organization.pk]
        elif organization is not None:
            candidates = self.by_organization.get(organization.pk, [])
        else:
            candidates = self.periods
        wanted = None if statuses is None else set(statuses)
        chosen = [p for p in candidates if (wanted is None or p.status in wanted) and (as_of is None or p.on(as_of))]
        return sorted(chosen, key=lambda p: getattr(p, order))

    def country_pks(self, *, member_of=(), not_member_of=(), as_of=None, statuses=None):
        """States in every one of ``member_of`` and none of ``not_member_of`` on ``as_of``, in name order."""
        if not (member_of or not_member_of):
            return list(self.country_order)
        day = periods.day_or_today(as_of)

        def members(organization):
            return {p.country_id for p in self.memberships(organization=organization, as_of=day, statuses=statuses)}

        included = None
        for organization in member_of:
            found = members(organization)
            included = found if included is None else included & found
        excluded = set()
        for organization in not_member_of:
            excluded |= members(organization)
        return [pk for pk in self.country_order if (included is None or pk in included) and pk not in excluded]

    def fragment(self, kind, pk):
        """The pre-rendered JSON of a record from the names snapshot: ``kind`` is a ``Representations`` field."""
        key = (kind, pk)
        found = self._fragments.get(key)
        if found is None:
            snap = names.snapshot(self.version)
            record = (snap.organizations if kind == "organization_brief" else snap.countries)[pk]
            found = self._fragments[key] = kept(getattr(self.representations, kind)(record))
        return found


def kept(value):
    """``value`` rendered for keeping: an exact-size copy of orjson's output, whose buffer holds at least
    4 KB (measured with tracemalloc: 3.8 MB for the fixtures' 0.5 MB of JSON, 0.6 MB copied)."""
    return orjson.Fragment(bytes(memoryview(dumps(value))))


_lock = threading.Lock()
_current: ReadModel | None = None


def current(version, representations) -> ReadModel | None:
    """The read model of ``version``, or None when the SQL path must answer.

    None when the data holds more than ``READ_MODEL_MAX_PERIODS`` periods, or when
    the data changed while the model was being read (that request takes the SQL
    path; the next one, reading the new version, builds the model again).
    """
    global _current
    limit = settings.READ_MODEL_MAX_PERIODS
    model = _current
    if model is None or model.version != version or (not model.built and model.size <= limit):
        with _lock:
            model = _current
            if model is None or model.version != version or (not model.built and model.size <= limit):
                model = ReadModel.load(version, representations, limit)
                if audit.data_version() != version:
                    return None  # a write committed meanwhile: these rows may be of two versions
                _current = model
    if not model.built or model.size > limit:
        return None
    return model
