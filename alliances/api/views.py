"""API views: declarative viewsets; sub-collections are @actions; queries live in selectors."""

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, prefetch_related_objects
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from alliances import audit, reference, selectors, services
from alliances.api import caching
from alliances.api import serializers as s
from alliances.api.pagination import StatusesPagination, StatusesWindowCountPagination
from alliances.choices import MembershipStatus
from alliances.filtersets import CountryFilterSet, MembershipFilterSet
from alliances.models import Country, Membership, Organization, Source


class ServeCached(Exception):
    def __init__(self, response):
        self.response = response


class BaseViewSet(viewsets.ModelViewSet):
    """Shared behaviour: cached reads, JSON errors, audited and conditional writes."""

    def initial(self, request, *args, **kwargs):
        # After authentication, permissions and throttling: a cached answer is
        # still only given to a client that may have it, within its rate.
        super().initial(request, *args, **kwargs)
        self.version = getattr(request._request, "data_version", None) or audit.data_version()
        self.version_token = reference.request_version.set(self.version)
        self.cache_key = None
        if caching.cacheable(request):
            self.cache_key = caching.cache_key(request, self.version)
            cached = caching.lookup(self.cache_key)
            if cached is not None:
                raise ServeCached(cached)

    def handle_exception(self, exc):
        if isinstance(exc, ServeCached):
            return exc.response
        return super().handle_exception(exc)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["snapshot"] = reference.snapshot(getattr(self, "version", None))
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are always JSON, whatever format the client asked for.
        if response.status_code >= 400 and getattr(request, "accepted_renderer", None) is not None:
            if request.accepted_renderer.format not in ("json", "api"):
                request.accepted_renderer = JSONRenderer()
                request.accepted_media_type = JSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "version_token", None) is not None:
            reference.request_version.reset(self.version_token)
            self.version_token = None
        if getattr(self, "cache_key", None) and isinstance(response, Response) and response.status_code == 200:
            caching.store_after_render(response, self.cache_key)
        return response

    def resolve(self, resolver, identifier):
        check_identifier_length(identifier, "identifier")
        return resolver(identifier, version=getattr(self, "version", None))

    # Writes: recorded in the audit trail as the signed-in user, and refused
    # (412) unless If-Match names the current ETag, so no edit is silently lost.

    def perform_create(self, serializer):
        with audit.acting_as(self.request.user):
            serializer.save()

    def perform_update(self, serializer):
        with audit.acting_as(self.request.user):
            self.check_if_match(serializer.instance)
            self.updated_instance = serializer.save()

    def perform_destroy(self, instance):
        with audit.acting_as(self.request.user):
            self.check_if_match(instance)
            try:
                self.delete_instance(instance)
            except ProtectedError as exc:
                raise Conflict(
                    {
                        "detail": f"{instance} cannot be deleted while "
                        f"{len(exc.protected_objects)} record(s) refer to it."
                    }
                ) from exc

    def delete_instance(self, instance):
        instance.delete()

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        # The new ETag, so the client can chain edits without another GET.
        response["ETag"] = self.current_etag(self.updated_instance, lock=False)
        return response

    def current_etag(self, instance, lock=True):
        """The ETag a GET of ``instance`` gives now (the hash of its JSON body)."""
        queryset = self.get_queryset().select_for_update(of=("self",)) if lock else self.get_queryset()
        fresh = queryset.get(pk=instance.pk)
        if isinstance(fresh, Country | Organization):
            # Names as stored now (this may run inside the write), not as the request's snapshot saw them.
            prefetch_related_objects(
                [fresh], "aliases", *(["members_must_belong_to"] if isinstance(fresh, Organization) else [])
            )
            reference.attach_names(fresh)
        data = self.get_read_serializer_class()(fresh, context=self.get_serializer_context()).data
        return caching.etag_of(JSONRenderer().render(data))

    def get_read_serializer_class(self):
        return self.serializer_class

    def check_if_match(self, instance):
        expected = self.request.headers.get("If-Match")
        if not expected:
            raise PreconditionRequired()
        current = self.current_etag(instance)
        if current not in [tag.strip() for tag in expected.split(",")] and expected.strip() != "*":
            raise PreconditionFailed(current)


class Conflict(ValidationError):
    status_code = status.HTTP_409_CONFLICT


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = "Send If-Match with the ETag of your last GET of this record, so no one else's edit is lost."
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self, current):
        super().__init__(
            {
                "detail": "The record changed since you read it: fetch it again, re-apply your change, and send "
                "If-Match with the new ETag.",
                "current_etag": current,
            }
        )


def check_identifier_length(value, name):
    if len(value) > selectors.MAX_IDENTIFIER_LENGTH:
        raise ValidationError({name: [f"An identifier has at most {selectors.MAX_IDENTIFIER_LENGTH} characters."]})


def membership_query(request):
    query = s.MembershipQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    values = query.validated_data
    statuses = s.parse_statuses(request.query_params)
    as_of = None if values["history"] else values.get("as_of") or datetime.date.today()
    return as_of, statuses


def listing(header_key, header, as_of, memberships, context, statuses=(MembershipStatus.MEMBER,)):
    items = s.MembershipSerializer(memberships, many=True, context=context).data
    return Response(
        {
            header_key: header,
            "as_of": as_of.isoformat() if as_of else None,
            "statuses": s.statuses_included(statuses),
            "count": len(items),
            "results": items,
        }
    )


IDENTIFIER = OpenApiParameter("identifier", OpenApiTypes.STR, OpenApiParameter.PATH)


