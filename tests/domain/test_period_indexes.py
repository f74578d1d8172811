"""The period queries can use the GiST range indexes on both columns (issue 13, "the plans use the range indexes")."""

import datetime

import pytest
from django.db import connection, transaction

from alliances import selectors
from alliances.models import Country, Membership, Organization

pytestmark = pytest.mark.django_db

DAY = datetime.date(2021, 12, 30)


def plan(queryset):
    """EXPLAIN with sequential scans priced out, so the plan shows which index conditions are possible at all."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


def test_of_filters_by_country_and_organization_given_as_instances_or_ids():
    romania, nato = Country.objects.get(code="RO"), Organization.objects.get(slug="nato")
    expected = set(Membership.objects.filter(country=romania, organization=nato).values_list("pk", flat=True))
    assert expected
    assert set(Membership.objects.of(country=romania, organization=nato).values_list("pk", flat=True)) == expected
    assert set(Membership.objects.of(country=romania.pk, organization=nato.pk).values_list("pk", flat=True)) == expected
    assert Membership.objects.of(country=romania).count() == Membership.objects.filter(country=romania).count()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GiST range indexes exist on PostgreSQL only")
@pytest.mark.parametrize(
    ("name", "queryset"),
    [
        ("a state's groups on a day", lambda: selectors.country_memberships(Country.objects.get(code="RO"), as_of=DAY)),
        (
            "an organization's members",
            lambda: selectors.organization_members(Organization.objects.get(slug="nato"), as_of=DAY),
        ),
        (
            "the set filters",
            lambda: selectors.country_list(member_of=[Organization.objects.get(slug="nato")], as_of=DAY),
        ),
    ],
)
def test_the_hot_queries_use_a_range_index_on_the_id_and_the_day(name, queryset):
    # With the id as an integer literal, btree_gist (bigint) could not use it: the index
    # condition held the day alone and the plan ANDed it with the plain foreign-key index.
    lines = [line for line in plan(queryset()).splitlines() if "Index Cond" in line and "@>" in line]
    assert any("_id = " in line and "::bigint" in line for line in lines), (name, lines)
