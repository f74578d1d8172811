"""API views: declarative viewsets; sub-collections are @actions; queries live in selectors."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from alliances import selectors, services
from alliances.api import answers
from alliances.api import organization_life as life
from alliances.api import serializers as s
from alliances.api.filtersets import CountryFilterSet, MembershipFilterSet, OrganizationFilterSet
from alliances.choices import MembershipStatus, status_values
from alliances.models import Country, Membership, Organization, Source
from alliances.platform import readkey, readmodel
from alliances.platform.pagination import StatusesPagination, StatusesWindowCountPagination
from alliances.platform.renderers import Assembled, JSONRenderer
from alliances.platform.viewsets import Conflict, ModelViewSetBase
from alliances.rules import periods
from alliances.store import audit

# What the read model pre-renders: exactly what the serializers give on the SQL path.
REPRESENTATIONS = readmodel.Representations(
    membership=s.MembershipOutputSerializer().to_representation,
    country=lambda country: s.CountryOutputSerializer(country).data,
    country_header=lambda country: s.CountryHeaderSerializer(country).data,
    organization_brief=lambda organization: s.OrganizationBriefSerializer(organization).data,
)


class BaseViewSet(ModelViewSetBase):
    """The platform's shared jobs (alliances.platform.viewsets), and identifiers resolved in the request's snapshot."""

    # How the filters, query serializers and selectors read each parameter (for the cache key): a date,
    # flag or identifier is one value, the last given (django-filter's text inputs, DRF's scalar fields
    # and QueryDict.get all take it); member_of/not_member_of are sets (IdentifierListField drops repeats,
    # the selectors intersect or unite them); status as choices.statuses_for parses it.
    query_value_readers = {
        "as_of": readkey.last_value,
        "history": readkey.last_value,
        "include_possible": readkey.last_value,
        "country": readkey.last_value,
        "organization": readkey.last_value,
        "search": readkey.last_value,
        "from": readkey.last_value,
        "to": readkey.last_value,
        "member_of": readkey.each_once,
        "not_member_of": readkey.each_once,
        "status": status_values,
    }

    def resolve(self, resolver, identifier):
        check_identifier_length(identifier, "identifier")
        return resolver(identifier, version=getattr(self, "version", None))

    # The answers about one record that a signed-in curator gets with the working notes (the lost-update
    # token is computed from that answer); lists, and every anonymous answer, never carry them.
    CURATOR_ACTIONS = ("retrieve", "create", "update", "partial_update")

    def shows_curation(self, request):
        return self.action in self.CURATOR_ACTIONS and bool(request.user and request.user.is_authenticated)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context[s.CURATOR] = self.shows_curation(self.request)
        return context

    def answer_is_shared(self, request):
        # A curator's answer with notes is never cached, so never served to anyone else.
        return super().answer_is_shared(request) and not self.shows_curation(request)

    def current_etag(self, instance, lock=True):
        # The token the admin's change form carries too: one lost-update check for both.
        return s.record_token(type(instance), instance.pk, lock=lock)

    def read_model(self):
        """The request's data version's read model, when it can give this JSON answer; else None (the SQL path)."""
        if not isinstance(getattr(self.request, "accepted_renderer", None), JSONRenderer):
            return None
        return readmodel.current(self.version, REPRESENTATIONS)

    def bound_filterset(self):
        """The list's filterset bound to the query and validated, once a request (rows and header read it)."""
        if getattr(self, "_filterset", None) is None:
            model = self.filterset_class._meta.model
            self._filterset = self.filterset_class(
                self.request.query_params, queryset=model.objects.none(), request=self.request
            )
            self._filterset.is_valid()
        return self._filterset

    def selection(self):
        """The list's validated filters (a 400 as DjangoFilterBackend gives), as ``filterset.selection()``."""
        filterset = self.bound_filterset()
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset.selection()

    def assembled_page(self, items, fragment=None):
        """A page of ``items`` rendered by ``fragment`` (pre-rendered JSON), with the SQL path's header and links."""
        page = self.paginate_queryset(items)
        response = self.get_paginated_response([fragment(item) for item in page] if fragment else page)
        response.data = Assembled(response.data)
        return response


