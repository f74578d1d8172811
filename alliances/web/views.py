"""Public pages: the home page, a country's timeline, an organization's members over time.

Server-rendered, no JavaScript, no login. Each page reads the data version once
(its ETag, and the version the name resolvers use, so resolving costs no other
query), reads through ``selectors`` and draws its pictures with ``svg``.
Any identifier the API takes works in the URL; other spellings than the
canonical one are redirected (301) to it.
"""

import datetime
import hashlib
import json
from collections import defaultdict

from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import condition, require_safe

from alliances import audit, selectors
from alliances.choices import MembershipStatus, OrganizationKind
from alliances.rules.periods import contains
from alliances.web import svg

STATUS_LABELS = dict(MembershipStatus.choices)
KIND_ORDER = {kind: rank for rank, kind in enumerate(OrganizationKind.values)}


def by_kind(organization):
    """Sort key: universal organizations first, informal clubs last, each kind by acronym."""
    return KIND_ORDER[organization.kind], organization.acronym.lower()


SITE_NAME = "alliances"


# --- helpers ---------------------------------------------------------------------------------------


def data_version(request):
    if not hasattr(request, "data_version"):
        request.data_version = audit.data_version()
    return request.data_version


def page_etag(request, *args, **kwargs):
    """Same data, same day, same URL: same page. One primary-key query."""
    raw = "|".join([data_version(request), datetime.date.today().isoformat(), request.get_full_path()])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def public_page(view):
    """GET/HEAD only, with an ETag from the data version (a matching If-None-Match is a 304, nothing rendered)."""
    return require_safe(condition(etag_func=page_etag)(view))


def parse_as_of(request):
    """``(day, error)``: the ``as_of`` parameter (default today), or today and a sentence when it is no date."""
    raw = request.GET.get("as_of", "").strip()
    if not raw:
        return datetime.date.today(), None
    try:
        return datetime.date.fromisoformat(raw), None
    except ValueError:
        return datetime.date.today(), f"“{raw[:40]}” is not a date (YYYY-MM-DD); showing today."


def json_ld(data):
    """JSON-LD for a ``<script type="application/ld+json">`` block: a data block, which CSP does not run."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=False)
    return mark_safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S308


def country_slug(country):
    return (getattr(country, "code", "") or country.iso2).lower()


def country_url(country):
    return reverse("web:country", args=[country_slug(country)])


def organization_url(organization):
    return reverse("web:organization", args=[organization.slug])


def canonical_redirect(request, canonical_path):
    """301 to the canonical path, keeping the query."""
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(canonical_path + (f"?{query}" if query else ""))


def suggestion_links(not_found):
    """Turn the resolvers' "Name (CODE)" suggestions into links."""
    links = []
    for label in not_found.suggestions:
        name, _, code = label.rpartition(" (")
        code = code.rstrip(")")
        kind = "web:organization" if not_found.kind == "organization" else "web:country"
        links.append({"label": name or label, "code": code, "url": reverse(kind, args=[code.lower()])})
    return links


def not_found_page(request, identifier, errors):
    suggestions = [link for error in errors for link in suggestion_links(error)]
    context = {
        "identifier": identifier,
        "kinds": " or ".join(error.kind for error in errors),
        "suggestions": suggestions,
        "title": f"Nothing found for “{identifier[:80]}”",
    }
    return render(request, "alliances/web/not_found.html", context, status=404)


def canonical_record(request, resolver, identifier, url_of):
    """``(record, its canonical path, None)``, or ``(None, None, answer)`` when the page is answered otherwise.

    That answer is the not-found page with the close names, or a permanent redirect
    to the record's canonical URL when ``identifier`` named it some other way.
    """
    try:
        record = resolver(identifier, version=data_version(request))
    except selectors.NotFound as error:
        return None, None, not_found_page(request, identifier, [error])
    canonical_path = url_of(record)
    if request.path != canonical_path:
        return None, None, canonical_redirect(request, canonical_path)
    return record, canonical_path, None


def base_context(request, *, title, description, canonical_path, ld):
    return {
        "title": title,
        "description": description,
        "canonical": request.build_absolute_uri(canonical_path),
        "json_ld": json_ld({"@context": "https://schema.org", **ld}),
        "site_name": SITE_NAME,
    }


# --- pages -----------------------------------------------------------------------------------------


