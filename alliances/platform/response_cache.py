"""Server-side cache of read responses, keyed by the data version.

Every write bumps the data version (audit triggers), so a key that contains it
can never serve data older than the last committed write: no invalidation is
needed, and a per-process cache is as correct as a shared one. Repeats cost
one SQL query (the version) and a cache read, and skip the ORM and the
serializers entirely.

The rest of the key is the read's (alliances/platform/readkey.py): the
negotiated format and the query as the endpoint reads it, so spelling one
request in many ways (``page=`` on a CSV download, Accept headers, repeated
parameters) stores one answer. The cache itself is bounded in bytes
(``RESPONSE_CACHE_MAX_BYTES``, alliances/platform/cache.py), and an answer
larger than ``RESPONSE_CACHE_MAX_ENTRY_BYTES`` is not kept at all.
"""

import hashlib

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.utils.cache import patch_vary_headers
from django.utils.http import quote_etag

from alliances.platform import readkey
from alliances.platform.throttling import AnonThrottle
from alliances.platform.unavailable import DATABASE_UNAVAILABLE, database_unavailable_response
from alliances.store import audit, concurrency

CACHEABLE_FORMATS = {"json", "csv"}  # the browsable API's HTML differs per user
# What an API answer depends on besides the URL: the representation and who asks.
VARY = ("Accept", "Cookie", "Authorization")


def etag_of(body):
    """The ETag Django's ConditionalGetMiddleware gives a response with this body (the lost-update token too)."""
    return concurrency.token_of(body)


# The key of the read a request asked, in its WSGI environ: the fast path replays an answer only
# under the key the stack cached it under (alliances/platform/fastpath.py).
READ_KEY_ENV = "alliances.read_key"


def cache_key(read, version):
    """The response cache's key of ``read`` (a ``readkey.Read``) under ``version``."""
    return "resp3:" + read.key(version)  # resp3: entries are (body, headers), keyed by the normalised read


def mark(request, key):
    request.environ[READ_KEY_ENV] = key


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
    body, headers = hit
    response = HttpResponse(body)
    for name, value in headers:  # Content-Type, ETag, Vary, Allow: the view's own headers
        response[name] = value
    response["X-Cache"] = "hit"
    return response


def store_after_render(response, key):
    """Cache ``response`` once it is rendered (DRF renders after the view returns), if it is small enough."""

    def store(rendered):
        if rendered.status_code == 200:
            etag = etag_of(rendered.content)
            rendered["ETag"] = etag
            rendered["X-Cache"] = "miss"
            if len(rendered.content) <= settings.RESPONSE_CACHE_MAX_ENTRY_BYTES:
                headers = [(name, value) for name, value in rendered.items() if name != "X-Cache"]
                store_answer(key, rendered.content, headers)

    response.add_post_render_callback(store)


def store_answer(key, body, headers):
    caches[settings.RESPONSE_CACHE_ALIAS].set(key, (body, headers), settings.RESPONSE_CACHE_SECONDS)


class CachedReadMiddleware:
    """Answer a repeated anonymous API read from the cache before the rest of Django runs.

    Only for GET under /api/v1/ without a session cookie or an Authorization
    header, i.e. requests that are anonymous for certain. The anonymous rate
    limit is applied here exactly as the view would apply it; everything else
    (signed-in users, misses) goes on to the view, which fills the cache.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # A hit skips the middleware below this one; these add what it would have.
        self.x_frame_options = XFrameOptionsMiddleware(get_response)

    def __call__(self, request):
        response = self.respond(request)
        if request.path.startswith("/api/"):
            patch_vary_headers(response, VARY)
        return response

    def finish_hit(self, request, response):
        """The headers the middleware after this one gives a miss (the view's own come from the cache)."""
        patch_vary_headers(response, VARY)
        self.x_frame_options.process_response(request, response)
        response["Content-Length"] = str(len(response.content))
        return response

    def respond(self, request):
        if (
            request.method == "GET"
            and request.path.startswith("/api/v1/")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and "HTTP_AUTHORIZATION" not in request.META
        ):
            try:
                # The view reuses it on a miss; FastPath (config/wsgi.py) may have read it already.
                version = audit.request_version(request)
            except DATABASE_UNAVAILABLE:
                # Raised here, outside any view, DatabaseUnavailableMiddleware would not see it.
                return database_unavailable_response()
            read = readkey.of_request(request)
            if read is None or read.format not in CACHEABLE_FORMATS:  # the browsable API, a 400, ...
                return self.get_response(request)
            key = cache_key(read, version)
            mark(request, key)
            cached = lookup(key)
            if cached is None:
                request.response_cache_missed = key  # so the view does not ask the cache again
            elif AnonThrottle().allow_request(request, None):
                return self.finish_hit(request, cached)
            # A miss, or over the limit: the view answers (a 429 with Retry-After in the latter case).
        return self.get_response(request)


def version_etag(read, request, version):
    """The ETag of an answer that is streamed, so not hashed: the data version and the read's key.

    The same data version and read always give the same rows, so it is as
    strong a validator as the hash of the body, is known before the first byte,
    and is the same for every spelling of the request.
    """
    if read is not None:
        return read.etag(version)
    raw = "|".join([version, request.get_full_path(), request.META.get("HTTP_ACCEPT", "")])  # a read without a key
    return quote_etag("v" + hashlib.sha256(raw.encode()).hexdigest()[:32])


def caching_stream(chunks, key, headers_of):
    """Pass ``chunks`` on, and store the whole body under ``key`` once it is all sent, if it is small enough.

    A download larger than ``RESPONSE_CACHE_MAX_ENTRY_BYTES`` is streamed again
    from the database each time (its ETag still gives 304s); what was kept of it
    is dropped as soon as it passes the cap. ``headers_of()`` gives the response's
    headers at that point. A client that disconnects midway stores nothing.
    """
    limit = settings.RESPONSE_CACHE_MAX_ENTRY_BYTES
    kept, size = [], 0
    for chunk in chunks:
        data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
        if kept is not None:
            size += len(data)
            if size <= limit:
                kept.append(data)
            else:
                kept = None
        yield data
    if key and kept is not None:
        headers = [(name, value) for name, value in headers_of() if name != "X-Cache"]
        store_answer(key, b"".join(kept), headers)
