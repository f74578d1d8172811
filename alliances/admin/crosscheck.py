"""The gaps reports against COW IGO v3 and the World Factbook in the admin: read-only, staff only, linked
from the index.

The admin site has no model for it, so its URL is added to the site's own and the index
template (``admin/alliances/index.html``) links to it.
"""

from collections import Counter

from django.contrib import admin
from django.http import Http404, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import path

from alliances.opendata import cow, factbook, gaps
from alliances.store import audit

_differences = {}


def differences():
    """``cow.compare()`` of the current data version, kept in-process: it reads every period (~2 s)."""
    version = audit.data_version()
    if version not in _differences:
        _differences.clear()
        _differences[version] = cow.compare()
    return _differences[version]


def selection(request, classes):
    """The report's ``(country code, class)`` filters from the query (``gaps.report_filters``): a 404 for an
    unknown state; an unknown class raises ``gaps.UnknownClass`` for the view to answer 400."""
    try:
        return gaps.report_filters(request.GET.get("country") or None, request.GET.get("class") or None, classes)
    except gaps.UnknownCountry as error:
        raise Http404(str(error)) from error


def gaps_view(request):
    try:
        code, kind = selection(request, cow.CLASSES)
    except gaps.UnknownClass as error:
        return HttpResponseBadRequest(str(error))
    report = cow.gaps(code=code, kind=kind, differences=differences())
    counts = Counter(d.kind for state in report for d in (*state.lacks, *state.others))
    context = {
        **admin.site.each_context(request),
        "title": "Gaps against COW IGO v3",
        "report": report,
        "classes": [(name, meaning, counts.get(name, 0)) for name, meaning in cow.CLASSES.items()],
        "total": sum(counts.values()),
        "selected_country": code,
        "selected_class": kind,
        "cow_last_year": cow.COW_LAST_YEAR,
    }
    return TemplateResponse(request, "admin/alliances/crosscheck_gaps.html", context)


def factbook_view(request):
    try:
        code, kind = selection(request, factbook.CLASSES)
    except gaps.UnknownClass as error:
        return HttpResponseBadRequest(str(error))
    differences, unmatched = factbook.compare(code=code)
    counts = Counter(d.kind for d in differences)
    states = {}
    for d in gaps.factbook_rows(differences, kind):
        states.setdefault((d.name, d.code, d.day), []).append(d)
    context = {
        **admin.site.each_context(request),
        "title": "Gaps against the World Factbook",
        "states": [(name, state_code, day, rows) for (name, state_code, day), rows in states.items()],
        "classes": [(name, meaning, counts.get(name, 0)) for name, meaning in factbook.CLASSES.items()],
        "total": len(differences),
        "unmatched": unmatched,
        "source": factbook.source(),
        "selected_country": code,
    }
    return TemplateResponse(request, "admin/alliances/crosscheck_factbook.html", context)


_site_urls = admin.site.get_urls


def _get_urls():
    # Signed-in, active staff only.
    return [
        path("crosscheck/cow/", admin.site.admin_view(gaps_view), name="crosscheck_cow"),
        path("crosscheck/factbook/", admin.site.admin_view(factbook_view), name="crosscheck_factbook"),
        *_site_urls(),
    ]


admin.site.get_urls = _get_urls
admin.site.index_template = "admin/alliances/index.html"