@public_page
def home(request):
    as_of, error = parse_as_of(request)
    organizations = sorted(selectors.organization_list(as_of=as_of), key=by_kind)
    dataset_url = request.build_absolute_uri(reverse("web:home"))
    ld = {
        "@type": "Dataset",
        "name": "alliances: international organizations and their member states, with dated, sourced periods",
        "description": (
            "Who is (and was) a member, candidate, partner or observer of "
            + ", ".join(o.acronym for o in organizations)
            + " on any day, each period dated and supported by a quoted sentence of its source."
        ),
        "url": dataset_url,
        "keywords": ["international organizations", "membership", "NATO", "European Union", "alliances"],
        "temporalCoverage": f"{min((o.founded for o in organizations), default=as_of).isoformat()}/..",
        "isAccessibleForFree": True,
        "distribution": [
            {
                "@type": "DataDownload",
                "encodingFormat": "text/csv",
                "contentUrl": request.build_absolute_uri("/api/v1/memberships/?format=csv"),
            },
            {
                "@type": "DataDownload",
                "encodingFormat": "application/json",
                "contentUrl": request.build_absolute_uri("/api/v1/memberships/"),
            },
        ],
    }
    context = base_context(
        request,
        title="International organizations and their members, day by day",
        description=(
            f"Members of {', '.join(o.acronym for o in organizations)} on any day since 1949: "
            "dated membership periods, each with the quoted sentence of its source."
        ),
        canonical_path=reverse("web:home"),
        ld=ld,
    )
    for o in organizations:
        o.url = organization_url(o)
    context.update(
        organizations=organizations,
        as_of=as_of,
        is_today=as_of == datetime.date.today(),
        as_of_error=error,
        query=request.GET.get("q", ""),
    )
    return render(request, "alliances/web/home.html", context, status=400 if error else 200)


@require_safe
def search(request):
    """Send a name, code or alias to its page; otherwise a 404 page with the close names."""
    query = request.GET.get("q", "").strip()
    if not query:
        return HttpResponseRedirect(reverse("web:home"))
    version = data_version(request)
    errors = []
    for resolve, url in ((selectors.organization_resolve, organization_url), (selectors.country_resolve, country_url)):
        try:
            return HttpResponseRedirect(url(resolve(query, version=version)))
        except selectors.NotFound as error:
            errors.append(error)
    return not_found_page(request, query, errors)


def _citations(membership):
    return [
        {"quote": c.quote, "source": c.source.title, "url": c.source.url, "publisher": c.source.publisher}
        for c in selectors.cited(membership)
    ]


@public_page
def country(request, identifier):
    country, canonical_path, answer = canonical_record(request, selectors.country_resolve, identifier, country_url)
    if answer is not None:
        return answer

    today = datetime.date.today()
    periods = selectors.country_timeline(country)
    rows = []
    for m in periods:
        rows.append(
            {
                "organization": m.organization,
                "organization_url": organization_url(m.organization),
                "status": m.status,
                "status_label": STATUS_LABELS.get(m.status, m.status),
                "start": m.start_date,
                "end": m.end_date,
                "start_text": m.start_text,  # as far as known: never a day that is not
                "end_text": m.end_text,
                "founding": m.founding,
                "note": m.note,
                "current": contains(m.start_date, m.end_date, today),
                "citations": _citations(m),
            }
        )
    # Today's groups by kind: thirty of them stay readable on a phone.
    current = sorted((r for r in rows if r["current"]), key=lambda r: by_kind(r["organization"]))
    picture = None
    if rows:
        bars = [
            svg.Bar(
                row=r["organization"].acronym,
                status=r["status"],
                start=r["start"],
                end=r["end"],
                label=(
                    f"{r['organization'].acronym}: {r['status_label'].lower()} from {r['start_text']}"
                    f"{', ongoing' if r['end'] is None else ' to ' + r['end_text']}"
                ),
                href=r["organization_url"],
            )
            for r in rows
        ]
        organizations = list(dict.fromkeys(r["organization"].acronym for r in rows))
        picture = mark_safe(  # noqa: S308 - built by svg.py, every text escaped there
            svg.timeline(
                bars,
                title=f"{country.name}: every period in every organization",
                desc=(
                    f"Timeline of {len(rows)} period(s) of {country.name} in {', '.join(organizations)}, "
                    "coloured and patterned by status. The table below lists the same periods."
                ),
                today=today,
                labels=STATUS_LABELS,
            )
        )
    groups_today = ", ".join(r["organization"].acronym for r in current if r["status"] == MembershipStatus.MEMBER)
    description = (
        f"{country.name}: member of {groups_today or 'none of the recorded organizations'} today; "
        f"{len(rows)} dated period(s) in {len({r['organization'].pk for r in rows})} organization(s), "
        "each with the quoted sentence of its source."
    )
    ld = {
        "@type": "Country",
        "name": country.name,
        "alternateName": [n for n in [country.official_name, *getattr(country, "alias_names", [])] if n],
        "identifier": getattr(country, "code", "") or country.iso2,
        "url": request.build_absolute_uri(canonical_path),
        "memberOf": [
            {
                "@type": "Organization",
                "name": r["organization"].name,
                "url": request.build_absolute_uri(r["organization_url"]),
            }
            for r in current
            if r["status"] == MembershipStatus.MEMBER
        ],
    }
    context = base_context(
        request, title=f"{country.name}: memberships", description=description, canonical_path=canonical_path, ld=ld
    )
    context.update(
        country=country,
        country_code=getattr(country, "code", "") or country.iso2,
        rows=rows,
        current=current,
        picture=picture,
        today=today,
        successions=country_successions(country),
    )
    return render(request, "alliances/web/country.html", context)


