"""An organization's states on a day as a map: the SVG on its own, and a page other sites may frame.

``/organizations/<identifier>/map.svg?as_of=&region=europe|world`` is the picture
the organization page shows; ``/embed/organizations/<identifier>/map/`` (same
parameters) is the map with its table on a bare page for an ``<iframe>``: the one
page without ``X-Frame-Options`` and with ``frame-ancestors *`` in its
Content-Security-Policy. Every other page keeps ``frame-ancestors 'none'``.

Both answer a date that is no date or an unknown map with a 400, an unknown
organization with a 404 (JSON, like the API), and another spelling of the
organization with a 301 to the canonical URL.
"""

import datetime

from csp.decorators import csp_replace
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.clickjacking import xframe_options_exempt

from alliances import selectors
from alliances.choices import OrganizationKind
from alliances.rules import periods
from alliances.web import embed, maps
from alliances.web.views import (
    SITE_NAME,
    STATUS_LABELS,
    country_url,
    organization_url,
    public_page,
)


def _query(request):
    """``(organization, as_of, members, region, None)``, or an answer (404, 400, 301) in the last place."""
    identifier = request.resolver_match.kwargs["identifier"]
    route = request.resolver_match.view_name
    organization, answer = embed.resolve_or_redirect(request, "organization", identifier, route)
    if isinstance(answer, selectors.NotFound):
        body = {
            "detail": str(answer),
            "not_found": {"kind": answer.kind, "identifier": answer.identifier},
            "suggestions": answer.suggestions,
        }
        return None, None, None, None, JsonResponse(body, status=404)
    if answer is not None:
        return None, None, None, None, answer  # a 301 to the canonical spelling
    raw = request.GET.get("as_of", "").strip()
    try:
        as_of = periods.day_or_today(periods.parse_day(raw) if raw else None)
    except periods.NotADay as exc:
        detail = str(exc)
        return None, None, None, None, JsonResponse({"detail": detail, "as_of": [detail]}, status=400)
    region, error = maps.parse_region(request.GET.get("region"))
    if error:
        return None, None, None, None, JsonResponse({"detail": error, "region": [error]}, status=400)
    # The map needs no sources: without their prefetch the UN's 193 periods load in one query.
    members = list(selectors.organization_members(organization, as_of=as_of, statuses=None).prefetch_related(None))
    region = region or maps.default_region(
        [m.country.code for m in members], universal=organization.kind == OrganizationKind.UNIVERSAL
    )
    return organization, as_of, members, region, None


def _map(organization, members, as_of, region):
    return maps.members_map(
        organization, members, as_of=as_of, region_name=region, labels=STATUS_LABELS, country_url=country_url
    )


@public_page
def organization_map_svg(request, identifier):
    organization, as_of, members, region, answer = _query(request)
    if answer is not None:
        return answer
    found = _map(organization, members, as_of, region)
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + found["svg"]
    return HttpResponse(body, content_type="image/svg+xml; charset=utf-8")


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@public_page
def organization_map_embed(request, identifier):
    organization, as_of, members, region, answer = _query(request)
    if answer is not None:
        return answer
    found = _map(organization, members, as_of, region)
    query = {} if as_of == datetime.date.today() else {"as_of": as_of.isoformat()}
    page_url = request.build_absolute_uri(organization_url(organization))
    context = {
        "title": found["title"],
        "site_name": SITE_NAME,
        "organization": organization,
        "as_of": as_of,
        "map": {**found, "svg": mark_safe(found["svg"])},  # noqa: S308 - built by maps.py, every text escaped there
        "page_url": page_url + (f"?as_of={query['as_of']}" if query else ""),
    }
    return render(request, "alliances/web/embed_map.html", context)
