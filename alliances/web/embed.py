"""The charts on their own: downloads (SVG, PNG) and embed views that other sites may frame.

- ``/organizations/<identifier>/chart.svg`` and ``.png``, ``/countries/<identifier>/timeline.svg``
  and ``.png``: the chart as a file, with its title, the data version and the source inside
  the image (``charts``). The PNG is the same SVG rasterised on the server by CairoSVG at twice
  the size, so a file pasted into a slide or a document is sharp and carries its attribution.
- ``/embed/organizations/<identifier>/chart/`` and ``/embed/countries/<identifier>/timeline/``:
  a minimal page with the chart, its title, a link back and the attribution. These two views,
  and no other, may be framed by any site: ``xframe_options_exempt`` drops the
  ``X-Frame-Options: DENY`` header and ``csp_replace`` sets ``frame-ancestors *`` on their
  responses only, while every other page keeps the site-wide ``'none'``.

Each honours ``?as_of=`` (a dashed line on the chosen day) and answers a bad one with a 400,
an unknown identifier with a 404 (JSON for the files, a short page for the embeds), and
another spelling of a known one with a 301 to the canonical URL. Like the pages, each has an
ETag from the data version.
"""

import datetime

import cairosvg
from csp.decorators import csp_replace
from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt

from alliances import selectors
from alliances.rules import periods
from alliances.store import audit
from alliances.web import charts, views

PNG_SCALE = 2  # 1,440 px wide: sharp on a high-density screen and in print


def framable(view):
    """Any site may frame this view (and only this one): no X-Frame-Options, CSP ``frame-ancestors *``."""
    return xframe_options_exempt(csp_replace({"frame-ancestors": ["*"]})(view))


def parse_as_of(request):
    """``(day or None, error)``: ``as_of`` when given, ``None`` when not, an error sentence when it is no date."""
    raw = request.GET.get("as_of", "").strip()
    if not raw:
        return None, None
    try:
        return periods.parse_day(raw), None
    except periods.NotADay as exc:
        return None, str(exc)


def resolve_or_redirect(request, kind, identifier, route):
    """``(record, None)``, or ``(None, answer)``: a 404, or a 301 to the canonical spelling of this route."""
    resolver = selectors.organization_resolve if kind == "organization" else selectors.country_resolve
    try:
        record = resolver(identifier, version=audit.request_version(request))
    except selectors.NotFound as error:
        return None, error
    slug = record.slug if kind == "organization" else views.country_slug(record)
    canonical = reverse(route, args=[slug])
    if request.path != canonical:
        return None, views.canonical_redirect(request, canonical)
    return record, None


def _json(body, status):
    """A JSON error as the API words it, its quotation marks kept as they are."""
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _record_and_day(request, kind, identifier, route):
    """The record and the chosen day, or the answer that replaces the file: JSON 404 or 400, or a redirect."""
    record, answer = resolve_or_redirect(request, kind, identifier, route)
    if isinstance(answer, selectors.NotFound):
        body = {"detail": str(answer), "suggestions": answer.suggestions}
        return None, None, _json(body, 404)
    if answer is not None:
        return None, None, answer
    as_of, error = parse_as_of(request)
    if error:
        return None, None, _json({"detail": error, "parameter": "as_of"}, 400)
    return record, as_of, None


def _notes(request, page_path, as_of, today):
    return charts.attribution(
        version=audit.request_version(request),
        as_of=as_of,
        today=today,
        page_url=request.build_absolute_uri(page_path),
    )


def _png_key(request):
    """The PNG's key in the response cache: the page ETag's ingredients (data version, today, the full path)."""
    return f"chart-png:{views.page_etag(request)}"


