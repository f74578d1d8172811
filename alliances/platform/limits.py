"""Refuse an oversized upload from its declared length, before any of it is read.

Django caps urlencoded and JSON bodies (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams
multipart file parts to memory or disk whatever their size; the admin's CSV import
is the only upload, and MAX_UPLOAD_BYTES bounds it.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse


def _refuse(request, status, message):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class UploadSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not declared.isascii() or not declared.isdigit() or len(declared) > 18:
            return _refuse(request, 400, "The Content-Length header is not a number of bytes.")
        if request.content_type == "multipart/form-data" and int(declared) > settings.MAX_UPLOAD_BYTES:
            return _refuse(request, 413, f"The upload is larger than the {settings.MAX_UPLOAD_BYTES} bytes accepted.")
        return self.get_response(request)


class NulCharacterMiddleware:
    """A query parameter with a NUL character is a 400, on every page, before any query runs.

    No identifier, filter value or search term contains one, and PostgreSQL refuses it in a
    text parameter: an admin list filter (``?status__exact=%00``) or the autocomplete's
    ``term`` turned it into a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if ("%00" in query or "\x00" in query) and any(
            "\x00" in name or any("\x00" in value for value in request.GET.getlist(name)) for name in request.GET
        ):
            return _refuse(request, 400, "A query parameter contains a NUL character, which no value may contain.")
        return self.get_response(request)
