"""Turn "the database is away" into a 503 with a JSON body: the one place that does it.

It is noticed in three places, all of which answer through here: this
middleware (exceptions raised by any view), the API's exception handler
(exceptions DRF catches first) and the cached-read middleware (the data
version read before any view runs); the health check answers the same way.
"""

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

# What a lost or refused database connection raises.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
UNAVAILABLE = {"detail": "The database is unavailable; try again shortly.", "database": "unavailable"}


def database_unavailable_response(response_class=JsonResponse, **extra):
    """The 503, as a plain JsonResponse or (``response_class=rest_framework.response.Response``) a DRF one."""
    response = response_class({**UNAVAILABLE, **extra}, status=503)
    response["Retry-After"] = "5"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return database_unavailable_response()
        return None
