"""The rules of one record (alliances/rules/records.py): no database."""

import datetime

from alliances.rules import records
from alliances.rules.problems import (
    AliasEmpty,
    AliasKey,
    DormantOutsideLife,
    ExistenceReversed,
    NoCode,
    RequirementBroken,
    RequiresItself,
)

D = datetime.date.fromisoformat


def test_country():
    assert records.country("RO", None, None) == []
    assert records.country("", D("1991-12-26"), D("1991-12-25")) == [NoCode(), ExistenceReversed()]


def test_alias():
    assert records.alias("Czech Republic") == []
    assert records.alias("…") == [AliasEmpty()]
    assert records.alias("Czech Republic", "czech republic") == []
    assert records.alias("Czech Republic", "czech rep") == [AliasKey("Czech Republic", "czech rep", "czech republic")]


def test_dormancy():
    assert records.dormancy(D("2000-01-01"), None, D("2010-01-01")) == []
    assert records.dormancy(D("2000-01-01"), None, D("1999-01-01")) == [DormantOutsideLife()]
    assert records.dormancy(D("2000-01-01"), D("2005-01-01"), D("2006-01-01")) == [DormantOutsideLife()]


def test_requirement():
    assert records.requirement("B9", "NATO", False, []) == []
    assert records.requirement("B9", "B9", True, []) == [RequiresItself("B9")]
    found = records.requirement("B9", "EU", False, [("Romania", D("2015-11-04")), ("Poland", D("2015-11-04"))])
    assert found == [RequirementBroken("B9", "EU", 2, "Romania", D("2015-11-04"))]
    assert found[0].sentence == (
        "2 member period(s) of B9 break the requirement of EU, e.g. Romania is not a member of EU on 2015-11-04."
    )
