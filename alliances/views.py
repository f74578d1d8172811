"""Plain Django views that are not part of the REST API."""

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection
from django.http import FileResponse, Http404, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse

from alliances import releases
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


def downloads(request):
    """Every release with its version, date, changelog and files (no login, no JavaScript)."""
    return render(request, "downloads/index.html", {"releases": releases.releases()})


def downloads_json(request):
    """The same list for machines, with absolute links to each file."""
    items = []
    for release in releases.releases():
        files = {
            name: request.build_absolute_uri(reverse("download-file", args=[release["version"], name]))
            for name in release["files"]
        }
        items.append({**release, "files": files})
    return JsonResponse({"current": items[0]["version"] if items else None, "releases": items})


# A release's files by suffix: the tables are CSV, the descriptor JSON, the citation in three formats.
DOWNLOAD_TYPES = {
    ".csl.json": "application/vnd.citationstyles.csl+json",
    ".json": "application/json",
    ".bib": "text/x-bibtex; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".gz": "application/gzip",  # the dyadic table: sent as the gzip file it is, not unpacked by the browser
}


def download_file(request, version, name):
    release = releases.release(version)
    if release is None or name not in release["files"]:
        raise Http404("No such release file.")
    content_type = next(
        (kind for suffix, kind in DOWNLOAD_TYPES.items() if name.endswith(suffix)), "text/csv; charset=utf-8"
    )
    path = settings.RELEASES_DIR / version / name
    try:
        handle = open(path, "rb")
    except FileNotFoundError as exc:  # a release folder damaged by hand: no such file, not a 500
        raise Http404("No such release file.") from exc
    response = FileResponse(handle, content_type=content_type)
    stem, _, ext = name.removesuffix(".gz").rpartition(".")
    ext += ".gz" if name.endswith(".gz") else ""
    response["Content-Disposition"] = f'attachment; filename="alliances-{stem}-{version}.{ext}"'
    return response


def favicon(request):
    """The public pages' icon (static, so hashed in production): resolved per request, not at import."""
    return HttpResponsePermanentRedirect(static("alliances/web/favicon.svg"))
