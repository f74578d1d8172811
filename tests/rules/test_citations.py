"""The citation rules (alliances/rules/citations.py): no database."""

from alliances.rules import citations
from alliances.rules.problems import CitationOrganization, EmptyQuote, NeedsCitation


def test_a_citation_quotes_a_sentence():
    assert citations.quoted("NATO admitted Romania.") == []
    assert citations.quoted("  \n") == citations.quoted(None) == [EmptyQuote()]


def test_a_citation_of_a_period_is_about_its_organization():
    assert citations.same_organization(1, 1) == []
    assert citations.same_organization(None, 1) == []  # filled in from the membership
    assert citations.same_organization(1, 2) == [CitationOrganization()]


def test_no_period_is_left_without_a_citation():
    assert citations.none_left_bare([]) == []
    (problem,) = citations.none_left_bare([f"period {n}" for n in range(7)])
    assert problem.sentence == (
        f"{NeedsCitation().sentence} This would leave none on: period 0, period 1, period 2, period 3, period 4 "
        "and 2 more."
    )
