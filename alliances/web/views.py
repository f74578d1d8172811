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
from urllib.parse import urlencode

from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import condition, require_safe

from alliances import selectors
from alliances.choices import MembershipStatus, OrganizationKind
from alliances.opendata import citation
from alliances.rules import periods
from alliances.rules.periods import contains
from alliances.store import audit
from alliances.web import charts, cite, maps, svg
from alliances.web.cite import country_slug, fact_path

STATUS_LABELS = dict(MembershipStatus.choices)
KIND_ORDER = {kind: rank for rank, kind in enumerate(OrganizationKind.values)}


def by_kind(organization):
    """Sort key: universal organizations first, informal clubs last, each kind by acronym."""
    return KIND_ORDER[organization.kind], organization.acronym.lower()


SITE_NAME = "alliances"


# --- helpers ---------------------------------------------------------------------------------------


def page_etag(request, *args, **kwargs):
    """Same data, same day, same URL: same page. One primary-key query."""
    raw = "|".join([audit.request_version(request), datetime.date.today().isoformat(), request.get_full_path()])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def public_page(view):
    """GET/HEAD only, with an ETag from the data version (a matching If-None-Match is a 304, nothing rendered)."""
    return require_safe(condition(etag_func=page_etag)(view))


def parse_as_of(request):
    """``(day, error)``: the ``as_of`` parameter (default today), or today and a sentence when it is no date."""
    raw = request.GET.get("as_of", "").strip()
    if not raw:
        return periods.day_or_today(), None
    try:
        return periods.parse_day(raw), None
    except periods.NotADay as exc:
        return periods.day_or_today(), f"{exc} Showing today."


