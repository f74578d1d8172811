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


# --- text measure ----------------------------------------------------------------------------------
# The server cannot measure text, so it estimates on the wide side: roughly the advance widths (in
# em) of DejaVu Sans Bold, the widest of the usual sans-serif faces and the one a Linux browser (and
# the PNG renderer) falls back to. A label laid out with these fits in any of the others.
_NARROW = set("iljft.,:;!|()[]'` I-")
_WIDE = set("MWmw@%—")
MUTED = "#4a5360"  # 7.4:1 against white, as the pages' muted text


def text_width(text, size, bold=False):
    """Estimated width of ``text`` at font size ``size``, never below what DejaVu Sans draws (tested)."""
    em = 0.0
    for ch in str(text):
        if ch in _NARROW or ch == " ":
            em += 0.48
        elif ch in _WIDE:
            em += 1.1
        elif ch.isdigit():
            em += 0.70
        elif ch.isascii() and ch.isupper():
            em += 0.86
        elif ch.isascii() and ch.islower():
            em += 0.72
        else:
            em += 0.92
    return em * size * (1.0 if bold else 0.92)


def wrap(text, size, width, bold=False):
    """``text`` broken at spaces into lines no wider than ``width``; a longer word (a URL) is cut."""
    lines, line = [], ""
    for word in str(text).split():
        while text_width(word, size, bold) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and text_width(word[:cut], size, bold) > width:
                cut -= 1
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if line and text_width(candidate, size, bold) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def _text_lines(lines, *, y, size, line_height, css_class, fill=TEXT, bold=False):
    """Left-aligned lines from the top ``y``. Returns (markup, the y below the last line)."""
    out = []
    for line in lines:
        y += line_height
        attrs = {"font_weight": "700"} if bold else {}
        out.append(_tag("text", line, x=0, y=round(y - line_height * 0.3, 2), fill=fill, font_size=size,
                        class_=css_class, **attrs))  # fmt: skip
    return "".join(out), y


def _heading(heading, *, width, size):
    """A standalone picture's title, wrapped to its width, above the chart."""
    if not heading:
        return "", 0
    big = round(size * 1.15, 1)
    markup, y = _text_lines(
        wrap(heading, big, width, bold=True), y=0, size=big, line_height=round(big * 1.35, 1), css_class="heading",
        bold=True,
    )  # fmt: skip
    return markup, y + size * 0.4


def _notes(notes, *, y, width, size):
    """A standalone picture's small print (data version, source, licence), wrapped, below the legend."""
    small = round(size * 0.86, 1)
    lines = [line for note in notes for line in wrap(note, small, width)]
    if not lines:
        return "", y
    return _text_lines(lines, y=y + size * 0.3, size=small, line_height=round(small * 1.4, 1), css_class="note",
                       fill=MUTED)  # fmt: skip


def _chart_head(prefix, kind, width, height, title, desc, statuses, font_size=14, layout="wide"):
    """The opening of a chart: the ``<svg>`` element named by its title and description, and its patterns.

    ``font-size`` is an attribute the stylesheet leaves alone: each layout is drawn for the width
    it is shown at, so a unit of the ``viewBox`` is about a CSS pixel and the text is the size laid out.
    """
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {round(height)}" role="img" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" class="chart {kind}" data-layout="{layout}" '
        f'font-family="{escape(FONT)}" font-size="{font_size}">',
        _tag("title", title, id=f"{prefix}-title"),
        _tag("desc", desc, id=f"{prefix}-desc"),
        _pattern_defs(prefix, statuses),
    ]