def listing_serializer(name, header_serializer, header_key):
    return inline_serializer(
        name,
        {
            header_key: header_serializer(),
            "as_of": serializers.DateField(allow_null=True),
            "statuses": serializers.ListField(child=serializers.CharField(), help_text="Statuses included."),
            "count": serializers.IntegerField(),
            "results": s.MembershipSerializer(many=True),
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
    create=extend_schema(request=s.CountryWriteSerializer, responses=s.CountrySerializer),
    update=extend_schema(request=s.CountryWriteSerializer, responses=s.CountrySerializer, parameters=[IDENTIFIER]),
    partial_update=extend_schema(
        request=s.CountryWriteSerializer, responses=s.CountrySerializer, parameters=[IDENTIFIER]
    ),
    destroy=extend_schema(parameters=[IDENTIFIER]),
)
class CountryViewSet(BaseViewSet):
    """States and territories of ISO 3166-1, addressed by any code, name or alias."""

    queryset = Country.objects.all()
    filterset_class = CountryFilterSet
    pagination_class = StatusesPagination
    lookup_field = "identifier"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return Country.objects.order_by("name")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        # Which statuses count for member_of / not_member_of (the default: member).
        response.data["statuses"] = s.statuses_included(s.parse_statuses(request.query_params))
        return response

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return s.CountryWriteSerializer
        return s.CountrySerializer

    def get_read_serializer_class(self):
        return s.CountrySerializer

    def get_object(self):
        country = self.resolve(selectors.country_resolve, self.kwargs["identifier"])
        if self.request.method not in SAFE_METHODS:
            country = self.get_queryset().get(pk=country.pk)  # writes work on the stored row
        self.check_object_permissions(self.request, country)
        return country

    @extend_schema(
        summary="Which groups is this country in",
        parameters=[IDENTIFIER, s.MembershipQuerySerializer],
        responses=listing_serializer("CountryMemberships", s.CountryHeaderSerializer, "country"),
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def memberships(self, request, identifier=None):
        as_of, statuses = membership_query(request)
        country = self.resolve(selectors.country_resolve, identifier)
        memberships = selectors.country_memberships(country, as_of=as_of, statuses=statuses)
        header = s.CountryHeaderSerializer(country).data
        return listing("country", header, as_of, memberships, self.get_serializer_context(), statuses)


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
    lookup_field = "identifier"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.organization_list()

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return s.OrganizationWriteSerializer
        return s.OrganizationSerializer

    def get_read_serializer_class(self):
        return s.OrganizationSerializer

    def get_object(self):
        organization = self.resolve(selectors.organization_resolve, self.kwargs["identifier"])
        organization = self.get_queryset().get(pk=organization.pk)  # with today's member count
        self.check_object_permissions(self.request, organization)
        return organization

    @extend_schema(
        summary="Who is in this organization",
        parameters=[IDENTIFIER, s.MembershipQuerySerializer],
        responses=listing_serializer("OrganizationMembers", s.OrganizationBriefSerializer, "organization"),
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def members(self, request, identifier=None):
        as_of, statuses = membership_query(request)
        organization = self.resolve(selectors.organization_resolve, identifier)
        memberships = selectors.organization_members(organization, as_of=as_of, statuses=statuses)
        header = s.OrganizationBriefSerializer(organization).data
        return listing("organization", header, as_of, memberships, self.get_serializer_context(), statuses)

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
    @action(detail=True, methods=["get"], pagination_class=None)
    def changes(self, request, identifier=None):
        query = s.ChangesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        organization = self.resolve(selectors.organization_resolve, identifier)
        date_from = query.validated_data.get("date_from") or organization.founded
        date_to = query.validated_data.get("date_to") or datetime.date.today()
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
    create=extend_schema(request=s.MembershipWriteSerializer, responses={201: s.MembershipSerializer}),
    update=extend_schema(request=s.MembershipWriteSerializer, responses=s.MembershipSerializer),
    partial_update=extend_schema(request=s.MembershipWriteSerializer, responses=s.MembershipSerializer),
)
class MembershipViewSet(BaseViewSet):
    """Dated membership periods with their sources. Without `as_of`, every period."""

    queryset = Membership.objects.all()
    filterset_class = MembershipFilterSet
    pagination_class = StatusesWindowCountPagination
    lookup_value_regex = "[0-9]{1,18}"

    def get_queryset(self):
        return selectors.membership_list(statuses=None)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        # Without `status`, every status.
        response.data["statuses"] = s.statuses_included(s.parse_statuses(request.query_params, default=None))
        return response

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return s.MembershipWriteSerializer
        return s.MembershipSerializer

    def get_read_serializer_class(self):
        return s.MembershipSerializer

    def delete_instance(self, instance):
        try:
            services.membership_delete(membership=instance)
        except DjangoValidationError as exc:
            raise Conflict({"detail": " ".join(exc.messages)}) from exc

    @extend_schema(
        summary="Every recorded change of this membership, oldest first",
        responses=s.AuditEventSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request, pk=None):
        events = list(audit.row_history(Membership, pk))
        if not events:
            raise NotFound(f"No membership {pk} has ever existed.")
        return Response(s.AuditEventSerializer(events, many=True).data)


class SourceViewSet(BaseViewSet):
    """Documents the facts are taken from."""

    queryset = Source.objects.all()
    serializer_class = s.SourceSerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]{1,50}"

    def get_queryset(self):
        return Source.objects.order_by("title")
