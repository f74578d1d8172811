"""The admin says whose it is, and its history speaks in names."""

import pytest

from alliances.models import Membership

pytestmark = pytest.mark.django_db
ADMIN = "/admin/alliances/"


def test_the_admin_is_branded_as_the_project(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "Django administration" not in page and "Django site admin" not in page
    assert "alliances · curation" in page and "<title>" in page and "alliances curation</title>" in page


def test_history_names_the_country_and_organization_not_their_ids(admin_client):
    m = Membership.objects.filter(country__iso2="RO", organization__slug="nato").order_by("start_date").last()
    Membership.objects.filter(pk=m.pk).update(note="edited")  # an update event next to the insert
    page = admin_client.get(f"{ADMIN}membership/{m.pk}/history/").content.decode()
    assert f"Romania (#{m.country_id})" in page
    assert f"NATO (#{m.organization_id})" in page
    assert "<code>country</code>" in page and "country_id" not in page
    assert "edited" in page


def test_organization_page_lists_periods_without_a_form_each(admin_client, django_assert_max_num_queries):
    from alliances.models import Organization

    osce = Organization.objects.get(slug="osce")
    response = admin_client.get(f"{ADMIN}organization/{osce.pk}/change/")
    page = response.content.decode()
    assert 'id="membership-periods"' in page
    assert 'name="memberships-0-country"' not in page
    assert page.count(f'href="{ADMIN}membership/') >= Membership.objects.filter(organization=osce).count()
