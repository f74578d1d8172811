"""Every error the API gives is JSON that says what was wrong."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from alliances.names import NotFound
from alliances.platform.unavailable import DATABASE_UNAVAILABLE, database_unavailable_response


def exception_handler(exc, context):
    if isinstance(exc, NotFound):
        return Response(
            {
                "detail": str(exc),
                "not_found": {"kind": exc.kind, "identifier": exc.identifier},
                "suggestions": exc.suggestions,
            },
            status=status.HTTP_404_NOT_FOUND,
        )
    if isinstance(exc, DATABASE_UNAVAILABLE):
        return database_unavailable_response(Response)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": f"The request body is larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes allowed."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})
    return drf_exception_handler(exc, context)
