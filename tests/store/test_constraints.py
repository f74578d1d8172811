"""A database constraint that refuses a write is reported in a plain sentence naming the field.

Validation normally stops these first; a concurrent writer is what lets one
through to the database. ``full_clean`` is switched off here to play that
writer. The database's own text (constraint, table and column names, the
engine's wording, the values) never reaches the client.
"""

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from rest_framework.test import APIClient

from alliances import services
from alliances.models import Citation, Country, Membership
from alliances.store import constraints
from tests.admin.test_admin import form_data

pytestmark = pytest.mark.django_db
D = datetime.date.fromisoformat
RAW = ["constraint", "alliances_", "violates", "failed", "duplicate key", "Key (", "DETAIL", "UNIQUE", "CHECK"]


@pytest.fixture
def no_validation(monkeypatch):
    for model in (Membership, Country, Citation):
        monkeypatch.setattr(model, "full_clean", lambda self, *a, **k: None)


def assert_plain(text):
    for raw in RAW:
        assert raw not in text, f"{raw!r} in {text!r}"


def refused(instance, **fields):
    with pytest.raises(ValidationError) as info:
        services.record_save(instance, **fields)
    for message in info.value.messages:
        assert_plain(message)
    return info.value.message_dict


def ro_nato():
    return Membership.objects.get(country__iso2="RO", organization__slug="nato", status="member")


def test_check_constraints_name_their_field(no_validation):
    assert refused(ro_nato(), end_date=D("1990-01-01")) == {
        "end_date": ["The end date must not be before the start date."]
    }
    assert refused(ro_nato(), status="bogus") == {"status": ["The status is not one of the allowed statuses."]}
    assert refused(Country(code="ZZ", iso2="zz", iso3="ZZZ", numeric="999", name="Z")) == {
        "iso2": ["The ISO alpha-2 code must be two capital letters, e.g. RO."]
    }
    assert refused(Country(code="Z1", iso3="ZZZ", numeric="999", name="Z")) == {
        "code": [
            "The code must be an ISO alpha-2 code (RO) or, for a former state, its ISO 3166-3 alpha-4 code (SUHH)."
        ]
    }
    citation = Citation.objects.filter(membership__isnull=False).first()
    assert refused(citation, quote="") == {"quote": ["A citation needs the quoted sentence."]}


def test_unique_constraints_name_their_field(no_validation):
    ro = ro_nato()
    duplicate = Membership(country=ro.country, organization=ro.organization, start_date=ro.start_date)
    assert refused(duplicate) == {
        "start_date": ["This country already has a period in this organization starting on that day."]
    }
    assert refused(Country(code="XX", iso2="RO", iso3="ZZZ", numeric="999", name="Z")) == {
        "iso2": ["A country with this ISO alpha-2 already exists."]
    }
    assert refused(Country(code="RO", iso3="ZZZ", numeric="999", name="Z")) == {
        "code": ["A country with this code already exists."]
    }
    citation = Citation.objects.filter(membership__isnull=False).first()
    again = Citation(source=citation.source, organization=citation.organization, membership=citation.membership)
    assert refused(again, quote="x") == {"source": ["This source is already cited for this membership."]}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's")
def test_the_exclusion_constraint_names_its_field(no_validation):
    ro = ro_nato()
    overlapping = Membership(country=ro.country, organization=ro.organization, start_date=D("2010-01-01"))
    assert refused(overlapping) == {
        "start_date": ["This period overlaps another period of the same country in the same organization."]
    }


def test_an_unknown_constraint_gets_a_generic_sentence():
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE t_probe (x integer CONSTRAINT some_rule CHECK (x > 0))")
            cursor.execute("INSERT INTO t_probe VALUES (-1)")
    except IntegrityError as exc:
        error = constraints.refusal(exc)
    assert error.messages == [constraints.GENERIC]
    assert constraints.refusal(IntegrityError("FOREIGN KEY constraint failed")).messages == [constraints.GENERIC]


def test_the_api_answers_the_plain_sentence(no_validation):
    client = APIClient()
    client.force_authenticate(User.objects.create_superuser("su", password="pw-for-tests-only"))
    url = f"/api/v1/memberships/{ro_nato().pk}/"
    response = client.patch(url, {"end_date": "1990-01-01"}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"])
    assert response.status_code == 400
    assert response.json() == {"end_date": ["The end date must not be before the start date."]}


def test_the_admin_shows_the_plain_sentence(admin_client, no_validation):
    url = f"/admin/alliances/membership/{ro_nato().pk}/change/"
    data = form_data(admin_client.get(url), "membership_form")
    data["end_date"] = ["1990-01-01"]
    response = admin_client.post(url, data, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "The end date must not be before the start date." in text
    assert_plain(text.split("messagelist")[1].split("</ul>")[0])
    assert ro_nato().end_date is None