def check_identifier_length(value, name):
    if len(value) > selectors.MAX_IDENTIFIER_LENGTH:
        raise ValidationError({name: [f"An identifier has at most {selectors.MAX_IDENTIFIER_LENGTH} characters."]})


def membership_query(request, serializer_class=s.MembershipQuerySerializer):
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    values = query.validated_data
    statuses = s.parse_statuses(request.query_params)
    as_of = None if values["history"] else periods.day_or_today(values.get("as_of"))
    return as_of, statuses, values


def listing(header_key, header, as_of, items, statuses, body=dict, extra=None):
    """A state's groups or an organization's members around ``items``, already rendered.

    The SQL path passes serialized dicts; the read model passes its pre-rendered
    header and periods with ``body=Assembled``, so the renderer writes them as they are.
    ``extra``: an organization's members that are organizations themselves, after the states.
    """
    data = {
        header_key: header,
        "as_of": as_of.isoformat() if as_of else None,
        "statuses": s.statuses_included(statuses),
        "count": len(items),
        "results": items,
    }
    if extra is not None:
        data["member_organizations"] = extra
    return Response(body(data))


def organization_members_data(organization, as_of, statuses, include_possible, context):
    """The organizations that are members of ``organization`` (the EU and the AU in the G20), each marked so."""
    if not getattr(organization, "has_member_organizations", True):  # the name snapshot knows: no query
        return []
    found = selectors.organization_periods(organization=organization, as_of=as_of, statuses=statuses)
    if not include_possible:
        return life.OrganizationMembershipSerializer(found, many=True).data
    candidates = selectors.organization_periods(organization=organization, statuses=statuses)
    found = [*found, *selectors.possibly_on(candidates, as_of)]
    return life.CertainOrganizationMembershipSerializer(found, many=True, context={**context, "as_of": as_of}).data


def answers_for_a_given_day(params):
    """Whether a "which groups / who is in" query names its day (``as_of``) or asks for every period (``history``)."""
    return bool(params.get("as_of")) or params.get("history") in serializers.BooleanField.TRUE_VALUES


def query_names(serializer_class):
    return tuple(serializer_class().fields)


IDENTIFIER = OpenApiParameter("identifier", OpenApiTypes.STR, OpenApiParameter.PATH)


def listing_serializer(name, header_serializer, header_key):
    return inline_serializer(
        name,
        {
            header_key: header_serializer(),
            "as_of": serializers.DateField(allow_null=True),
            "statuses": serializers.ListField(child=serializers.CharField(), help_text="Statuses included."),
            "count": serializers.IntegerField(),
            "results": s.MembershipOutputSerializer(many=True),
        },
    )


def members_serializer():
    """An organization's members: states in ``results``, organizations that are members in ``member_organizations``."""
    return inline_serializer(
        "OrganizationMembers",
        {
            "organization": s.OrganizationBriefSerializer(),
            "as_of": serializers.DateField(allow_null=True),
            "statuses": serializers.ListField(child=serializers.CharField(), help_text="Statuses included."),
            "count": serializers.IntegerField(help_text="Number of states in results."),
            "results": s.MembershipOutputSerializer(many=True),
            "member_organizations": life.CertainOrganizationMembershipSerializer(many=True),
        },
    )


