"""The hot answers' one door each: a state's groups, an organization's member states, and the two
filtered lists (countries by membership, membership periods).

Each door chooses the read model or SQL itself, so the views keep one body. The read model
(alliances/platform/readmodel.py: every period's JSON pre-rendered, per data version) answers a
JSON request about the periods that certainly cover a day, or about every period, while the data
is within ``READ_MODEL_MAX_PERIODS``; SQL answers the rest (CSV, the browsable API,
``include_possible``, a model too big to build). Both give the same bytes
(tests/platform/test_readmodel.py compares them).
"""

import dataclasses

from alliances import selectors
from alliances.api import serializers as s
from alliances.platform.renderers import Assembled
from alliances.rules import periods


@dataclasses.dataclass(frozen=True)
class Periods:
    """A listing's header and periods, with how the renderer writes them."""

    header: object
    items: list
    body: type = dict  # dict: serialized on the SQL path; Assembled: pre-rendered fragments, written as they are


@dataclasses.dataclass(frozen=True)
class Door:
    select: object  # the selector of the SQL path
    order: str  # the read model's order of the same periods
    header: str  # the read model's fragment of the header
    header_serializer: type  # the SQL path's header


DOORS = {
    "country": Door(selectors.country_memberships, "groups_order", "country_header", s.CountryHeaderSerializer),
    "organization": Door(
        selectors.organization_members, "members_order", "organization_brief", s.OrganizationBriefSerializer
    ),
}


def periods_of(view, record, *, kind, as_of, statuses, possible=False, organization=None):
    """``record``'s periods on ``as_of`` (None: every period) in ``statuses``: a state's groups
    (``kind="country"``, optionally in one ``organization``) or an organization's member states
    (``kind="organization"``). ``possible``: add, marked so, the periods that only possibly cover
    ``as_of`` (a start or end known to the month or year).
    """
    door = DOORS[kind]
    within = {"organization": organization} if kind == "country" else {}
    model = None if possible else view.read_model()
    if model is not None:
        # A state's groups include the seats it continues (the USSR's for Russia), as its selector's do.
        found = model.memberships(
            **{kind: record}, **within, as_of=as_of, statuses=statuses, order=door.order, continued=kind == "country"
        )
        return Periods(model.fragment(door.header, record.pk), [p.fragment for p in found], Assembled)
    context = view.get_serializer_context()
    items = memberships_data(door.select(record, as_of=as_of, statuses=statuses, **within), context)
    if possible:
        candidates = door.select(record, statuses=statuses, **within)
        items = with_possible(items, memberships_data(selectors.possibly_on(candidates, as_of), context))
    return Periods(door.header_serializer(record).data, items)


def memberships_data(memberships, context):
    return s.MembershipOutputSerializer(memberships, many=True, context=context).data


def with_possible(items, possible):
    """``items`` marked certain, then ``possible`` (periods that only possibly cover the day) marked possible."""
    marked = [{**item, "certainty": periods.CERTAIN} for item in items]
    return marked + [{**item, "certainty": periods.POSSIBLE} for item in possible]


def listed(view, *, kind, sql_list):
    """A filtered list's page: countries (``kind="country"``, filtered by membership on a day) or membership
    periods (``kind="membership"``). ``sql_list`` is the view's SQL path (DRF's filter backend and paginator,
    which also validates the query); the read model answers JSON without a text ``search``."""
    model = view.read_model()
    if model is None:
        return sql_list()
    selection = view.selection()
    if kind == "membership":
        return view.assembled_page([p.fragment for p in model.memberships(**selection)])
    if selection.pop("search"):  # text search needs the aliases' SQL
        return sql_list()
    return view.assembled_page(model.country_pks(**selection), lambda pk: model.fragment("country", pk))