def country_successions(country):
    """Predecessor and successor states, each with its page's URL and the kind of succession in words."""
    found = selectors.country_successions(country)
    links = {"predecessors": [], "successors": []}
    for key, other in (("predecessors", "predecessor"), ("successors", "successor")):
        for s in found[key]:
            state = getattr(s, other)
            links[key].append(
                {"country": state, "url": country_url(state), "date": s.date, "kind": s.get_kind_display()}
            )
    return links


@public_page
def organization(request, identifier):
    organization, canonical_path, answer = canonical_record(
        request, selectors.organization_resolve, identifier, organization_url
    )
    if answer is not None:
        return answer

    today = datetime.date.today()
    as_of, error = parse_as_of(request)
    members = list(selectors.organization_members(organization, as_of=as_of, statuses=None))
    by_status = defaultdict(list)
    for m in members:
        m.country_url = country_url(m.country)
        by_status[m.status].append(m)
    member_groups = [
        {"status": s, "label": STATUS_LABELS.get(s, s), "members": by_status[s]}
        for s in sorted(by_status, key=svg.status_rank)
    ]
    series = selectors.member_count_series(organization)
    changes = selectors.organization_changes(
        organization, date_from=organization.earliest_founding, date_to=datetime.date.max
    )
    change_rows = [
        {
            "date": day,
            "date_text": m.start_text if change == "joined" else m.end_text,
            "change": change,
            "country": m.country,
            "country_url": country_url(m.country),
            "status_label": STATUS_LABELS.get(m.status, m.status),
        }
        for day, change, m in changes
    ]
    series_rows = [
        {
            "day": day,
            "counts": [counts.get(s, 0) for s in sorted({s for _, c in series for s in c}, key=svg.status_rank)],
        }
        for day, counts in series
    ]
    series_statuses = [STATUS_LABELS.get(s, s) for s in sorted({s for _, c in series for s in c}, key=svg.status_rank)]
    picture = None
    if series:
        picture = mark_safe(  # noqa: S308 - built by svg.py, every text escaped there
            svg.step_chart(
                series,
                title=f"{organization.acronym}: number of states by status over time",
                desc=(
                    f"Step chart of how many states were members (and candidates, partners or observers) of "
                    f"{organization.name} from {series[0][0].year} to today, changing on {len(series)} day(s). "
                    "The table below lists the same numbers."
                ),
                today=today,
                labels=STATUS_LABELS,
            )
        )
    member_count = len(by_status.get(MembershipStatus.MEMBER, []))
    canonical_url = request.build_absolute_uri(canonical_path)
    ld = {
        "@type": "Organization",
        "name": organization.name,
        "alternateName": [organization.acronym, *getattr(organization, "alias_names", [])],
        "url": canonical_url,
        "foundingDate": organization.founded_text,
        **({"dissolutionDate": organization.dissolved.isoformat()} if organization.dissolved else {}),
        **({"sameAs": [organization.website]} if organization.website else {}),
        "description": organization.description,
        "member": [
            {"@type": "Country", "name": m.country.name, "url": request.build_absolute_uri(m.country_url)}
            for m in by_status.get(MembershipStatus.MEMBER, [])
        ],
    }
    context = base_context(
        request,
        title=f"{organization.name} ({organization.acronym}): members over time",
        description=(
            f"{organization.acronym} had {member_count} member states on {as_of.isoformat()}. "
            f"Its members over time since {organization.founded.year}, every accession and departure, with sources."
        ),
        canonical_path=canonical_path,
        ld=ld,
    )
    context.update(
        organization=organization,
        as_of=as_of,
        is_today=as_of == today,
        as_of_error=error,
        member_groups=member_groups,
        member_count=member_count,
        picture=picture,
        series_rows=series_rows,
        series_statuses=series_statuses,
        changes=change_rows,
        today=today,
    )
    return render(request, "alliances/web/organization.html", context, status=400 if error else 200)
