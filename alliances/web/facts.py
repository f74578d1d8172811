"""The permalink page of one period, and the citations of every page as plain text, BibTeX and CSL-JSON.

``/countries/ro/nato/2004-03-29/`` shows one period by its natural key (see
``alliances.web.cite``); ``<page>cite/?format=text|bibtex|csl-json`` answers the
citation of the page at ``<page>`` (``/cite/`` cites the whole data set). The
citation endpoints are for programs (reference managers, scripts): a bad
``format`` or ``as_of`` is a 400 and an unknown record a 404, each with a JSON body.
"""

import datetime

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from alliances import selectors
from alliances.opendata import citation
from alliances.rules import periods
from alliances.store import audit
from alliances.web import cite
from alliances.web.views import (
    STATUS_LABELS,
    base_context,
    canonical_redirect,
    country_url,
    not_found_page,
    organization_url,
    public_page,
)


class FactNotFound(LookupError):
    pass


def find_period(country, organization, start):
    """``(membership, canonical start)`` of the period of ``country`` in ``organization`` starting ``start``.

    ``start`` is the start as far as it is known ("2004-03-29", "1996"); the stored day of a
    start known to the year (1996-12-31) also finds it, so that the caller can redirect.
    """
    try:
        day, precision = periods.parse_shown(start)
    except ValueError as exc:
        raise FactNotFound(f"“{start[:40]}” is not a start date (YYYY, YYYY-MM or YYYY-MM-DD).") from exc
    candidates = list(selectors.country_memberships(country, organization=organization, statuses=None))
    for m in candidates:
        if start in (m.start_text, m.start_date.isoformat()):
            return m
    # A link made before a curator dated the start more finely ("1996", now "1996-06-01") still finds
    # its period, if only one starts within what the link names; the caller redirects to the new link.
    first, last = periods.earliest_day(day, precision), periods.latest_day(day, precision)
    within = [m for m in candidates if first <= periods.earliest_day(m.start_date, m.start_precision) <= last]
    if len(within) == 1 and within[0].start_date <= last:
        return within[0]
    raise FactNotFound(f"No period of {country.name} in {organization.acronym} starts on {start}.")


def resolve_fact(request, country_id, organization_id, start):
    """The period a permalink names; NotFound or FactNotFound when nothing does."""
    version = audit.request_version(request)
    country = selectors.country_resolve(country_id, version=version)
    organization = selectors.organization_resolve(organization_id, version=version)
    return find_period(country, organization, start)


def fact_title(m):
    status = STATUS_LABELS.get(m.status, m.status).lower()
    end = f" to {m.end_text}" if m.end_date else ", ongoing"
    return f"{m.country.name} in {m.organization.acronym}: {status} from {m.start_text}{end}"


@public_page
def fact(request, country, organization, start):
    try:
        m = resolve_fact(request, country, organization, start)
    except selectors.NotFound as error:
        return not_found_page(request, error.identifier, [error])
    except FactNotFound as error:
        context = {"title": "No such period", "message": str(error)}
        return render(request, "alliances/web/fact_not_found.html", context, status=404)
    path = cite.fact_path(m)
    if request.path != path:
        return canonical_redirect(request, path)
    today = datetime.date.today()
    title = fact_title(m)
    sources = [
        {
            "quote": c.quote,
            "title": c.source.title,
            "url": c.source.url,
            "publisher": c.source.publisher,
            "kind": c.source.get_kind_display(),
            "published": c.source.published,
        }
        for c in selectors.cited(m)
    ]
    ld = {
        "@type": "OrganizationRole",
        "name": title,
        "roleName": m.own_status or STATUS_LABELS.get(m.status, m.status),
        "startDate": m.start_text,
        **({"endDate": m.end_text} if m.end_date else {}),
        "member": {
            "@type": "Country",
            "name": m.country.name,
            "url": request.build_absolute_uri(country_url(m.country)),
        },
        "memberOf": {
            "@type": "Organization",
            "name": m.organization.name,
            "url": request.build_absolute_uri(organization_url(m.organization)),
        },
        "citation": [
            {"@type": "CreativeWork", "name": s["title"], **({"url": s["url"]} if s["url"] else {})} for s in sources
        ],
    }
    context = base_context(
        request,
        title=title,
        description=f"{title}, with the quoted sentence of its source.",
        canonical_path=path,
        ld=ld,
    )
    context.update(
        m=m,
        status_label=STATUS_LABELS.get(m.status, m.status),
        country_url=country_url(m.country),
        organization_url=organization_url(m.organization),
        sources=sources,
        today=today,
        cite=cite.block(request, title=title, page_path=path, as_of=today, version=audit.request_version(request)),
    )
    return render(request, "alliances/web/fact.html", context)


# --- citations for programs ------------------------------------------------------------------------


def _problem(status, detail, **extra):
    return JsonResponse({"detail": detail, **extra}, status=status, json_dumps_params={"ensure_ascii": False})


def _citation_response(request, title, page_path):
    fmt = request.GET.get("format", "text").strip() or "text"
    if fmt not in citation.FORMATS:
        return _problem(400, f"Unknown format “{fmt[:40]}”.", formats=list(citation.FORMATS))
    raw = request.GET.get("as_of", "").strip()
    try:  # the one reader of a day, as the pages and the API use it
        as_of = periods.parse_day(raw) if raw else periods.day_or_today()
    except periods.NotADay as exc:
        return _problem(400, str(exc))
    version = audit.request_version(request)
    url = request.build_absolute_uri(page_path) + (f"?as_of={as_of.isoformat()}" if raw else "")
    found = citation.cite(
        title=title, url=url, version=version, changed_at=citation.version_changed_at(version), as_of=as_of
    )
    response = HttpResponse(citation.render(found, fmt), content_type=citation.FORMATS[fmt])
    extension = {"text": "txt", "bibtex": "bib", "csl-json": "json"}[fmt]
    response["Content-Disposition"] = f'inline; filename="citation.{extension}"'
    return response


@public_page
def dataset_cite(request):
    return _citation_response(request, None, "/")


@public_page
def country_cite(request, identifier):
    try:
        country = selectors.country_resolve(identifier, version=audit.request_version(request))
    except selectors.NotFound as error:
        return _problem(404, error.with_hint())
    return _citation_response(request, f"{country.name}: memberships", country_url(country))


@public_page
def organization_cite(request, identifier):
    try:
        organization = selectors.organization_resolve(identifier, version=audit.request_version(request))
    except selectors.NotFound as error:
        return _problem(404, error.with_hint())
    title = f"{organization.name} ({organization.acronym}): members over time"
    return _citation_response(request, title, organization_url(organization))


@public_page
def fact_cite(request, country, organization, start):
    try:
        m = resolve_fact(request, country, organization, start)
    except selectors.NotFound as error:
        return _problem(404, error.with_hint())
    except FactNotFound as error:
        return _problem(404, str(error))
    return _citation_response(request, fact_title(m), cite.fact_path(m))
