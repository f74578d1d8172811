"""Curators edit an organization's periods in others (citations inline), its names and its successions,
recorded under their name like every other change."""

import io

import pytest
from django.core.management import call_command
from django.http import HttpRequest

from alliances.admin import curators
from alliances.models import AuditEvent, Organization, OrganizationMembership, OrganizationName, Source
from tests.admin.test_admin import form_data

pytestmark = pytest.mark.django_db

ADMIN = "/admin/alliances/"
PASSWORD = "curator-Pw-for-tests-1"


@pytest.fixture
def curator(client):
    call_command("create_curator", "olga", password=PASSWORD, stdout=io.StringIO())
    assert client.login(request=HttpRequest(), username="olga", password=PASSWORD)
    return client


def period_data(client, **fields):
    data = form_data(client.get(f"{ADMIN}organizationmembership/add/"), "organizationmembership_form")
    data.update({name: [value] for name, value in fields.items()})
    return data


def test_curators_may_edit_the_new_tables():
    granted = set(curators.codenames())
    assert {"add_organizationmembership", "delete_organizationmembership", "change_organizationname"} <= granted
    assert "add_organizationsuccession" in granted and "delete_organizationname" not in granted


def test_a_curator_records_the_eu_in_the_osce_with_its_citation(curator):
    eu, osce = Organization.objects.get(slug="eu"), Organization.objects.get(slug="osce")
    source = Source.objects.get(slug="osce-budapest-summit-1994")
    data = period_data(
        curator,
        member=eu.pk,
        organization=osce.pk,
        status="observer",
        start_date="1995-01-01",
        start_precision="day",
        end_precision="day",
        **{"citations-0-source": source.pk, "citations-0-quote": "A sentence."},
    )
    response = curator.post(f"{ADMIN}organizationmembership/add/", data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    period = OrganizationMembership.objects.get(member=eu, organization=osce)
    assert [c.quote for c in period.citations.all()] == ["A sentence."]
    event = AuditEvent.objects.filter(table="alliances_organizationmembership", row_id=period.pk).get()
    assert (event.operation, event.actor) == ("insert", "olga")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "at least one citation"),  # no citation
        ({"member": "osce", "citations-0-quote": "q"}, "cannot be a member of itself"),
        ({"start_date": "1970-01-01", "citations-0-quote": "q"}, "OSCE was founded"),
    ],
)
def test_the_admin_shows_each_rule(curator, fields, message):
    osce = Organization.objects.get(slug="osce")
    member = Organization.objects.get(slug=fields.pop("member", "eu"))
    source = Source.objects.get(slug="osce-budapest-summit-1994")
    citation = {"citations-0-source": source.pk} if "citations-0-quote" in fields else {}
    data = period_data(
        curator,
        member=member.pk,
        organization=osce.pk,
        status="member",
        start_date=fields.pop("start_date", "1999-01-01"),
        start_precision="day",
        end_precision="day",
        **citation,
        **fields,
    )
    response = curator.post(f"{ADMIN}organizationmembership/add/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not OrganizationMembership.objects.filter(organization=osce).exists()


def test_names_and_successions_have_their_pages(curator):
    for model in ("organizationmembership", "organizationname", "organizationsuccession"):
        assert curator.get(f"{ADMIN}{model}/").status_code == 200
    name = OrganizationName.objects.get(organization__slug="osce", acronym="CSCE")
    assert curator.get(f"{ADMIN}organizationname/{name.pk}/change/").status_code == 200
