"""The downloads: the releases (``/downloads/``, ``/downloads.json``) and the current data's files
(``/downloads/latest/``)."""

import datetime
import hashlib

from django.conf import settings
from django.http import FileResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import http_date

from alliances.opendata import latest, releases
from alliances.web.views import SITE_NAME


def downloads(request):
    """The current data's files and every release with its version, date, changelog and files.

    In the site's own layout (no login, no JavaScript). The current data comes first, so
    a fresh install, with no release yet, still offers every file.
    """
    package = latest.current()
    context = {
        "title": "Downloads",
        "description": "The whole alliances data set as files: a Frictionless Data Package and a COW IGO "
        "country-year panel, for the current data and every release, with changelogs.",
        "canonical": request.build_absolute_uri(reverse("downloads")),
        "site_name": SITE_NAME,
        "latest": package,
        "releases": releases.releases(),
    }
    return render(request, "downloads/index.html", context)


def downloads_json(request):
    """The same list for machines, with absolute links to each file; ``latest`` is always there."""
    package = latest.current()
    items = []
    for release in releases.releases():
        files = {
            name: request.build_absolute_uri(reverse("download-file", args=[release["version"], name]))
            for name in release["files"]
        }
        items.append({**release, "files": files})
    current = {
        "version": package.version,
        "created": package.created,
        "released": package.release,
        "url": request.build_absolute_uri(reverse("download-latest")),
        "files": {
            name: request.build_absolute_uri(reverse("download-latest-file", args=[name])) for name in package.files
        },
    }
    return JsonResponse({"current": items[0]["version"] if items else None, "latest": current, "releases": items})


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
        return no_such_file(request, "No such release or file.")
    # A release never changes: a day's caching anywhere is safe.
    return file_response(settings.RELEASES_DIR / version, name, version, release["created"], "public, max-age=86400")


def download_latest(request):
    """``/downloads/latest/``: the current data's files (built on the first request of a data version)."""
    return downloads(request)


def download_latest_file(request, name):
    """``/downloads/latest/<file>``: always the current data; revalidated on every use (ETag, Last-Modified)."""
    package = latest.current()
    if package.path(name) is None:
        return no_such_file(request, "No such file in the current data.", package.files)
    return file_response(package.directory, name, package.version, package.created, "public, no-cache")


def no_such_file(request, detail, files=()):
    """A 404 a program can read (scripts fetch downloads more than people do): JSON, with the files there are."""
    body = {"detail": detail}
    if files:
        body["files"] = [request.build_absolute_uri(reverse("download-latest-file", args=[name])) for name in files]
    return JsonResponse(body, status=404)


def file_response(directory, name, version, created, cache_control):
    """One file of a package, as an attachment named by the data version, with validators.

    The ETag names the version, the package's creation time and the file: a package rebuilt
    for the same version (its ``created`` differs) is a new entity. ConditionalGetMiddleware
    answers a matching ``If-None-Match`` or ``If-Modified-Since`` with a 304.
    """
    content_type = next(
        (kind for suffix, kind in DOWNLOAD_TYPES.items() if name.endswith(suffix)), "text/csv; charset=utf-8"
    )
    try:
        handle = open(directory / name, "rb")
    except FileNotFoundError:  # a release folder damaged by hand: no such file, not a 500
        return JsonResponse({"detail": "No such release file."}, status=404)
    response = FileResponse(handle, content_type=content_type)
    stem, _, ext = name.removesuffix(".gz").rpartition(".")
    ext += ".gz" if name.endswith(".gz") else ""
    response["Content-Disposition"] = f'attachment; filename="alliances-{stem}-{version}.{ext}"'
    response["ETag"] = '"' + hashlib.sha256(f"{version}|{created}|{name}".encode()).hexdigest()[:32] + '"'
    modified = datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))
    response["Last-Modified"] = http_date(modified.timestamp())
    response["Cache-Control"] = cache_control
    return response
