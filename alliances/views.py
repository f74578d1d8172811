"""Plain Django views that are not part of the REST API."""

from django.db import DatabaseError, connection
from django.http import JsonResponse

from alliances.platform.unavailable import database_unavailable_response


def healthz(request):
    """Liveness and database connectivity, for load balancers and monitors."""
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return database_unavailable_response()
    return JsonResponse({"status": "ok", "database": "ok"})
