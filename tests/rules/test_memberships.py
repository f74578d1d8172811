"""The membership rules over plain periods (alliances/rules/memberships.py): no database."""

import dataclasses
import datetime

from alliances.rules import memberships
from alliances.rules.problems import (
    AfterDissolution,
    AfterExistence,
    BeforeExistence,
    BeforeFounding,
    DependentUncovered,
    EndBeforeStart,
    OffItsBound,
    Overlap,
    RequirementGap,
)

D = datetime.date.fromisoformat


@dataclasses.dataclass
class Org:
    acronym: str = "NATO"
    earliest_founding: datetime.date = D("1949-08-24")
    founded_text: str = "1949-08-24"
    dissolved: datetime.date | None = None


@dataclasses.dataclass
class State:
    name: str = "Romania"
    exists_from: datetime.date | None = None
    exists_to: datetime.date | None = None


def test_dates():
    assert memberships.dates(D("2000-01-02"), D("2000-01-01")) == [EndBeforeStart(D("2000-01-02"), D("2000-01-01"))]
    assert memberships.dates(D("2000-01-01"), D("2000-01-01")) == []  # a one-day period
    assert memberships.dates(D("2000-01-01"), None) == []
    (problem,) = memberships.dates(D("2000-01-02"), D("2000-01-01"))
    assert (problem.field, problem.sentence) == (
        "end_date",
        "The end date 2000-01-01 is before the start date 2000-01-02.",
    )


def test_precision_wants_a_start_on_its_last_day_and_an_end_on_its_first():
    assert memberships.precision(D("1992-12-31"), "year", D("2000-01-01"), "year") == []
    found = memberships.precision(D("1992-06-01"), "year", D("2000-03-15"), "month")
    assert found == [
        OffItsBound("start", "year", D("1992-12-31"), D("1992-06-01")),
        OffItsBound("end", "month", D("2000-03-01"), D("2000-03-15")),
    ]
    assert [p.field for p in found] == ["start_date", "end_date"]
    assert found[0].sentence == "A start known to the year is stored as its last day (1992-12-31), not 1992-06-01."
    assert found[1].sentence == "An end known to the month is stored as its first day (2000-03-01), not 2000-03-15."


def test_within_organization():
    assert memberships.within_organization(Org(), D("1949-08-24"), None) == []
    assert memberships.within_organization(Org(), D("1949-08-23"), None) == [
        BeforeFounding("NATO", "1949-08-24", D("1949-08-23"))
    ]
    pact = Org(acronym="WP", dissolved=D("1991-07-01"))
    assert memberships.within_organization(pact, D("1955-05-14"), D("1991-07-01")) == []
    assert memberships.within_organization(pact, D("1955-05-14"), None) == [AfterDissolution("WP", D("1991-07-01"))]


def test_within_existence():
    ussr = State("USSR", exists_to=D("1991-12-25"))
    assert memberships.within_existence(ussr, D("1945-10-24"), D("1991-12-25")) == []
    (problem,) = memberships.within_existence(ussr, D("1945-10-24"), None)
    assert problem == AfterExistence("USSR", D("1991-12-25"), None)
    assert problem.sentence.endswith("a period must end by then (got ongoing).")
    russia = State("Russia", exists_from=D("1991-12-26"))
    assert memberships.within_existence(russia, D("1991-12-25"), None) == [
        BeforeExistence("Russia", D("1991-12-26"), D("1991-12-25"))
    ]


def test_no_overlap_names_each_other_period_it_shares_a_day_with():
    others = [("partner", D("1994-01-26"), D("2004-03-28")), ("member", D("2004-03-29"), None)]
    assert memberships.no_overlap("Romania", "NATO", D("1990-01-01"), D("1994-01-25"), others) == []
    found = memberships.no_overlap("Romania", "NATO", D("2000-01-01"), D("2005-01-01"), others)
    assert found == [
        Overlap("Romania", "NATO", "partner", D("1994-01-26"), D("2004-03-28")),
        Overlap("Romania", "NATO", "member", D("2004-03-29"), None),
    ]
    assert found[1].sentence == (
        "Romania already has a period in NATO (member, 2004-03-29 to ongoing) that overlaps this one; "
        "a state has one status in an organization at a time."
    )


def test_overlapping_pairs_in_start_order():
    a, b, c = (D("2000-01-01"), D("2000-12-31")), (D("2000-12-31"), None), (D("1990-01-01"), D("1999-12-31"))
    assert list(memberships.overlapping([b, c, a])) == [(a, b)]


def test_required_membership_names_the_first_uncovered_day_and_its_field():
    nato = [(D("2004-03-29"), None)]
    assert memberships.required_membership("B9", "NATO", "Romania", D("2015-11-04"), None, nato) == []
    early = memberships.required_membership("B9", "NATO", "Romania", D("2004-03-28"), None, nato)
    assert early == [RequirementGap("B9", "NATO", "Romania", D("2004-03-28"), on="start_date")]
    ended = [(D("2004-03-29"), D("2010-01-01"))]
    late = memberships.required_membership("B9", "NATO", "Romania", D("2015-11-04"), None, ended)
    assert late[0].day == D("2015-11-04") and late[0].field == "start_date"
    inside = memberships.required_membership("B9", "NATO", "Romania", D("2009-01-01"), None, ended)
    assert inside[0].day == D("2010-01-02") and inside[0].field == "end_date"
    assert inside[0].sentence == (
        "Members of B9 must be members of NATO, but Romania is not a member of NATO on 2010-01-02."
    )


def test_dependents_covered():
    b9 = ("B9", [(D("2015-11-04"), None)])
    assert memberships.dependents_covered("Romania", "NATO", [(D("2004-03-29"), None)], [b9]) == []
    found = memberships.dependents_covered("Romania", "NATO", [(D("2004-03-29"), D("2019-12-31"))], [b9], on="status")
    assert found == [DependentUncovered("Romania", "B9", "NATO", D("2020-01-01"), on="status")]
    assert found[0].field == "status"
    assert (
        found[0].sentence == "Romania is a member of B9 on 2020-01-01, which requires membership of NATO on that day."
    )
