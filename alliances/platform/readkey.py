"""The one key of a read, shared by every cache that keeps answers (response cache, downloads, fast path).

An API read's answer is a function of:

- the data version (every write moves it) and, when the answer is about "today"
  (no ``as_of``, an organization's member count, ...), the day;
- the path;
- the representation content negotiation chose: ``json``, ``csv`` (and JSON's
  ``indent``), not the Accept header that asked for it;
- the query parameters the endpoint reads, as it reads them: a scalar
  parameter's last value (what ``QueryDict.get`` gives), a set of identifiers
  once each in any order, the statuses as the status filter parses them, page
  numbers without leading zeros, and no ``page``/``page_size`` on a CSV list,
  which streams every row (see ``QueryParametersMixin.query_readers``);
- for a JSON page, the scheme and host its ``next``/``prev`` links name.

Nothing else a request carries can change the answer of an anonymous read:
cookies other than the session cookie, Accept-Encoding (the app compresses
nothing), Accept-Language (no locale middleware). So every spelling of one
answer is one key, and one entry in each cache: a flood of spellings
(``page=1..4500`` on a CSV that ignores it, random Accept headers or cookie
names) no longer fills the caches with copies of the same answer. A parameter
the endpoint does not take gives no key (the view answers 400), nor does a
format no renderer has (404) or an Accept nothing satisfies (406).

``of_view`` computes it in a view after content negotiation; ``of_request``
and ``of_environ`` compute it before Django's view runs (the cached-read
middleware, the WSGI fast path) by resolving the URL to the same view and
negotiating with the same classes, so all three agree (tests/platform/test_cache_budget.py).
"""

import dataclasses
import datetime
import hashlib
import json
import threading
from collections import OrderedDict
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.http import Http404
from django.test.signals import setting_changed
from django.urls import Resolver404, resolve
from django.utils.http import quote_etag
from rest_framework.exceptions import NotAcceptable
from rest_framework.settings import api_settings


@dataclasses.dataclass(frozen=True, slots=True)
class Read:
    """What a read's answer depends on besides the data version and the day."""

    path: str
    format: str  # the negotiated format: "json", "csv", "api" (the browsable API, never cached)
    indent: int  # JSON's indent (``Accept: application/json; indent=4``); 0 for none
    params: tuple  # ((name, value), ...): the query as the endpoint reads it, sorted by name
    origin: str  # "scheme://host" of the page links in the answer; "" when it has none
    link_format: str  # the ``format`` the page links repeat ("" when the query named none)
    today: bool  # whether the answer depends on today's date
    secure: bool  # HTTPS (headers such as HSTS depend on it, not the body): the fast path keys on it
    spelled: bytes = dataclasses.field(init=False, compare=False, repr=False)  # the above, once, for key()

    def __post_init__(self):
        parts = [self.path, self.format, self.indent, self.params, self.origin, self.link_format]
        object.__setattr__(self, "spelled", json.dumps(parts, ensure_ascii=False).encode())

    def key(self, version):
        day = datetime.date.today().isoformat() if self.today else ""
        return hashlib.sha256(f"{version}|{day}|".encode() + self.spelled).hexdigest()

    def etag(self, version):
        """An ETag known before the answer is computed: the same key always gives the same bytes."""
        return quote_etag("v" + self.key(version)[:32])

    def url(self):
        """The canonical absolute URL of this read, for a page's links: the same for every spelling."""
        pairs = list(self.params) + ([(api_settings.URL_FORMAT_OVERRIDE, self.link_format)] if self.link_format else [])
        pairs.sort(key=lambda pair: pair[0])  # stable: a name's values keep their order
        return self.origin + self.path + ("?" + urlencode(pairs) if pairs else "")


def of_view(view, request):
    """The read a DRF view answers, once it has negotiated the format; None if it has no key."""
    return _read(view, request.accepted_renderer, request.accepted_media_type, request.query_params, request._request)


class _Negotiating:
    """What DRF's content negotiation reads of a request: the query and the headers (Accept)."""

    __slots__ = ("query_params", "META", "headers")

    def __init__(self, request):
        self.query_params = request.GET
        self.META = request.META
        self.headers = request.headers


