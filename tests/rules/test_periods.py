"""The pure period core (alliances/rules/periods.py), without the database, and its SQL mirror `on()`."""

import ast
import datetime
from pathlib import Path

import pytest

from alliances.models import Membership
from alliances.rules import periods
from alliances.rules.periods import coverage_gaps, describe_period, first_coverage_gap, first_uncovered_day, overlaps

D = datetime.date.fromisoformat


def test_the_period_core_imports_neither_django_nor_the_models():
    tree = ast.parse(Path(periods.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.startswith(("django", "alliances"))}


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (("2000-01-01", "2000-12-31"), ("2000-12-31", None), True),  # one shared day (inclusive ends)
        (("2000-01-01", "2000-12-30"), ("2000-12-31", None), False),
        (("2000-01-01", None), ("1990-01-01", "1999-12-31"), False),
        (("2000-01-01", None), ("1990-01-01", None), True),
        (("2000-06-01", "2000-06-01"), ("2000-01-01", "2000-12-31"), True),
    ],
)
def test_overlaps_is_symmetric_with_inclusive_and_open_ends(a, b, expected):
    a = (D(a[0]), a[1] and D(a[1]))
    b = (D(b[0]), b[1] and D(b[1]))
    assert overlaps(*a, *b) is expected
    assert overlaps(*b, *a) is expected


def test_first_uncovered_day():
    covering = [(D("2004-03-29"), D("2010-12-31")), (D("2011-01-01"), None)]
    assert first_uncovered_day(covering, D("2015-11-04"), None) is None
    assert first_uncovered_day(covering, D("2004-03-28"), None) == D("2004-03-28")
    gap = [(D("2004-03-29"), D("2010-12-30")), (D("2011-01-01"), D("2020-01-01"))]
    assert first_uncovered_day(gap, D("2005-01-01"), None) == D("2010-12-31")
    assert first_uncovered_day(gap[1:], D("2015-01-01"), D("2020-01-01")) is None
    assert first_uncovered_day(gap[1:], D("2015-01-01"), None) == D("2020-01-02")
    assert first_uncovered_day([], D("2015-01-01"), None) == D("2015-01-01")


def test_coverage_gaps_lists_each_uncovered_period_with_its_first_uncovered_day():
    required = [(D("2004-03-29"), None)]
    dependent = [(D("2015-11-04"), None), (D("2000-01-01"), D("2003-01-01")), (D("2004-01-01"), D("2005-01-01"))]
    assert list(coverage_gaps(required, dependent)) == [
        ((D("2000-01-01"), D("2003-01-01")), D("2000-01-01")),
        ((D("2004-01-01"), D("2005-01-01")), D("2004-01-01")),
    ]
    assert first_coverage_gap(required, dependent) == ((D("2000-01-01"), D("2003-01-01")), D("2000-01-01"))
    assert first_coverage_gap(required, dependent[:1]) is None


def test_coverage_gaps_reads_dates_from_any_item():
    item = {"from": D("2000-01-01"), "to": None}
    assert first_coverage_gap([], [item], dates=lambda i: (i["from"], i["to"])) == (item, D("2000-01-01"))


def test_describe_period():
    assert describe_period(D("2000-01-01"), None) == "2000-01-01 to ongoing"
    assert describe_period(D("2000-01-01"), D("2000-02-01")) == "2000-01-01 to 2000-02-01"


def test_periods_reaching_the_last_representable_day():
    # 9999-12-31 is a valid end date; the day after it does not exist (OverflowError before).
    last = datetime.date.max
    start = datetime.date(2015, 11, 4)
    assert first_uncovered_day([(datetime.date(2004, 3, 29), last)], start, last) is None
    assert first_uncovered_day([(datetime.date(2004, 3, 29), last)], start, None) is None
    assert first_uncovered_day([(start, last - datetime.timedelta(days=1))], start, last) == last
    assert first_coverage_gap([(start, last)], [(start, last)]) is None


@pytest.mark.parametrize(
    "start, end, day, expected",
    [
        ("2000-01-01", "2000-12-31", "2000-01-01", True),  # both ends inclusive
        ("2000-01-01", "2000-12-31", "2000-12-31", True),
        ("2000-01-01", "2000-12-31", "2001-01-01", False),
        ("2000-01-01", "2000-12-31", "1999-12-31", False),
        ("2000-01-01", None, "2999-01-01", True),  # ongoing
        (None, "2000-12-31", "1000-01-01", True),  # an existence span open at its start
        (None, None, "2000-06-01", True),
    ],
)
def test_contains_is_inclusive_and_open_where_an_end_is_none(start, end, day, expected):
    assert periods.contains(start and D(start), end and D(end), D(day)) is expected


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["1949-08-24", "1991-12-25", "1991-12-26", "2004-03-29", "2022-12-31"])
def test_the_querysets_on_is_contains_in_sql(day):
    """``Membership.objects.on(day)`` picks exactly the stored periods ``contains`` says include the day."""
    rows = Membership.objects.values_list("pk", "start_date", "end_date")
    expected = {pk for pk, start, end in rows if periods.contains(start, end, D(day))}
    assert expected  # the days are chosen so that each has periods
    assert set(Membership.objects.on(D(day)).values_list("pk", flat=True)) == expected
