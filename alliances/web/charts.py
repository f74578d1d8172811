"""The public pages' two charts, built for each place they are shown.

An organization's number of states over time (a step chart) and a country's timeline are
drawn by ``svg`` in three forms: inline on the page and in the embed view, twice (a wide
layout and a narrow one for phones, of which the stylesheet shows the one that fits, so the
text is drawn at the size it is read at instead of being scaled down with the picture), and
standalone (the SVG and PNG downloads), with its title, the data version and the source
written inside the image, since a file travels without its page.

A chosen day (``?as_of=`` when it is not today) is marked on the chart by a dashed line.
"""

import dataclasses
import re

from django.conf import settings
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from alliances import selectors
from alliances.choices import MembershipStatus
from alliances.web import svg

STATUS_LABELS = dict(MembershipStatus.choices)
SITE_NAME = "alliances"
# Inline layouts: the wide one fills the page's column (at most 760 px) at about one unit per
# pixel; the narrow one is drawn for a phone's column (390 px less the margins).
WIDE = {"width": 720, "font_size": 14}
NARROW = {"width": 360, "font_size": 14}
STEP_HEIGHT = {"wide": 300, "narrow": 240}


@dataclasses.dataclass
class Inline:
    """The two layouts of one chart for a page, and the height an embed of it needs at the wide one."""

    wide: str
    narrow: str
    height: int


def _height(markup):
    return round(float(re.search(r'viewBox="0 0 [\d.]+ ([\d.]+)"', markup).group(1)))


def _safe(markup):
    return mark_safe(markup)  # noqa: S308 - built by svg.py, every text escaped there


# --- an organization's states over time ------------------------------------------------------------


def step_title(organization):
    return f"{organization.acronym}: number of states by status over time"


def _step_desc(organization, series):
    return (
        f"Step chart of how many states were members (and candidates, partners or observers) of "
        f"{organization.name} from {series[0][0].year} to today, changing on {len(series)} day(s). "
        "The table on the organization's page lists the same numbers."
    )


def _step_marker(series, as_of, today):
    """The chosen day, with the number of members that day (the series' last change on or before it)."""
    if as_of is None or as_of == today:
        return None
    counts = next((c for day, c in reversed(series) if day <= as_of), {})
    members = counts.get(MembershipStatus.MEMBER, 0)
    return svg.Marker(as_of, f"{members} member{'s' if members != 1 else ''} on {as_of.isoformat()}")


def organization_inline(organization, *, today, as_of=None, series=None):
    """The step chart in both layouts, or ``None`` when no period is recorded."""
    series = selectors.member_count_series(organization) if series is None else series
    if not series:
        return None
    common = {
        "title": step_title(organization),
        "desc": _step_desc(organization, series),
        "today": today,
        "labels": STATUS_LABELS,
        "marker": _step_marker(series, as_of, today),
    }
    wide = svg.step_chart(series, prefix="sc", height=STEP_HEIGHT["wide"], **WIDE, **common)
    narrow = svg.step_chart(series, prefix="scn", height=STEP_HEIGHT["narrow"], layout="narrow", **NARROW, **common)
    return Inline(_safe(wide), _safe(narrow), _height(wide))


def organization_standalone(organization, *, today, as_of, notes):
    """The step chart as a file: its title and ``notes`` (version, source) inside the image."""
    series = selectors.member_count_series(organization)
    if not series:
        return None
    return svg.step_chart(
        series,
        prefix="sc",
        height=STEP_HEIGHT["wide"],
        **WIDE,
        title=step_title(organization),
        desc=_step_desc(organization, series),
        today=today,
        labels=STATUS_LABELS,
        marker=_step_marker(series, as_of, today),
        heading=f"{organization.name} ({organization.acronym}): number of states by status over time",
        notes=notes,
    )


# --- a country's timeline --------------------------------------------------------------------------


def timeline_title(country):
    return f"{country.name}: every period in every organization"


def timeline_bars(periods, url_of):
    """One bar per period, labelled with its dates as far as they are known; ``url_of(organization)`` is its link."""
    bars = []
    for m in periods:
        status_label = STATUS_LABELS.get(m.status, m.status)
        bars.append(
            svg.Bar(
                row=m.organization.acronym,
                status=m.status,
                start=m.start_date,
                end=m.end_date,
                label=(
                    f"{m.organization.acronym}: {status_label.lower()} from {m.start_text}"
                    f"{', ongoing' if m.end_date is None else ' to ' + m.end_text}"
                ),
                href=url_of(m.organization),
            )
        )
    return bars


def _timeline_desc(country, bars):
    organizations = list(dict.fromkeys(bar.row for bar in bars))
    return (
        f"Timeline of {len(bars)} period(s) of {country.name} in {', '.join(organizations)}, "
        "coloured and patterned by status. The table on the country's page lists the same periods."
    )


def _timeline_marker(as_of, today):
    return None if as_of is None or as_of == today else svg.Marker(as_of, as_of.isoformat())


def country_inline(country, periods, url_of, *, today, as_of=None):
    """The timeline in both layouts (the narrow one with each label above its bar), or ``None`` without periods."""
    if not periods:
        return None
    bars = timeline_bars(periods, url_of)
    common = {
        "title": timeline_title(country),
        "desc": _timeline_desc(country, bars),
        "today": today,
        "labels": STATUS_LABELS,
        "marker": _timeline_marker(as_of, today),
    }
    wide = svg.timeline(bars, prefix="tl", **WIDE, **common)
    narrow = svg.timeline(bars, prefix="tln", compact=True, **NARROW, **common)
    return Inline(_safe(wide), _safe(narrow), _height(wide))


def country_standalone(country, periods, url_of, *, today, as_of, notes):
    if not periods:
        return None
    bars = timeline_bars(periods, url_of)
    return svg.timeline(
        bars,
        prefix="tl",
        **WIDE,
        title=timeline_title(country),
        desc=_timeline_desc(country, bars),
        today=today,
        labels=STATUS_LABELS,
        marker=_timeline_marker(as_of, today),
        heading=f"{country.name}: every period in every organization, by status",
        notes=notes,
    )


def attribution(*, version, as_of, today, page_url):
    """The small print of a standalone chart: what data it shows, where it comes from, under which licence."""
    day = f"as of {as_of.isoformat()}" if as_of and as_of != today else f"drawn {today.isoformat()}"
    return [
        f"Data version {version}, {day}.",
        f"Source: {SITE_NAME}, {page_url} ({settings.DATASET_LICENSE['name']})",
    ]


def share(request, *, embed_route, file_routes, slug, title, inline, as_of=None):
    """What a page offers next to its chart: the files' links and the ``<iframe>`` snippet to copy.

    The snippet's height is the wide layout's with room for the embed's title and attribution;
    on a narrower frame the embed scrolls inside it rather than being cut.
    """
    query = f"?as_of={as_of.isoformat()}" if as_of else ""
    src = request.build_absolute_uri(reverse(embed_route, args=[slug])) + query
    iframe = (
        f'<iframe src="{escape(src)}" title="{escape(title)}" width="760" height="{inline.height + 110}" '
        'style="border:0;max-width:100%" loading="lazy"></iframe>'
    )
    return {
        "svg_url": reverse(file_routes[0], args=[slug]) + query,
        "png_url": reverse(file_routes[1], args=[slug]) + query,
        "embed_url": src,
        "snippet": iframe,
    }