def json_ld(data):
    """JSON-LD for a ``<script type="application/ld+json">`` block: a data block, which CSP does not run."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=False)
    return mark_safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S308


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
        record = resolver(identifier, version=audit.request_version(request))
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
        "data_version": audit.request_version(request),
        "data_changed_at": citation.version_changed_at(audit.request_version(request)),
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
        # A count of 0 for the Warsaw Pact reads as "nobody joined": say what happened instead.
        o.dissolved_by_then = o.dissolved is not None and o.dissolved <= as_of
        o.dormant_by_then = o.dormant_since is not None and o.dormant_since <= as_of
    context.update(
        organizations=organizations,
        as_of=as_of,
        is_today=as_of == datetime.date.today(),
        as_of_error=error,
        query=request.GET.get("q", ""),
        cite=cite.block(
            request, title=None, page_path=reverse("web:home"), as_of=as_of, version=audit.request_version(request)
        ),
    )
    return render(request, "alliances/web/home.html", context, status=400 if error else 200)


@require_safe
def search(request):
    """Send a name, code or alias to its page; otherwise a 404 page with the close names."""
    query = request.GET.get("q", "").strip()
    if not query:
        return HttpResponseRedirect(reverse("web:home"))
    version = audit.request_version(request)
    errors = []
    try:
        return HttpResponseRedirect(organization_url(selectors.organization_resolve(query, version=version)))
    except selectors.NotFound as error:
        errors.append(error)
    candidates = selectors.countries_sharing_name(query, version=version)
    if candidates:  # "Congo": two states; ask which rather than pick one
        return choice_page(request, query, candidates)
    try:
        return HttpResponseRedirect(country_url(selectors.country_resolve(query, version=version)))
    except selectors.NotFound as error:
        errors.append(error)
    return not_found_page(request, query, errors)


def choice_page(request, query, countries):
    """The states a name could mean, each with its official name and a link to its page."""
    context = {
        "title": f"Which “{query[:80]}”?",
        "query": query,
        "candidates": [{"country": c, "url": country_url(c)} for c in countries],
    }
    return render(request, "alliances/web/choose.html", context)


def _citations(membership):
    return [
        {"quote": c.quote, "source": c.source.title, "url": c.source.url, "publisher": c.source.publisher}
        for c in selectors.cited(membership)
    ]


def country_rows(periods, day, country):
    """The periods of a state as the page's rows; ``current``: held on ``day``; ``holder``: the state it
    continues that held the period (the USSR, on Russia's page), else None."""
    rows = []
    for m in periods:
        rows.append(
            {
                "organization": m.organization,
                "holder": m.country if m.country_id != country.pk else None,
                "organization_url": organization_url(m.organization),
                "fact_url": fact_path(m),
                "status": m.status,
                "status_label": STATUS_LABELS.get(m.status, m.status),
                "start": m.start_date,
                "end": m.end_date,
                "start_text": m.start_text,  # as far as known: never a day that is not
                "end_text": m.end_text,
                "founding": m.founding,
                "current": contains(m.start_date, m.end_date, day),
                "citations": _citations(m),
            }
        )
    return rows


@public_page
def country(request, identifier):
    country, canonical_path, answer = canonical_record(request, selectors.country_resolve, identifier, country_url)
    if answer is not None:
        return answer

    today = datetime.date.today()
    as_of, error = parse_as_of(request)
    periods = list(selectors.country_timeline(country))
    # The curator's note of a period is working material (which pages were searched, what is left to
    # check): the admin shows it, the public page shows the period, its quote and its source.
    rows = country_rows(periods, as_of, country)
    # The groups on the day asked about, by kind: thirty of them stay readable on a phone.
    current = sorted((r for r in rows if r["current"]), key=lambda r: by_kind(r["organization"]))
    ceased = None
    if country.exists_to is not None and country.exists_to < as_of:
        # A former state: what it was in on its last day, rather than "in none of the organizations".
        at_end = [r for r in country_rows(periods, country.exists_to, country) if r["current"]]
        ceased = {"date": country.exists_to, "rows": sorted(at_end, key=lambda r: by_kind(r["organization"]))}
    not_yet = country.exists_from is not None and as_of < country.exists_from
    # Groups it has left (or that have ended) by then, by kind, folded under the day's: each with its last period.
    current_ids = {r["organization"].pk for r in current}
    last_rows = {
        r["organization"].pk: r for r in rows if r["organization"].pk not in current_ids and r["start"] <= as_of
    }
    ended = sorted(last_rows.values(), key=lambda r: by_kind(r["organization"]))
    picture = charts.country_inline(country, periods, organization_url, today=today, as_of=as_of)
    share = picture and charts.share(
        request,
        embed_route="web:country-timeline-embed",
        file_routes=("web:country-timeline-svg", "web:country-timeline-png"),
        slug=country_slug(country),
        title=charts.timeline_title(country),
        inline=picture,
    )
    groups_today = ", ".join(r["organization"].acronym for r in current if r["status"] == MembershipStatus.MEMBER)
    on_day = "today" if as_of == today else f"on {as_of.isoformat()}"
    if ceased and not groups_today:
        in_words = f"a state until {ceased['date'].isoformat()}"
    else:
        in_words = f"member of {groups_today or 'none of the recorded organizations'} {on_day}"
    description = (
        f"{country.name}: {in_words}; "
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
        ended=ended,
        picture=picture,
        share=share,
        today=today,
        as_of=as_of,
        is_today=as_of == today,
        as_of_error=error,
        ceased=ceased,
        not_yet=not_yet,
        successions=country_successions(country),
        cite=cite.block(
            request,
            title=f"{country.name}: memberships",
            page_path=canonical_path,
            as_of=as_of,
            version=audit.request_version(request),
        ),
    )
    return render(request, "alliances/web/country.html", context, status=400 if error else 200)


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
        m.fact_url = fact_path(m)
        m.sources = _citations(m)  # the quote and source link of each member's period, on the page
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
            "fact_url": fact_path(m),
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
    picture = charts.organization_inline(organization, today=today, as_of=as_of, series=series)
    share = picture and charts.share(
        request,
        embed_route="web:organization-chart-embed",
        file_routes=("web:organization-chart-svg", "web:organization-chart-png"),
        slug=organization.slug,
        title=charts.step_title(organization),
        inline=picture,
        as_of=None if as_of == today else as_of,
    )
    member_count = len(by_status.get(MembershipStatus.MEMBER, []))
    map_section = organization_map(request, organization, members, as_of=as_of)
    life = organization_life(organization, as_of)
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
        share=share,
        series_rows=series_rows,
        series_statuses=series_statuses,
        changes=change_rows,
        today=today,
        cite=cite.block(
            request,
            title=f"{organization.name} ({organization.acronym}): members over time",
            page_path=canonical_path,
            as_of=as_of,
            version=audit.request_version(request),
        ),
        map_section=map_section,
        **life,
    )
    status = 400 if error or map_section["error"] else 200
    return render(request, "alliances/web/organization.html", context, status=status)