@extend_schema_view(
    list=extend_schema(
        summary="Countries, optionally filtered by membership",
        parameters=[
            OpenApiParameter(
                "member_of",
                OpenApiTypes.STR,
                many=True,
                explode=True,
                description="Organization (slug, acronym, name or alias) the country must belong to on `as_of`; "
                "repeat it to require several: `?member_of=nato&member_of=eu`.",
            ),
            OpenApiParameter(
                "not_member_of",
                OpenApiTypes.STR,
                many=True,
                explode=True,
                description="Organization the country must not belong to on `as_of`; repeat it for several.",
            ),
        ],
    ),
    retrieve=extend_schema(summary="One country by code, name or alias", parameters=[IDENTIFIER]),
    create=extend_schema(request=s.CountryInputSerializer, responses=s.CountryOutputSerializer),
    update=extend_schema(
        request=s.CountryInputSerializer, responses=s.CountryOutputSerializer, parameters=[IDENTIFIER]
    ),
    partial_update=extend_schema(
        request=s.CountryInputSerializer, responses=s.CountryOutputSerializer, parameters=[IDENTIFIER]
    ),
    destroy=extend_schema(parameters=[IDENTIFIER]),
)
class CountryViewSet(BaseViewSet):
    """States and territories of ISO 3166-1, addressed by any code, name or alias."""

    queryset = Country.objects.all()
    input_serializer_class = s.CountryInputSerializer
    output_serializer_class = s.CountryOutputSerializer
    filterset_class = CountryFilterSet
    pagination_class = StatusesPagination
    lookup_field = "identifier"
    lookup_value_regex = "[^/]+"
    download_name = "countries"

    def get_queryset(self):
        return Country.objects.order_by("name")

    def list(self, request, *args, **kwargs):
        return answers.listed(self, kind="country", sql_list=lambda: super(CountryViewSet, self).list(request))

    def answer_depends_on_today(self, params):
        if self.action == "list":
            return not params.get("as_of")  # the day member_of/not_member_of are answered for
        if self.action == "memberships":
            return not answers_for_a_given_day(params)
        return True

    def list_header(self):
        """The day ``member_of``/``not_member_of`` were answered for, and the statuses that count (default member)."""
        form = self.bound_filterset().form
        as_of = periods.day_or_today(form.cleaned_data.get("as_of"))
        return {
            "as_of": as_of.isoformat(),
            "statuses": s.statuses_included(s.parse_statuses(self.request.query_params)),
        }

    def get_object(self):
        country = self.resolve(selectors.country_resolve, self.kwargs["identifier"])
        if self.request.method not in SAFE_METHODS:
            country = self.get_queryset().get(pk=country.pk)  # writes work on the stored row
        self.check_object_permissions(self.request, country)
        return country

    @extend_schema(
        summary="Which groups is this country in",
        parameters=[IDENTIFIER, s.CountryMembershipQuerySerializer],
        responses=listing_serializer("CountryMemberships", s.CountryHeaderSerializer, "country"),
    )
    @action(
        detail=True,
        methods=["get"],
        filterset_class=None,
        pagination_class=None,
        accepted_params=query_names(s.CountryMembershipQuerySerializer),
    )
    def memberships(self, request, identifier=None, format=None):
        as_of, statuses, values = membership_query(request, s.CountryMembershipQuerySerializer)
        country = self.resolve(selectors.country_resolve, identifier)
        found = answers.periods_of(
            self,
            country,
            kind="country",
            as_of=as_of,
            statuses=statuses,
            possible=bool(values["include_possible"] and as_of),
            organization=values.get("organization"),
        )
        return listing("country", found.header, as_of, found.items, statuses, body=found.body)


