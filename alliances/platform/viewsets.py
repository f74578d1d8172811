"""The jobs every API viewset shares, one mixin each (after NetBox's ``NetBoxModelViewSet``).

A viewset combines them and declares only what is its own: ``queryset`` (or
``get_queryset``), ``input_serializer_class`` / ``output_serializer_class`` and
``filterset_class``. Order in the class bases matters where two mixins wrap
the same DRF method; ``ModelViewSetBase`` below gives the order the API uses.
"""

import re

from django.db.models import ProtectedError
from django.http import StreamingHttpResponse
from rest_framework import status, viewsets
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from alliances import names
from alliances.platform import readkey, response_cache
from alliances.platform.renderers import columns_of, stream_csv
from alliances.store import audit, concurrency

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
        self.version = audit.request_version(request)
        self.version_token = names.request_version.set(self.version)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["snapshot"] = names.snapshot(getattr(self, "version", None))
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "version_token", None) is not None:
            names.request_version.reset(self.version_token)
            self.version_token = None
        return response


class _ServeCached(Exception):
    def __init__(self, response):
        self.response = response


class CachedReadMixin:
    """A read answered before under the same data version is served from the response cache.

    The key is the read's (alliances/platform/readkey.py): the negotiated format
    and the query as this endpoint reads it, so every spelling of one answer is
    one entry. Needs ``SnapshotMixin`` after it in the bases (it sets ``self.version``).
    """

    read = None

    def initial(self, request, *args, **kwargs):
        # After authentication, permissions and throttling: a cached answer is
        # still only given to a client that may have it, within its rate.
        super().initial(request, *args, **kwargs)
        self.cache_key = None
        self.read = readkey.of_view(self, request) if request.method in ("GET", "HEAD") else None
        if self.read is not None and response_cache.cacheable(request) and self.answer_is_shared(request):
            self.cache_key = response_cache.cache_key(self.read, self.version)
            response_cache.mark(request._request, self.cache_key)
            # An anonymous read the middleware just missed under this key is not looked up twice.
            if getattr(request._request, "response_cache_missed", None) != self.cache_key:
                cached = response_cache.lookup(self.cache_key)
                if cached is not None:
                    raise _ServeCached(cached)

    def answer_is_shared(self, request):
        """Whether every client allowed to read this gets the same answer (so it may be cached).

        A view whose answer depends on who asks returns False for those who see more.
        """
        return True

    def answer_depends_on_today(self, params):
        """Whether this action's answer to the (normalised) query ``params`` changes with today's date.

        True unless a viewset says otherwise: the key then holds the day, so an
        answer about "today" is not served the next day. An answer that does not
        depend on it keeps its key, and its ETag, across midnight.
        """
        return True

    def answer_has_links(self, fmt):
        """Whether the answer in format ``fmt`` holds links to other pages (their host is then part of the key)."""
        return self.action == "list" and self.paginator is not None

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

    The ETag is the one a GET of the record gives, which is also the admin's
    lost-update token (alliances/store/concurrency.py); the viewset says how to
    compute it (``current_etag``), from the row locked for the write. 428
    without If-Match, 412 (with the current ETag) when it no longer matches. An
    update answers with the new ETag so a client can chain edits.
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
        if current is None:  # deleted by another writer since this request read it
            raise NotFound()
        if not concurrency.matches(expected, current):
            raise PreconditionFailed(current)

    def current_etag(self, instance, lock=True):
        """The ETag a GET of ``instance`` gives now (None if it is gone); ``lock`` holds the row to the commit."""
        raise NotImplementedError("An IfMatchMixin viewset says how its records' ETag is computed.")


class UnknownQueryParameter(ValidationError):
    pass


