"""Pure interval arithmetic on inclusive date periods: no database, no Django.

A period is ``(start, end)`` with both days inclusive and ``end=None`` for an
ongoing one. Every rule of ``alliances.rules`` asks its questions of periods
here: ``contains`` (is a day in a period; ``MembershipQuerySet.on`` asks the
database the same), ``overlaps`` and the coverage questions.
"""

import datetime
import re
from collections.abc import Iterable

ONE_DAY = datetime.timedelta(days=1)

Period = tuple[datetime.date, datetime.date | None]


def describe_period(start, end):
    return f"{start.isoformat()} to {end.isoformat() if end else 'ongoing'}"


def contains(start, end, day):
    """Whether the inclusive period [start, end] includes ``day``; ``None`` at either end means open.

    The one "on day D" predicate: ``MembershipQuerySet.on(day)`` is its SQL form.
    """
    return (start is None or start <= day) and (end is None or day <= end)


def overlaps(a_start, a_end, b_start, b_end):
    """Whether two inclusive periods share a day; ``None`` as an end means open."""
    return (b_end is None or a_start <= b_end) and (a_end is None or b_start <= a_end)


def first_uncovered_day(periods: Iterable[Period], start, end):
    """First day in [start, end] that none of ``periods`` (start, end) covers, or None."""
    day = start
    for p_start, p_end in sorted(periods, key=lambda p: p[0]):
        if p_start > day:
            break
        if p_end is None or p_end == datetime.date.max:
            return None  # covered to the end of time (and date.max + one day does not exist)
        if p_end >= day:
            day = p_end + ONE_DAY
        if end is not None and day > end:
            return None
    return day


def coverage_gaps(covering: Iterable[Period], periods: Iterable, *, dates=lambda period: period):
    """Each of ``periods`` that ``covering`` does not cover on every day, as ``(period, first uncovered day)``.

    "Is this member covered by the membership its organization requires?" is
    this question: ``covering`` are the required membership's periods,
    ``periods`` the dependent ones. ``dates`` gives a period's ``(start, end)``
    when the items are not plain pairs (memberships, say).
    """
    covering = list(covering)
    for period in periods:
        gap = first_uncovered_day(covering, *dates(period))
        if gap is not None:
            yield period, gap


def first_coverage_gap(covering: Iterable[Period], periods: Iterable, *, dates=lambda period: period):
    """The first ``(period, day)`` of ``coverage_gaps``, or None when every period is covered."""
    return next(coverage_gaps(covering, periods, dates=dates), None)


def count_series(periods: Iterable[tuple[datetime.date, datetime.date | None, str]]):
    """How many periods of each status are running, from each day the numbers change.

    ``periods`` are ``(start, end, status)`` with inclusive ends. Returns a list of
    ``(day, {status: count})`` in date order: the counts hold from ``day`` until the
    next item's day (the last item's counts hold on). A period ending on day E stops
    counting on E + 1; statuses whose count is zero are left out of the dict.
    """
    deltas: dict[datetime.date, dict[str, int]] = {}
    for start, end, status in periods:
        deltas.setdefault(start, {}).setdefault(status, 0)
        deltas[start][status] += 1
        if end is not None and end < datetime.date.max:
            after = end + ONE_DAY
            deltas.setdefault(after, {}).setdefault(status, 0)
            deltas[after][status] -= 1
    series, running = [], {}
    for day in sorted(deltas):
        for status, change in deltas[day].items():
            running[status] = running.get(status, 0) + change
        counts = {status: n for status, n in running.items() if n}
        if series and series[-1][1] == counts:
            continue  # a period ending the day before another of the same status starts: no change
        series.append((day, counts))
    return series


# --- precision: a day known only to its month or year ---------------------------------------------
#
# A date known to the month or the year is stored as the bound that is certain: a start as the
# last day of its month or year (on that day the period had certainly begun), an end as the first
# day (on that day it had certainly not yet ended). Every "on day D" question then answers what
# is certain, with no change to the queries or indexes; the other bound of the month or year
# (``earliest_day`` of a start, ``latest_day`` of an end) is what is only possible; what is
# shown is ``shown``: "1992", never a day.

DAY, MONTH, YEAR = "day", "month", "year"


def _last_day_of_month(day):
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - ONE_DAY


def latest_day(day, precision):
    """The last day a date known to ``precision`` may be: how a start (or a founding) is stored."""
    if day is None or precision == DAY:
        return day
    if precision == MONTH:
        return _last_day_of_month(day)
    return datetime.date(day.year, 12, 31)


def earliest_day(day, precision):
    """The first day a date known to ``precision`` may be: how an end is stored."""
    if day is None or precision == DAY:
        return day
    if precision == MONTH:
        return day.replace(day=1)
    return datetime.date(day.year, 1, 1)


def shown(day, precision):
    """A date as far as it is known: "1992-06-15", "1992-06" or "1992"; None stays None."""
    if day is None:
        return None
    if precision == YEAR:
        return f"{day.year:04d}"
    if precision == MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def parse_shown(text):
    """``(day, precision)`` from "1992-06-15", "1992-06" or "1992" (the day is the first of the unit).

    Raises ValueError for anything else.
    """
    parts = text.split("-")
    if len(parts) == 1 and len(text) == 4 and text.isdigit():
        return datetime.date(int(text), 1, 1), YEAR
    if len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 2 and text.replace("-", "").isdigit():
        return datetime.date(int(parts[0]), int(parts[1]), 1), MONTH
    return datetime.date.fromisoformat(text), DAY


# --- the day a question is about ------------------------------------------------------------------
# Every door that takes a day from a user (the API's as_of/from/to, the pages' as_of, the commands'
# --as-of) reads it here and defaults it here, so one spelling is accepted or refused everywhere
# with the same sentence.

ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class NotADay(ValueError):
    """A typed day that is not one; its sentence is what the API, the pages and the commands show."""

    def __init__(self, text):
        self.text = text
        super().__init__(f"“{text[:40]}” is not a date in YYYY-MM-DD form.")


def parse_day(text):
    """A day typed as ``YYYY-MM-DD`` (nothing else: no week dates, no ``20211230``), or ``NotADay``."""
    text = str(text).strip()
    if ISO_DAY.fullmatch(text):
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            pass  # 2021-02-30: the right shape, no such day
    raise NotADay(text)


def day_or_today(day=None):
    """The day a question is about: the one asked, else today (the one place the default is decided)."""
    return day or datetime.date.today()


CERTAIN, POSSIBLE = "certain", "possible"


def certainty_on(day, start, start_precision, end, end_precision):
    """Whether a stored period covers ``day`` for certain ("certain"), only possibly ("possible") or not (None).

    The stored start is the last day its month or year allows and the stored end the first,
    so the certain span is start–end; a start known to 1992 may have been any day of 1992,
    an end known to 2008-03 any day of March 2008: those days are possible, not certain.
    """
    if start <= day and (end is None or day <= end):
        return CERTAIN
    if earliest_day(start, start_precision) <= day and (end is None or day <= latest_day(end, end_precision)):
        return POSSIBLE
    return None