@extend_schema_view(
    list=extend_schema(summary="Organizations"),
    retrieve=extend_schema(summary="One organization by slug, acronym, name or alias", parameters=[IDENTIFIER]),
    update=extend_schema(parameters=[IDENTIFIER]),
    partial_update=extend_schema(parameters=[IDENTIFIER]),
    destroy=extend_schema(parameters=[IDENTIFIER]),
)
class OrganizationViewSet(BaseViewSet):
    """International organizations, addressed by slug, acronym, name or alias."""

    queryset = Organization.objects.all()
    input_serializer_class = s.OrganizationInputSerializer
    output_serializer_class = s.OrganizationOutputSerializer
    filterset_class = OrganizationFilterSet
    lookup_field = "identifier"
    lookup_value_regex = "[^/]+"
    download_name = "organizations"

    def get_queryset(self):
        return selectors.organization_list()

    def answer_depends_on_today(self, params):
        if self.action in ("members", "memberships"):
            return not answers_for_a_given_day(params)
        if self.action == "lineage":
            return False
        if self.action == "changes":
            return not params.get("to")
        return True  # member_count counts today's members

    def list_header(self):
        """``member_count`` counts today's members."""
        return {"as_of": periods.day_or_today().isoformat(), "statuses": [MembershipStatus.MEMBER.value]}

    def get_object(self):
        organization = self.resolve(selectors.organization_resolve, self.kwargs["identifier"])
        organization = self.get_queryset().get(pk=organization.pk)  # with today's member count
        self.check_object_permissions(self.request, organization)
        return organization

    @extend_schema(
        summary="Who is in this organization",
        parameters=[IDENTIFIER, s.MembershipQuerySerializer],
        responses=members_serializer(),
    )
    @action(
        detail=True, methods=["get"], pagination_class=None, accepted_params=query_names(s.MembershipQuerySerializer)
    )
    def members(self, request, identifier=None, format=None):
        as_of, statuses, values = membership_query(request)
        organization = self.resolve(selectors.organization_resolve, identifier)
        possible = bool(values["include_possible"] and as_of)
        # States in ``results`` (``count`` counts them); organizations that are members apart, marked so.
        others = organization_members_data(organization, as_of, statuses, possible, self.get_serializer_context())
        found = answers.periods_of(
            self, organization, kind="organization", as_of=as_of, statuses=statuses, possible=possible
        )
        return listing("organization", found.header, as_of, found.items, statuses, body=found.body, extra=others)

    @extend_schema(
        summary="What this organization itself is a member of (the EU in the G20, the WTO)",
        parameters=[IDENTIFIER, s.MembershipQuerySerializer],
        responses=inline_serializer(
            "OrganizationOwnMemberships",
            {
                "organization": s.OrganizationBriefSerializer(),
                "as_of": serializers.DateField(allow_null=True),
                "statuses": serializers.ListField(child=serializers.CharField(), help_text="Statuses included."),
                "count": serializers.IntegerField(),
                "results": life.CertainOrganizationMembershipSerializer(many=True),
            },
        ),
    )
    @action(
        detail=True, methods=["get"], pagination_class=None, accepted_params=query_names(s.MembershipQuerySerializer)
    )
    def memberships(self, request, identifier=None, format=None):
        as_of, statuses, values = membership_query(request)
        organization = self.resolve(selectors.organization_resolve, identifier)
        found = list(selectors.organization_periods(member=organization, as_of=as_of, statuses=statuses))
        serializer = life.OrganizationMembershipSerializer
        context = self.get_serializer_context()
        if values["include_possible"] and as_of:
            found += selectors.possibly_on(
                selectors.organization_periods(member=organization, statuses=statuses), as_of
            )
            serializer, context = life.CertainOrganizationMembershipSerializer, {**context, "as_of": as_of}
        items = serializer(found, many=True, context=context).data
        return listing("organization", s.OrganizationBriefSerializer(organization).data, as_of, items, statuses)

    @extend_schema(
        summary="Its names over time, its predecessors and its successors",
        parameters=[IDENTIFIER],
        responses=inline_serializer(
            "OrganizationLineage",
            {
                "organization": s.OrganizationBriefSerializer(),
                "names": life.OrganizationNameSerializer(many=True),
                "predecessors": life.OrganizationSuccessionSerializer(many=True),
                "successors": life.OrganizationSuccessionSerializer(many=True),
            },
        ),
    )
    @action(detail=True, methods=["get"], pagination_class=None, accepted_params=())
    def lineage(self, request, identifier=None, format=None):
        organization = self.resolve(selectors.organization_resolve, identifier)
        names, predecessors, successors = selectors.organization_lineage(organization)
        return Response(
            {
                "organization": s.OrganizationBriefSerializer(organization).data,
                "names": life.OrganizationNameSerializer(names, many=True).data,
                "predecessors": life.OrganizationSuccessionSerializer(predecessors, many=True).data,
                "successors": life.OrganizationSuccessionSerializer(successors, many=True).data,
            }
        )

    @extend_schema(
        summary="Joins and departures between two dates",
        parameters=[
            IDENTIFIER,
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day; default the founding date."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day; default today."),
        ],
        responses=inline_serializer(
            "OrganizationChanges",
            {
                "organization": s.OrganizationBriefSerializer(),
                "from": serializers.DateField(),
                "to": serializers.DateField(),
                "count": serializers.IntegerField(),
                "results": s.ChangeSerializer(many=True),
            },
        ),
    )
    @action(detail=True, methods=["get"], pagination_class=None, accepted_params=("from", "to"))
    def changes(self, request, identifier=None, format=None):
        query = s.ChangesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        organization = self.resolve(selectors.organization_resolve, identifier)
        date_from = query.validated_data.get("date_from") or organization.founded
        date_to = periods.day_or_today(query.validated_data.get("date_to"))
        if date_from > date_to:
            raise ValidationError({"from": ["`from` must not be after `to`."]})
        changes = selectors.organization_changes(organization, date_from=date_from, date_to=date_to)
        results = s.ChangeSerializer(
            [{"date": d, "change": c, "membership": m} for d, c, m in changes],
            many=True,
            context=self.get_serializer_context(),
        ).data
        return Response(
            {
                "organization": s.OrganizationBriefSerializer(organization).data,
                "from": date_from.isoformat(),
                "to": date_to.isoformat(),
                "count": len(results),
                "results": results,
            }
        )


