"""Pure drawing functions for the public pages: plain data in, SVG markup out.

No ORM, no request: the views pass dates, labels and counts, so every picture
can be tested (and looked at) without a database. The markup scales with its
``viewBox`` (width 100 % in the stylesheet) and carries a ``<title>`` and a
``<desc>``; each page also has a table that says the same in text.

Status colours all reach 4.5:1 against white (``contrast_ratio``, tested), and
every status but "member" also has its own pattern, so no status is told apart
by colour alone; the legend names them in text.
"""

import dataclasses
import datetime
from xml.sax.saxutils import escape, quoteattr

# status -> (colour, pattern). Every colour is at least 4.5:1 against white.
STATUS_STYLE = {
    "member": ("#1d5fa6", None),
    "candidate": ("#8a4f00", "diagonal"),
    "applicant": ("#6a3fa0", "dots"),
    "partner": ("#2b6e2f", "horizontal"),
    "associate": ("#006b75", "vertical"),
    "observer": ("#595f69", "cross"),
    "suspended": ("#b0221b", "reverse"),
}
STATUS_ORDER = list(STATUS_STYLE)
FALLBACK_STYLE = ("#444444", "cross")
TEXT = "#1b1f24"
GRID = "#c9ced6"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def style_of(status):
    return STATUS_STYLE.get(status, FALLBACK_STYLE)


def status_rank(status):
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def relative_luminance(hex_colour):
    """WCAG 2.x relative luminance of ``#rrggbb``."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a, b):
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _attrs(**attrs):
    return "".join(f" {name.rstrip('_').replace('_', '-')}={quoteattr(str(value))}" for name, value in attrs.items())


def _tag(name, text="", **attrs):
    return f"<{name}{_attrs(**attrs)}>{escape(str(text))}</{name}>" if text != "" else f"<{name}{_attrs(**attrs)}/>"


def _pattern_defs(prefix, statuses):
    """One ``<pattern>`` per patterned status: the status colour with thin white lines or dots."""
    shapes = {
        "diagonal": '<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="#fff" stroke-width="1.6"/>',
        "reverse": '<path d="M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4" stroke="#fff" stroke-width="1.6"/>',
        "horizontal": '<path d="M0,4 h8" stroke="#fff" stroke-width="1.6"/>',
        "vertical": '<path d="M4,0 v8" stroke="#fff" stroke-width="1.6"/>',
        "cross": '<path d="M0,4 h8 M4,0 v8" stroke="#fff" stroke-width="1.2"/>',
        "dots": '<circle cx="4" cy="4" r="1.6" fill="#fff"/>',
    }
    out = []
    for status in statuses:
        colour, pattern = style_of(status)
        if pattern:
            out.append(
                f'<pattern id="{prefix}-{status}" width="8" height="8" patternUnits="userSpaceOnUse">'
                f'<rect width="8" height="8" fill="{colour}"/>{shapes[pattern]}</pattern>'
            )
    return f"<defs>{''.join(out)}</defs>" if out else ""


def _chart_head(prefix, kind, width, height, title, desc, statuses):
    """The opening of a chart: the ``<svg>`` element named by its title and description, and its patterns."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" class="chart {kind}" font-family="{escape(FONT)}" '
        f'font-size="14">',
        _tag("title", title, id=f"{prefix}-title"),
        _tag("desc", desc, id=f"{prefix}-desc"),
        _pattern_defs(prefix, statuses),
    ]


def _fill(prefix, status):
    colour, pattern = style_of(status)
    return f"url(#{prefix}-{status})" if pattern else colour


def _legend(prefix, statuses, *, x, y, width, labels):
    """Swatches with their names, wrapped onto as many lines as ``width`` needs. Returns (markup, height)."""
    parts, cx, cy = [], x, y
    for status in statuses:
        label = labels.get(status, status.capitalize())
        item_width = 24 + 13 * len(label) + 18  # room for the larger text phones get (site.css)
        if cx > x and cx + item_width > x + width:
            cx, cy = x, cy + 24
        parts.append(
            f'<g class="legend-item" data-status="{escape(status)}">'
            f'<rect x="{cx}" y="{cy}" width="18" height="14" fill="{_fill(prefix, status)}" stroke="{TEXT}" '
            f'stroke-width="0.5"/>{_tag("text", label, x=cx + 24, y=cy + 12, fill=TEXT)}</g>'
        )
        cx += item_width
    return "".join(parts), cy - y + 24


