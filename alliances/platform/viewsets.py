"""The jobs every API viewset shares, one mixin each (after NetBox's ``NetBoxModelViewSet``).

A viewset combines them and declares only what is its own: ``queryset`` (or
``get_queryset``), ``input_serializer_class`` / ``output_serializer_class`` and
``filterset_class``. Order in the class bases matters where two mixins wrap
the same DRF method; ``ModelViewSetBase`` below gives the order the API uses.
"""

from django.db.models import ProtectedError
from rest_framework import status, viewsets
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from alliances import audit
from alliances.platform import reference, response_cache

WRITE_ACTIONS = ("create", "update", "partial_update")


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


class InputOutputSerializersMixin:
    """Writes read their body with ``input_serializer_class``; everything answers with ``output_serializer_class``."""

    input_serializer_class = None
    output_serializer_class = None

    def get_serializer_class(self):
        if self.action in WRITE_ACTIONS and self.input_serializer_class is not None:
            return self.input_serializer_class
        return self.output_serializer_class

    def get_output_serializer_class(self):
        return self.output_serializer_class


class SnapshotMixin:
    """The request reads one data version: names resolve through that version's in-process snapshot."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # The cached-read middleware has read the version already for an anonymous read.
        self.version = getattr(request._request, "data_version", None) or audit.data_version()
        self.version_token = reference.request_version.set(self.version)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["snapshot"] = reference.snapshot(getattr(self, "version", None))
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "version_token", None) is not None:
            reference.request_version.reset(self.version_token)
            self.version_token = None
        return response


class _ServeCached(Exception):
    def __init__(self, response):
        self.response = response


class CachedReadMixin:
    """A read answered before under the same data version is served from the response cache.

    Needs ``SnapshotMixin`` after it in the bases (it sets ``self.version``).
    """

    def initial(self, request, *args, **kwargs):
        # After authentication, permissions and throttling: a cached answer is
        # still only given to a client that may have it, within its rate.
        super().initial(request, *args, **kwargs)
        self.cache_key = None
        if response_cache.cacheable(request) and self.answer_is_shared(request):
            self.cache_key = response_cache.cache_key(request, self.version)
            cached = response_cache.lookup(self.cache_key)
            if cached is not None:
                raise _ServeCached(cached)

    def answer_is_shared(self, request):
        """Whether every client allowed to read this gets the same answer (so it may be cached).

        A view whose answer depends on who asks returns False for those who see more.
        """
        return True

    def handle_exception(self, exc):
        if isinstance(exc, _ServeCached):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "cache_key", None) and isinstance(response, Response) and response.status_code == 200:
            response_cache.store_after_render(response, self.cache_key)
        return response


class JSONErrorsMixin:
    """Errors are always JSON, whatever format (CSV, say) the client asked for."""

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400 and getattr(request, "accepted_renderer", None) is not None:
            if request.accepted_renderer.format not in ("json", "api"):
                request.accepted_renderer = JSONRenderer()
                request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class AuditedWriteMixin:
    """Writes are recorded in the audit trail as the signed-in user, each in one transaction.

    ``check_write(instance)`` runs inside that transaction before an update or
    delete (``IfMatchMixin`` checks the ETag there); ``delete_instance`` is the
    delete itself, which a viewset may route through a service.
    """

    def perform_create(self, serializer):
        with audit.acting_as(self.request.user):
            serializer.save()

    def perform_update(self, serializer):
        with audit.acting_as(self.request.user):
            self.check_write(serializer.instance)
            self.updated_instance = serializer.save()

    def perform_destroy(self, instance):
        with audit.acting_as(self.request.user):
            self.check_write(instance)
            self.delete_instance(instance)

    def check_write(self, instance):
        pass

    def delete_instance(self, instance):
        instance.delete()


class ProtectedConflictMixin:
    """Deleting a record others still refer to (a ProtectedError) is a 409, not a 500."""

    def perform_destroy(self, instance):
        try:
            super().perform_destroy(instance)
        except ProtectedError as exc:
            raise Conflict(
                {"detail": f"{instance} cannot be deleted while {len(exc.protected_objects)} record(s) refer to it."}
            ) from exc


class IfMatchMixin:
    """No edit is silently lost: an update or delete must send If-Match with the record's current ETag.

    The ETag is the one a GET of the record gives (the hash of its JSON body),
    computed from the row locked for the write; 428 without If-Match, 412 (with
    the current ETag) when it no longer matches. An update answers with the new
    ETag so a client can chain edits. ``fresh_for_etag`` may complete the
    re-read row as a GET would see it.
    """

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        response["ETag"] = self.current_etag(self.updated_instance, lock=False)
        return response

    def check_write(self, instance):
        super().check_write(instance)
        expected = self.request.headers.get("If-Match")
        if not expected:
            raise PreconditionRequired()
        current = self.current_etag(instance)
        if current not in [tag.strip() for tag in expected.split(",")] and expected.strip() != "*":
            raise PreconditionFailed(current)

    def current_etag(self, instance, lock=True):
        """The ETag a GET of ``instance`` gives now."""
        queryset = self.get_queryset().select_for_update(of=("self",)) if lock else self.get_queryset()
        fresh = self.fresh_for_etag(queryset.get(pk=instance.pk))
        data = self.get_output_serializer_class()(fresh, context=self.get_serializer_context()).data
        return response_cache.etag_of(JSONRenderer().render(data))

    def fresh_for_etag(self, instance):
        return instance


class ModelViewSetBase(
    JSONErrorsMixin,
    CachedReadMixin,
    SnapshotMixin,
    IfMatchMixin,
    ProtectedConflictMixin,
    AuditedWriteMixin,
    InputOutputSerializersMixin,
    viewsets.ModelViewSet,
):
    """Every job above, in the order the API needs: errors as JSON, cached reads, audited conditional writes."""