def _file(request, draw, *, fmt, filename):
    """The chart as a file: the SVG ``draw()`` returns, or its PNG rendering on a white background.

    Rasterising takes a tenth to a fifth of a second of CPU, against a few milliseconds for the
    SVG, so each PNG is kept in the response cache under its data version, day and URL: an
    embedded chart's image asked for by many readers is drawn once per version and day.
    """
    if fmt == "png":
        cache = caches[settings.RESPONSE_CACHE_ALIAS]
        body = cache.get(_png_key(request))
        if body is None:
            markup = draw()
            if markup is None:
                return None
            body = cairosvg.svg2png(bytestring=markup.encode(), scale=PNG_SCALE, background_color="white")
            cache.set(_png_key(request), body)
        response = HttpResponse(body, content_type="image/png")
    else:
        markup = draw()
        if markup is None:
            return None
        response = HttpResponse('<?xml version="1.0" encoding="UTF-8"?>\n' + markup, content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="{filename}.{fmt}"'
    return response


def _stem(slug, what, as_of, today):
    return f"{slug}-{what}-{(as_of or today).isoformat()}"


def _no_chart(name):
    return _json({"detail": f"No period is recorded for {name}, so there is no chart."}, 404)


@views.public_page
def organization_chart_file(request, identifier, fmt):
    route = f"web:organization-chart-{fmt}"
    organization, as_of, answer = _record_and_day(request, "organization", identifier, route)
    if answer is not None:
        return answer
    today = datetime.date.today()
    notes = _notes(request, views.organization_url(organization), as_of, today)
    response = _file(
        request,
        lambda: charts.organization_standalone(organization, today=today, as_of=as_of, notes=notes),
        fmt=fmt,
        filename=_stem(organization.slug, "members", as_of, today),
    )
    return response or _no_chart(organization.acronym)


@views.public_page
def country_timeline_file(request, identifier, fmt):
    route = f"web:country-timeline-{fmt}"
    country, as_of, answer = _record_and_day(request, "country", identifier, route)
    if answer is not None:
        return answer
    today = datetime.date.today()
    notes = _notes(request, views.country_url(country), as_of, today)

    def draw():
        periods = selectors.country_timeline(country)
        return charts.country_standalone(
            country, periods, views.organization_url, today=today, as_of=as_of, notes=notes
        )

    response = _file(request, draw, fmt=fmt, filename=_stem(views.country_slug(country), "timeline", as_of, today))
    return response or _no_chart(country.name)


# --- embeds ----------------------------------------------------------------------------------------


def _embed_page(request, *, heading, page_path, picture, files, as_of, today, status=200, error=None):
    query = f"?as_of={as_of.isoformat()}" if as_of else ""
    context = {
        "title": heading,
        "heading": heading,
        "page_url": request.build_absolute_uri(page_path + query),
        "site_url": request.build_absolute_uri(reverse("web:home")),
        "site_name": charts.SITE_NAME,
        "picture": picture,
        "svg_url": files[0] + query,
        "png_url": files[1] + query,
        "version": audit.request_version(request),
        "as_of": as_of if as_of and as_of != today else None,
        "license": settings.DATASET_LICENSE,
        "error": error,
    }
    return render(request, "alliances/web/embed.html", context, status=status)


def _embed_problem(request, status, message):
    context = {"title": message, "heading": message, "site_name": charts.SITE_NAME, "error": message}
    context["site_url"] = request.build_absolute_uri(reverse("web:home"))
    return render(request, "alliances/web/embed.html", context, status=status)


@framable
@views.public_page
def organization_chart_embed(request, identifier):
    organization, answer = resolve_or_redirect(request, "organization", identifier, "web:organization-chart-embed")
    if isinstance(answer, selectors.NotFound):
        return _embed_problem(request, 404, answer.with_hint())
    if answer is not None:
        return answer
    today = datetime.date.today()
    as_of, error = parse_as_of(request)
    picture = charts.organization_inline(organization, today=today, as_of=as_of)
    slug = organization.slug
    return _embed_page(
        request,
        heading=f"{organization.name} ({organization.acronym}): number of states over time",
        page_path=views.organization_url(organization),
        picture=picture,
        files=[reverse(f"web:organization-chart-{fmt}", args=[slug]) for fmt in ("svg", "png")],
        as_of=as_of,
        today=today,
        status=400 if error else 200,
        error=error and f"{error} The chart is shown without a chosen day.",
    )


@framable
@views.public_page
def country_timeline_embed(request, identifier):
    country, answer = resolve_or_redirect(request, "country", identifier, "web:country-timeline-embed")
    if isinstance(answer, selectors.NotFound):
        return _embed_problem(request, 404, answer.with_hint())
    if answer is not None:
        return answer
    today = datetime.date.today()
    as_of, error = parse_as_of(request)
    periods = selectors.country_timeline(country)
    picture = charts.country_inline(country, periods, views.organization_url, today=today, as_of=as_of)
    slug = views.country_slug(country)
    return _embed_page(
        request,
        heading=f"{country.name}: every period in every organization",
        page_path=views.country_url(country),
        picture=picture,
        files=[reverse(f"web:country-timeline-{fmt}", args=[slug]) for fmt in ("svg", "png")],
        as_of=as_of,
        today=today,
        status=400 if error else 200,
        error=error and f"{error} The chart is shown without a chosen day.",
    )