class Scale:
    """Days to x coordinates over ``[first, last]``, and the year ticks that fit."""

    def __init__(self, first, last, x0, x1):
        self.first, self.last, self.x0, self.x1 = first, last, x0, x1
        self.span = max((last - first).days, 1)

    def x(self, day):
        day = min(max(day, self.first), self.last)
        return round(self.x0 + (day - self.first).days / self.span * (self.x1 - self.x0), 2)

    def year_ticks(self, max_ticks=6):
        years = self.last.year - self.first.year
        step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100) if years / s <= max_ticks)
        start = -(-self.first.year // step) * step  # the first round year on or after the start
        return [datetime.date(y, 1, 1) for y in range(start, self.last.year + 1, step)]


def _span(first, today):
    """From 1 January of the first year to the end of today's year, at least ten years."""
    start = datetime.date(first.year, 1, 1)
    end = datetime.date(max(today.year, start.year + 9), 12, 31)
    return start, end


@dataclasses.dataclass
class Bar:
    """One period on a timeline row."""

    row: str  # the row's label (an organization's acronym)
    status: str
    start: datetime.date
    end: datetime.date | None
    label: str  # full sentence for the tooltip, e.g. "NATO: member from 2004-03-29, ongoing"
    href: str = ""


def timeline(bars, *, title, desc, today, labels, prefix="tl", width=560):
    """A horizontal timeline: one row per organization, one ``<rect class="period">`` per period.

    Rows keep the order in which their first bar comes. Ongoing periods run to ``today``.
    """
    rows = list(dict.fromkeys(bar.row for bar in bars))
    statuses = sorted({bar.status for bar in bars}, key=status_rank)
    # Row labels get room for the phone's larger text (site.css: 24 units, about 14 per character).
    label_width, row_height, top = max(78, 14 * max(len(r) for r in rows) + 8), 34, 8
    first, last = _span(min(bar.start for bar in bars), today)
    scale = Scale(first, last, label_width, width - 12)
    plot_bottom = top + row_height * len(rows)
    legend, legend_height = _legend(
        prefix, statuses, x=label_width, y=plot_bottom + 34, width=width - label_width - 12, labels=labels
    )
    height = plot_bottom + 34 + legend_height + 4

    out = _chart_head(prefix, "timeline", width, height, title, desc, statuses)
    for tick in scale.year_ticks():
        x = scale.x(tick)
        out.append(_tag("line", x1=x, x2=x, y1=top, y2=plot_bottom, stroke=GRID, stroke_width=1))
        out.append(_tag("text", tick.year, x=x, y=plot_bottom + 20, text_anchor="middle", fill=TEXT))
    for i, row in enumerate(rows):
        y = top + i * row_height
        out.append(_tag("text", row, x=0, y=y + row_height / 2 + 5, fill=TEXT, font_weight="600", class_="row-label"))
        out.append(_tag("line", x1=label_width, x2=width - 12, y1=y + row_height, y2=y + row_height, stroke=GRID))
    for bar in bars:
        y = top + rows.index(bar.row) * row_height + 6
        x0 = scale.x(bar.start)
        x1 = scale.x(bar.end or today)
        rect = (
            f'<rect class="period" data-status="{escape(bar.status)}" x="{x0}" y="{y}" '
            f'width="{max(round(x1 - x0, 2), 3)}" height="{row_height - 12}" rx="2" fill="{_fill(prefix, bar.status)}">'
            f"{_tag('title', bar.label)}</rect>"
        )
        out.append(f"<a href={quoteattr(bar.href)}>{rect}</a>" if bar.href else rect)
    out.append(_tag("line", x1=label_width, x2=width - 12, y1=plot_bottom, y2=plot_bottom, stroke=TEXT))
    out.append(legend)
    out.append("</svg>")
    return "".join(out)


def _nice_step(maximum, target=5):
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000):
        if maximum / step <= target:
            return step
    return 1000


def step_chart(series, *, title, desc, today, labels, prefix="sc", width=560, height=300):
    """Stacked steps: from each change day to the next, one ``<rect class="step">`` per status held then.

    ``series`` is ``[(day, {status: count}), ...]`` as ``periods.count_series`` gives it.
    Statuses stack in ``STATUS_ORDER`` (members at the bottom).
    """
    statuses = sorted({s for _, counts in series for s in counts}, key=status_rank)
    left, right, top = 56, 12, 10
    first, last = _span(series[0][0], today)
    scale = Scale(first, last, left, width - right)
    legend, legend_height = _legend(prefix, statuses, x=left, y=height + 4, width=width - left - right, labels=labels)
    plot_bottom = height - 48
    total_height = height + legend_height + 8
    maximum = max([sum(counts.values()) for _, counts in series] + [1])
    step = _nice_step(maximum)
    y_max = -(-maximum // step) * step

    def y(count):
        return round(plot_bottom - count / y_max * (plot_bottom - top), 2)

    out = _chart_head(prefix, "step-chart", width, total_height, title, desc, statuses)
    for value in range(0, y_max + 1, step):
        out.append(_tag("line", x1=left, x2=width - right, y1=y(value), y2=y(value), stroke=GRID))
        out.append(_tag("text", value, x=left - 8, y=y(value) + 5, text_anchor="end", fill=TEXT))
    for tick in scale.year_ticks():
        x = scale.x(tick)
        out.append(_tag("line", x1=x, x2=x, y1=plot_bottom, y2=plot_bottom + 5, stroke=TEXT))
        out.append(_tag("text", tick.year, x=x, y=plot_bottom + 21, text_anchor="middle", fill=TEXT))
    out.append(
        _tag("text", "States", x=14, y=(top + plot_bottom) / 2, fill=TEXT, text_anchor="middle",
             transform=f"rotate(-90 14 {(top + plot_bottom) / 2})")
    )  # fmt: skip
    out.append(_tag("text", "Year", x=(left + width - right) / 2, y=plot_bottom + 42, fill=TEXT, text_anchor="middle"))
    for i, (day, counts) in enumerate(series):
        until = series[i + 1][0] if i + 1 < len(series) else today
        x0, x1 = scale.x(day), scale.x(max(until, day))
        base = 0
        for status in sorted(counts, key=status_rank):
            n = counts[status]
            label = f"{labels.get(status, status)}: {n} from {day.isoformat()}"
            out.append(
                f'<rect class="step" data-status="{escape(status)}" x="{x0}" y="{y(base + n)}" '
                f'width="{max(round(x1 - x0, 2), 1)}" height="{round(y(base) - y(base + n), 2)}" '
                f'fill="{_fill(prefix, status)}" shape-rendering="crispEdges">{_tag("title", label)}</rect>'
            )
            base += n
    out.append(_tag("line", x1=left, x2=width - right, y1=plot_bottom, y2=plot_bottom, stroke=TEXT))
    out.append(legend)
    out.append("</svg>")
    return "".join(out)
