"""Turn "the database is away" into a 503 with a JSON body, wherever it is noticed."""

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

UNAVAILABLE = {"detail": "The database is unavailable; try again shortly.", "database": "unavailable"}


def database_unavailable_response():
    response = JsonResponse(UNAVAILABLE, status=503)
    response["Retry-After"] = "5"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            return database_unavailable_response()
        return None
