"""The service's own pages: the health check (``/healthz``) and the icon browsers ask for."""

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static

from alliances.platform.cache import RedisCache
from alliances.platform.unavailable import database_unavailable_response


def cache_status():
    """ "ok" when every configured cache answers now, else "unavailable".

    A Redis cache is pinged (a short timeout; the answer also closes or opens
    its circuit breaker); a database cache is read, which fails if its table is missing.
    """
    for alias in settings.CACHES:
        backend = caches[alias]
        try:
            if isinstance(backend, RedisCache):
                if not backend.ping():
                    return "unavailable"
            else:
                backend.get("healthz:probe")
        except DatabaseError:
            return "unavailable"
    return "ok"


def healthz(request):
    """The database and the cache, reported separately, for load balancers and monitors.

    503 when the database is away (nothing can be answered); 200 "degraded"
    when only the cache is (reads answer from the database and a local cache).
    """
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return database_unavailable_response(status="unavailable")
    cache = cache_status()
    return JsonResponse({"status": "ok" if cache == "ok" else "degraded", "database": "ok", "cache": cache})


def favicon(request):
    """The public pages' icon (static, so hashed in production): resolved per request, not at import."""
    return HttpResponsePermanentRedirect(static("alliances/web/favicon.svg"))
