"""Server-side cache of read responses, keyed by the data version.

Every write bumps the data version (audit triggers), so a key that contains it
can never serve data older than the last committed write: no invalidation is
needed, and a per-process cache is as correct as a shared one. Repeats cost
one SQL query (the version) and a cache read, and skip the ORM and the
serializers entirely.
"""

import datetime
import hashlib

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.utils.http import quote_etag

CACHEABLE_FORMATS = {"json", "csv"}  # the browsable API's HTML differs per user


def etag_of(body):
    """The ETag Django's ConditionalGetMiddleware gives a response with this body."""
    return quote_etag(hashlib.md5(body, usedforsecurity=False).hexdigest())


def cache_key(request, version):
    # Today's date is part of the key: without `as_of`, answers are for today.
    raw = "|".join(
        [version, datetime.date.today().isoformat(), request.accepted_renderer.format, request.get_full_path()]
    )
    return "resp:" + hashlib.sha256(raw.encode()).hexdigest()


def cacheable(request):
    return (
        request.method == "GET"
        and getattr(request, "accepted_renderer", None) is not None
        and (request.accepted_renderer.format in CACHEABLE_FORMATS)
    )


def lookup(key):
    hit = caches[settings.RESPONSE_CACHE_ALIAS].get(key)
    if hit is None:
        return None
    body, content_type, etag = hit
    response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    response["X-Cache"] = "hit"
    return response


def store_after_render(response, key):
    """Cache ``response`` once it is rendered (DRF renders after the view returns)."""

    def store(rendered):
        if rendered.status_code == 200:
            etag = etag_of(rendered.content)
            rendered["ETag"] = etag
            rendered["X-Cache"] = "miss"
            caches[settings.RESPONSE_CACHE_ALIAS].set(
                key, (rendered.content, rendered["Content-Type"], etag), settings.RESPONSE_CACHE_SECONDS
            )

    response.add_post_render_callback(store)