@extend_schema_view(
    create=extend_schema(request=s.MembershipInputSerializer, responses={201: s.MembershipOutputSerializer}),
    update=extend_schema(request=s.MembershipInputSerializer, responses=s.MembershipOutputSerializer),
    partial_update=extend_schema(request=s.MembershipInputSerializer, responses=s.MembershipOutputSerializer),
)
class MembershipViewSet(BaseViewSet):
    """Dated membership periods with their sources. Without `as_of`, every period."""

    queryset = Membership.objects.all()
    input_serializer_class = s.MembershipInputSerializer
    output_serializer_class = s.MembershipOutputSerializer
    filterset_class = MembershipFilterSet
    pagination_class = StatusesWindowCountPagination
    lookup_value_regex = "[0-9]{1,18}"
    download_name = "memberships"

    def get_queryset(self):
        return selectors.membership_list(statuses=None)

    def list(self, request, *args, **kwargs):
        return answers.listed(self, kind="membership", sql_list=lambda: super(MembershipViewSet, self).list(request))

    def list_header(self):
        """The day the periods include (none: every period) and the statuses listed (without `status`, every one)."""
        form = self.bound_filterset().form
        as_of = form.cleaned_data.get("as_of")
        return {
            "as_of": as_of.isoformat() if as_of else None,
            "statuses": s.statuses_included(s.parse_statuses(self.request.query_params, default=None)),
        }

    def delete_instance(self, instance):
        try:
            services.membership_delete(membership=instance)
        except DjangoValidationError as exc:
            raise Conflict({"detail": " ".join(exc.messages)}) from exc

    @staticmethod
    def sees_actors(request):
        """Who made a change (curators' user names, the loader's OS account) is shown to signed-in staff only."""
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)

    def answer_depends_on_today(self, params):
        return False  # periods, with or without as_of, and their history: nothing about today

    def answer_is_shared(self, request):
        # The staff view of a history names actors: never cached, so never served to anyone else.
        return super().answer_is_shared(request) and not (self.action == "history" and self.sees_actors(request))

    @extend_schema(
        summary="Every recorded change of this membership, oldest first",
        description="`actor` (who made the change) is present for signed-in staff only.",
        responses=s.AuditEventSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None, accepted_params=())
    def history(self, request, pk=None, format=None):
        events = list(audit.row_history(Membership, pk))
        if not events:
            raise NotFound(f"No membership {pk} has ever existed.")
        context = {"show_actor": self.sees_actors(request)}
        return Response(s.AuditEventSerializer(events, many=True, context=context).data)


class SourceViewSet(BaseViewSet):
    """Documents the facts are taken from."""

    queryset = Source.objects.all()
    input_serializer_class = output_serializer_class = s.SourceSerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]{1,50}"
    download_name = "sources"

    def get_queryset(self):
        # Titles repeat ("About SCO"): the slug breaks ties, so every engine lists them alike.
        return Source.objects.order_by("title", "slug")

    def answer_depends_on_today(self, params):
        return False