class QueryParametersMixin:
    """A query parameter the endpoint does not take is a 400 naming it and listing those it takes.

    A typo (``?asof=``) would otherwise be ignored and the answer be for today.
    Lists take their filterset's parameters and, when paginated, ``page`` and
    ``page_size``; an @action lists its own with ``accepted_params=(...)``;
    everything takes ``format``.
    """

    accepted_params = None  # set per @action through its keyword arguments
    # How each query parameter is read, for the cache key: name -> function from the values given
    # (``QueryDict.getlist``) to the values the answer depends on (alliances/platform/readkey.py has
    # ``last_value`` and ``each_once``). A parameter not named here keeps every value, in order: never
    # wrong, only more keys than needed.
    query_value_readers = {}

    def accepted_query_parameters(self):
        names = [api_settings.URL_FORMAT_OVERRIDE]
        if self.accepted_params is not None:
            names += list(self.accepted_params)
        elif self.action == "list":
            filterset_class = getattr(self, "filterset_class", None)
            if filterset_class is not None:
                names += list(filterset_class.base_filters)
            if self.paginator is not None:
                names += [self.paginator.page_query_param, self.paginator.page_size_query_param]
        return sorted(set(names))

    def query_readers(self, fmt):
        """``query_value_readers`` and, on a paginated list, the paginator's page parameters."""
        readers = dict(self.query_value_readers)
        if self.accepted_params is None and self.action == "list" and self.paginator is not None:
            readers.update(self.paginator.query_readers())
        return readers

    def normalised_query(self, query, fmt):
        """The query as this endpoint reads it, as ``((name, value), ...)`` sorted by name, for the cache key.

        Without ``format`` (the key holds the negotiated format instead); None if a
        parameter is one the endpoint does not take (the answer is a 400).
        """
        accepted = self.accepted_query_parameters()
        if any(name not in accepted for name in query):
            return None
        readers = self.query_readers(fmt)
        params = []
        for name in sorted(query):
            if name == api_settings.URL_FORMAT_OVERRIDE:
                continue
            values = query.getlist(name)
            reader = readers.get(name)
            params += [(name, value) for value in (reader(values) if reader else values)]
        return tuple(params)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method == "OPTIONS":
            return
        accepted = self.accepted_query_parameters()
        unknown = [name for name in request.query_params if name not in accepted]
        if unknown:
            shown = [name[:50] for name in unknown[:10]]
            raise UnknownQueryParameter(
                {
                    "detail": f"Unknown query parameter(s): {', '.join(shown)}. "
                    f"This endpoint takes: {', '.join(accepted)}.",
                    "unknown": shown,
                    "accepted": accepted,
                }
            )


# Headers of the view's own that a cached download keeps (the middleware adds the rest on every answer).
KEPT_HEADERS = {"content-type", "etag", "content-disposition", "link", "allow", "vary"}


def download_filename(*parts):
    """``alliances-memberships-<data version>.csv``: a file name that says which data it holds."""
    text = "-".join(re.sub(r"[^A-Za-z0-9._]+", "_", str(part)).strip("_") for part in parts if part)
    return f"alliances-{text}.csv"


class DownloadMixin:
    """CSV is a whole download: a list's CSV streams every matching row, never a page.

    The rows are read in chunks (``iterator``) and written one by one, so memory
    stays bounded however many there are. The ETag is known before the first
    byte (the data version and the read's key), so ``If-None-Match`` gives a 304; a
    download up to ``RESPONSE_CACHE_MAX_ENTRY_BYTES`` is kept in the response cache once
    fully sent, keyed by the data version like every cached answer; ``page`` and
    ``page_size`` are checked but change nothing, so they are not part of the key.
    Every CSV answer is an attachment whose file name carries the data version.
    ``download_name`` names the collection in the file name.
    """

    download_name = None
    stream_chunk_size = 1000

    def wants_csv(self, request):
        renderer = getattr(request, "accepted_renderer", None)
        return renderer is not None and renderer.format == "csv"

    def list(self, request, *args, **kwargs):
        if self.wants_csv(request):
            return self.stream_csv_list(request)
        return super().list(request, *args, **kwargs)

    def query_readers(self, fmt):
        readers = super().query_readers(fmt)
        if fmt == "csv" and self.action == "list" and self.paginator is not None:
            readers.update(self.paginator.ignored_query_readers())  # every row is streamed
        return readers

    def answer_has_links(self, fmt):
        return fmt != "csv" and super().answer_has_links(fmt)

    def stream_csv_list(self, request):
        if self.paginator is not None:  # not used, but bad values are still a 400, as for JSON
            self.paginator.get_page_size(request)
            if request.query_params.get(self.paginator.page_query_param) not in self.paginator.last_page_strings:
                self.paginator.get_page_number(request, None)
        queryset = self.filter_queryset(self.get_queryset())
        serializer = self.get_serializer_class()(context=self.get_serializer_context())
        chunks = stream_csv(
            columns_of(serializer), queryset.iterator(chunk_size=self.stream_chunk_size), serializer.to_representation
        )
        key = getattr(self, "cache_key", None)
        response = StreamingHttpResponse(content_type="text/csv; charset=utf-8")
        response["ETag"] = response_cache.version_etag(self.read, request, self.version)
        response["X-Cache"] = "miss"
        response.streaming_content = response_cache.caching_stream(
            chunks, key, lambda: [(k, v) for k, v in response.items() if k.lower() in KEPT_HEADERS]
        )
        return response

    def download_parts(self):
        name = self.download_name or self.basename
        identifier = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field) if self.detail else None
        action = self.action if self.action not in ("list", "retrieve") else None
        return [name, identifier, action]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200 and self.wants_csv(request) and not response.has_header("Content-Disposition"):
            filename = download_filename(*self.download_parts(), getattr(self, "version", None))
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ModelViewSetBase(
    JSONErrorsMixin,
    DownloadMixin,
    QueryParametersMixin,
    CachedReadMixin,
    SnapshotMixin,
    IfMatchMixin,
    ProtectedConflictMixin,
    AuditedWriteMixin,
    InputOutputSerializersMixin,
    viewsets.ModelViewSet,
):
    """Every job above, in the order the API needs: errors as JSON, cached reads, audited conditional writes."""