def _legend(prefix, statuses, *, x, y, width, labels, size=14):
    """Swatches with their names, wrapped onto as many lines as ``width`` needs. Returns (markup, height).

    Each item is as wide as its swatch, its measured name and a gap, so a name never runs into
    the next swatch.
    """
    line_height = round(max(size * 1.7, 22), 1)
    parts, cx, cy = [], x, y
    for status in statuses:
        label = labels.get(status, status.capitalize())
        item_width = 18 + 6 + text_width(label, size) + 16
        if cx > x and cx + item_width - 16 > x + width:
            cx, cy = x, cy + line_height
        text_y = round(cy + 7 + size * 0.35, 2)
        parts.append(
            f'<g class="legend-item" data-status="{escape(status)}">'
            f'<rect class="swatch" x="{round(cx, 2)}" y="{cy}" width="18" height="14" fill="{_fill(prefix, status)}" '
            f'stroke="{TEXT}" stroke-width="0.5"/>{_tag("text", label, x=round(cx + 24, 2), y=text_y, fill=TEXT)}</g>'
        )
        cx += item_width
    return "".join(parts), cy - y + line_height


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
        step = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100) if years / s <= max(max_ticks, 1)), 100)
        start = -(-self.first.year // step) * step  # the first round year on or after the start
        return [datetime.date(y, 1, 1) for y in range(start, self.last.year + 1, step)]

    def labelled_ticks(self, size, width):
        """The year ticks whose labels fit side by side and inside ``[0, width]``: ``[(x, year), ...]``."""
        label = text_width("0000", size)
        room = self.x1 - self.x0
        ticks = [(self.x(t), t.year) for t in self.year_ticks(max_ticks=int(room // (label + size)))]
        return [(x, year) for x, year in ticks if x - label / 2 >= 0 and x + label / 2 <= width]


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


@dataclasses.dataclass
class Marker:
    """A chosen day (a page's ``?as_of=``): a dashed line across the plot, named above it."""

    day: datetime.date
    label: str


def _marker(marker, scale, *, label_y, top, bottom, width, size):
    """The marker's line from ``top`` to ``bottom`` and its label on the baseline ``label_y``, kept inside the width."""
    if marker is None:
        return ""
    x = scale.x(marker.day)
    label_width = text_width(marker.label, size, bold=True)
    tx = round(min(max(x - label_width / 2, 0), width - label_width), 2)
    line = _tag("line", x1=x, x2=x, y1=top, y2=bottom, stroke=TEXT, stroke_width=1.5, stroke_dasharray="4 3")
    label = _tag("text", marker.label, x=tx, y=label_y, fill=TEXT, font_weight="700", class_="marker-label")
    return f'<g class="marker">{line}{label}</g>'


def timeline(
    bars, *, title, desc, today, labels, prefix="tl", width=560, font_size=14, compact=False, marker=None,
    heading="", notes=(),
):  # fmt: skip
    """A horizontal timeline: one row per organization, one ``<rect class="period">`` per period.

    Rows keep the order in which their first bar comes. Ongoing periods run to ``today``.
    Row labels sit left of their bars, in a column as wide as the longest; ``compact`` (phones)
    puts each label above its bar instead, so the bars keep the whole width. With many rows the
    years are labelled above the rows as well as below. ``marker`` marks a chosen day;
    ``heading`` and ``notes`` are the title and the small print of a standalone picture.
    """
    f = font_size
    rows = list(dict.fromkeys(bar.row for bar in bars))
    statuses = sorted({bar.status for bar in bars}, key=status_rank)
    if compact:
        label_size = round(f * 0.93, 1)
        plot_x0, bar_offset, bar_height = 2, round(label_size * 1.3), round(f * 0.75)
        row_height = bar_offset + bar_height + 6
    else:
        label_size = f
        plot_x0 = round(max(40, max(text_width(r, f, bold=True) for r in rows) + 12))
        row_height, bar_height = round(f * 2.4), round(f * 2.4) - 12
        bar_offset = 6
    plot_x1 = width - 12 if not compact else width - 2
    first, last = _span(min(bar.start for bar in bars), today)
    scale = Scale(first, last, plot_x0, plot_x1)
    ticks = scale.labelled_ticks(f, width)

    out = []
    head, y = _heading(heading, width=width, size=f)
    marker_y = None
    if marker is not None:
        marker_y, y = y + f * 1.1, y + f * 1.6
    top_ticks_y = None
    if len(rows) > 12:
        top_ticks_y, y = y + f * 1.1, y + f * 1.5
    top = round(y + 4, 2)
    plot_bottom = top + row_height * len(rows)
    legend_x = 0 if compact else plot_x0
    legend, legend_height = _legend(
        prefix, statuses, x=legend_x, y=plot_bottom + f * 2.3, width=width - legend_x, labels=labels, size=f
    )
    notes_markup, bottom = _notes(notes, y=plot_bottom + f * 2.3 + legend_height, width=width, size=f)

    out += _chart_head(prefix, "timeline", width, bottom + 4, title, desc, statuses, f, "narrow" if compact else "wide")
    out.append(head)
    for x, year in ticks:
        out.append(_tag("line", x1=x, x2=x, y1=top, y2=plot_bottom, stroke=GRID, stroke_width=1))
        out.append(_tag("text", year, x=x, y=round(plot_bottom + f * 1.45, 2), text_anchor="middle", fill=TEXT,
                        class_="tick"))  # fmt: skip
        if top_ticks_y is not None:
            out.append(_tag("text", year, x=x, y=round(top_ticks_y, 2), text_anchor="middle", fill=TEXT,
                            class_="tick"))  # fmt: skip
    for i, row in enumerate(rows):
        y = top + i * row_height
        label_y = y + label_size * 1.0 if compact else y + row_height / 2 + f * 0.35
        out.append(_tag("text", row, x=0, y=round(label_y, 2), fill=TEXT, font_weight="600", font_size=label_size,
                        class_="row-label"))  # fmt: skip
        out.append(_tag("line", x1=plot_x0, x2=plot_x1, y1=y + row_height, y2=y + row_height, stroke=GRID))
    for bar in bars:
        y = round(top + rows.index(bar.row) * row_height + bar_offset, 2)
        x0 = scale.x(bar.start)
        x1 = scale.x(bar.end or today)
        rect = (
            f'<rect class="period" data-status="{escape(bar.status)}" x="{x0}" y="{y}" '
            f'width="{max(round(x1 - x0, 2), 3)}" height="{bar_height}" rx="2" fill="{_fill(prefix, bar.status)}">'
            f"{_tag('title', bar.label)}</rect>"
        )
        out.append(f"<a href={quoteattr(bar.href)}>{rect}</a>" if bar.href else rect)
    out.append(_tag("line", x1=plot_x0, x2=plot_x1, y1=plot_bottom, y2=plot_bottom, stroke=TEXT))
    out.append(_marker(marker, scale, label_y=marker_y, top=top, bottom=plot_bottom, width=width, size=f))
    out.append(legend)
    out.append(notes_markup)
    out.append("</svg>")
    return "".join(out)


def _nice_step(maximum, target=5):
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000):
        if maximum / step <= target:
            return step
    return 1000


def step_chart(
    series, *, title, desc, today, labels, prefix="sc", width=560, height=300, font_size=14, marker=None,
    heading="", notes=(), layout="wide",
):  # fmt: skip
    """Stacked steps: from each change day to the next, one ``<rect class="step">`` per status held then.

    ``series`` is ``[(day, {status: count}), ...]`` as ``periods.count_series`` gives it.
    Statuses stack in ``STATUS_ORDER`` (members at the bottom). ``height`` is the plot's with its
    axes; the margins follow the font size and the measured tick labels, so the "States" title,
    the top tick and the year labels keep clear of each other at any width. ``marker``,
    ``heading`` and ``notes`` as for ``timeline``.
    """
    f = font_size
    statuses = sorted({s for _, counts in series for s in counts}, key=status_rank)
    maximum = max([sum(counts.values()) for _, counts in series] + [1])
    step = _nice_step(maximum)
    y_max = -(-maximum // step) * step
    values = range(0, y_max + 1, step)
    axis_x = round(f * 1.05, 2)  # the rotated "States": its letters reach about 0.8 em left of this line
    left = round(axis_x + f * 0.5 + max(text_width(v, f) for v in values) + 8)
    right = 12

    head, y = _heading(heading, width=width, size=f)
    marker_y = None
    if marker is not None:
        marker_y, y = y + f * 1.1, y + f * 1.7
    top = round(y + f * 0.9, 2)  # room for the top tick's label, centred on the top line
    plot_bottom = round(top + height - 58, 2)
    year_y = round(plot_bottom + 5 + f * 1.15, 2)
    axis_title_y = round(year_y + f * 1.5, 2)
    first, last = _span(series[0][0], today)
    scale = Scale(first, last, left, width - right)
    legend, legend_height = _legend(
        prefix, statuses, x=left, y=axis_title_y + f * 0.9, width=width - left, labels=labels, size=f
    )
    notes_markup, bottom = _notes(notes, y=axis_title_y + f * 0.9 + legend_height, width=width, size=f)

    def y(count):
        return round(plot_bottom - count / y_max * (plot_bottom - top), 2)

    out = _chart_head(prefix, "step-chart", width, bottom + 4, title, desc, statuses, f, layout)
    out.append(head)
    for value in values:
        out.append(_tag("line", x1=left, x2=width - right, y1=y(value), y2=y(value), stroke=GRID))
        out.append(_tag("text", value, x=left - 8, y=round(y(value) + f * 0.35, 2), text_anchor="end", fill=TEXT,
                        class_="tick"))  # fmt: skip
    for x, year in scale.labelled_ticks(f, width):
        out.append(_tag("line", x1=x, x2=x, y1=plot_bottom, y2=plot_bottom + 5, stroke=TEXT))
        out.append(_tag("text", year, x=x, y=year_y, text_anchor="middle", fill=TEXT, class_="tick"))
    middle = round((top + plot_bottom) / 2, 2)
    out.append(
        _tag("text", "States", x=axis_x, y=middle, fill=TEXT, text_anchor="middle", class_="axis-title",
             transform=f"rotate(-90 {axis_x} {middle})")
    )  # fmt: skip
    out.append(_tag("text", "Year", x=round((left + width - right) / 2, 2), y=axis_title_y, fill=TEXT,
                    text_anchor="middle", class_="axis-title"))  # fmt: skip
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
    out.append(_marker(marker, scale, label_y=marker_y, top=top, bottom=plot_bottom, width=width, size=f))
    out.append(legend)
    out.append(notes_markup)
    out.append("</svg>")
    return "".join(out)