def organization_map(request, organization, members, *, as_of):
    """The map section of an organization's page: the map ``?region=`` asks for (by default the one that fits),
    its table, the links to the other map and to the map's own SVG and embeddable page.
    """
    region, error = maps.parse_region(request.GET.get("region"))
    region = region or maps.default_region(
        [m.country.code for m in members], universal=organization.kind == OrganizationKind.UNIVERSAL
    )
    found = maps.members_map(
        organization, members, as_of=as_of, region_name=region, labels=STATUS_LABELS, country_url=country_url
    )
    query = {} if as_of == datetime.date.today() else {"as_of": as_of.isoformat()}
    switch = [
        {"region": r, "label": maps.REGION_LABELS[r].capitalize(), "current": r == region,
         "url": "?" + urlencode({**query, "region": r})}
        for r in maps.REGIONS
    ]  # fmt: skip
    own = urlencode({**query, "region": region})
    found.update(
        svg=mark_safe(found["svg"]),  # noqa: S308 - built by maps.py, every text escaped there
        error=error,
        switch=switch,
        svg_url=reverse("web:organization-map-svg", args=[organization.slug]) + "?" + own,
        embed_url=reverse("web:organization-map-embed", args=[organization.slug]) + "?" + own,
    )
    return found


def possibility_note(period, day):
    """Why a period only possibly covers ``day``: "joined in 1992, day unknown", "left in 2008-03, day unknown"."""
    unknown = {"year": "month and day unknown", "month": "day unknown"}
    if day < period.start_date:
        return f"joined in {period.start_text}, {unknown.get(period.start_precision, '')}"
    return f"left in {period.end_text}, {unknown.get(period.end_precision, '')}"


def organization_life(organization, as_of):
    """What the organization page shows of its own life: names, successions, its memberships and its members
    that are organizations, and the states that only possibly belong on ``as_of``."""
    names, predecessors, successors = selectors.organization_lineage(organization)
    member_organizations, memberships = [], []
    if getattr(organization, "has_member_organizations", True):  # the name snapshot knows which have any
        member_organizations = list(
            selectors.organization_periods(organization=organization, as_of=as_of, statuses=None)
        )
    if getattr(organization, "is_member_of_organizations", True):
        memberships = list(selectors.organization_periods(member=organization, as_of=as_of, statuses=None))
    for period in member_organizations:
        period.member_url = organization_url(period.member)
    for period in memberships:
        period.organization_url = organization_url(period.organization)
    possible = selectors.possible_members(organization, as_of)
    possible_rows = [
        {
            "country": m.country,
            "country_url": country_url(m.country),
            "status_label": STATUS_LABELS.get(m.status, m.status),
            "why": possibility_note(m, as_of),
        }
        for m in sorted(possible, key=lambda m: m.country.name)
    ]
    return {
        "former_names": [n for n in names if n.valid_to is not None],
        "predecessors": [
            {"link": link, "other": link.predecessor, "url": organization_url(link.predecessor)}
            for link in predecessors
        ],
        "successors": [
            {"link": link, "other": link.successor, "url": organization_url(link.successor)} for link in successors
        ],
        "member_organizations": member_organizations,
        "own_memberships": memberships,
        "possible_members": possible_rows,
    }