def _read(view, renderer, media_type, query, request):
    params = view.normalised_query(query, renderer.format)
    if params is None:
        return None  # a parameter the endpoint does not take: a 400
    try:
        host = request.get_host()
    except DisallowedHost:
        return None  # a 400 too (checked here so the fast path never replays to a refused host)
    indent = renderer.get_indent(media_type, {}) if hasattr(renderer, "get_indent") else None
    origin = link_format = ""
    if view.answer_has_links(renderer.format):
        origin = f"{request.scheme}://{host}"
        if api_settings.URL_FORMAT_OVERRIDE in query:
            link_format = renderer.format
    return Read(
        path=request.path,
        format=renderer.format,
        indent=indent or 0,
        params=params,
        origin=origin,
        link_format=link_format,
        today=view.answer_depends_on_today(dict(params)),
        secure=request.is_secure(),
    )


def _of_request(request):
    """The read of a Django request, before any view runs: the URL's view, negotiated as it would."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    cls, actions = getattr(match.func, "cls", None), getattr(match.func, "actions", None)
    if cls is None or not actions or not hasattr(cls, "normalised_query") or "get" not in actions:
        return None  # not a read of an API viewset (the API root, a page)
    view = cls(**match.func.initkwargs)
    view.action, view.args, view.kwargs = actions["get"], match.args, match.kwargs
    view.format_kwarg = match.kwargs.get(api_settings.FORMAT_SUFFIX_KWARG)
    try:
        renderer, media_type = view.get_content_negotiator().select_renderer(
            _Negotiating(request), view.get_renderers(), view.format_kwarg
        )
    except (NotAcceptable, Http404):  # the view answers 406, or 404 for a format no renderer has
        return None
    return _read(view, renderer, media_type, request.GET, request)


# Computing a read resolves the URL and negotiates (~40 µs); repeats of one spelling reuse it. Bounded in
# entries, and only spellings this short are kept, so it holds at most MEMO_ENTRIES x MEMO_MAX_CHARS.
MEMO_ENTRIES = 1024
MEMO_MAX_CHARS = 2048
_RAW_INPUTS = (
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "HTTP_ACCEPT",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "wsgi.url_scheme",
)
_memo = OrderedDict()
_memo_lock = threading.Lock()


def _raw(meta):
    """Every request input a read is computed from (a pure function of these and the settings)."""
    inputs = [meta.get(name) for name in _RAW_INPUTS]
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        inputs.append(meta.get(proxy_header[0]))
    return tuple(inputs)


def _memoised(meta, make_request):
    raw = _raw(meta)
    with _memo_lock:
        if raw in _memo:
            _memo.move_to_end(raw)
            return _memo[raw]
    read = _of_request(make_request())
    if sum(len(part) for part in raw if isinstance(part, str)) <= MEMO_MAX_CHARS:
        with _memo_lock:
            _memo[raw] = read
            while len(_memo) > MEMO_ENTRIES:
                _memo.popitem(last=False)
    return read


def of_request(request):
    """The read of a Django request before its view runs (the cached-read middleware); None if it has no key."""
    return _memoised(request.META, lambda: request)


def of_environ(environ):
    """The read of a WSGI request (the fast path); a Django request is built only the first time a spelling is seen.

    On a copy of the environ: WSGIRequest replaces PATH_INFO with its decoded text, which the full
    stack, decoding it again, would turn into another path (or fail on).
    """
    return _memoised(environ, lambda: WSGIRequest(dict(environ)))


def _forget(**kwargs):
    with _memo_lock:
        _memo.clear()


# A read depends on settings too (ALLOWED_HOSTS, the renderers, ...); tests change them.
setting_changed.connect(_forget)


# How endpoints read their query parameters (see ``QueryParametersMixin.query_readers``).
def last_value(values):
    """A scalar parameter: ``QueryDict.get``, a form's text input and a serializer's field read the last value."""
    return values[-1:]


def each_once(values):
    """A set: every value counts once, in any order."""
    return sorted(set(values))
