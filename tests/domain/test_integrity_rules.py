"""Cross-row rules on every write path and under concurrency (issue 10, findings 4 and 8)."""

import threading
import time

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.db import connection
from rest_framework.test import APIClient

from alliances import selectors, services, validation
from alliances.choices import MembershipStatus
from alliances.models import Citation, Country, Membership, Organization, Source
from tests.integrity_support import committed, needs_postgresql, reload_data_after_module  # noqa: F401

QUOTE = "The Bucharest Nine is a reference to the nine European nations that form the eastern edge of NATO."


def curator_client(username="alice"):
    user = User.objects.create_user(username, password="pw-for-tests-only")
    codenames = [f"{op}_{model}" for op in ("add", "change", "delete") for model in ("membership", "organization")]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = APIClient()
    client.force_authenticate(User.objects.get(pk=user.pk))
    return client


def patch(client, url, data):
    etag = client.get(url)["ETag"]
    return client.patch(url, data, format="json", HTTP_IF_MATCH=etag)


# --- the API runs the rules the admin runs ----------------------------------------------------


@pytest.mark.django_db
def test_api_refuses_a_membership_without_citation():
    client = curator_client()
    body = {"country": "BR", "organization": "osce", "status": "partner", "start_date": "2000-01-01"}
    response = client.post("/api/v1/memberships/", body, format="json")
    assert response.status_code == 400
    assert "citation" in response.json()["citations"][0]
    response = client.post("/api/v1/memberships/", {**body, "citations": []}, format="json")
    assert response.status_code == 400
    assert not Membership.objects.filter(country__iso2="BR", organization__slug="osce").exists()

    cited = {**body, "citations": [{"source": "seed-article-2021-12", "quote": QUOTE}]}
    assert client.post("/api/v1/memberships/", cited, format="json").status_code == 201


@pytest.mark.django_db
def test_services_refuse_a_membership_without_citation():
    with pytest.raises(ValidationError) as error:
        services.membership_create(
            country=Country.objects.get(iso2="BR"),
            organization=Organization.objects.get(slug="osce"),
            status=MembershipStatus.PARTNER,
            start_date=pytest.importorskip("datetime").date(2000, 1, 1),
        )
    assert "citations" in error.value.message_dict
    assert not Membership.objects.filter(country__iso2="BR", organization__slug="osce").exists()


@pytest.mark.django_db
def test_api_refuses_a_requirement_the_data_breaks():
    client = curator_client()
    response = patch(client, "/api/v1/organizations/nato/", {"members_must_belong_to": ["eu"]})
    assert response.status_code == 400, response.content
    assert "not a member of EU" in response.json()["members_must_belong_to"][0]
    assert not Organization.objects.get(slug="nato").members_must_belong_to.exists()


@pytest.mark.django_db
def test_api_refuses_a_requirement_naming_the_organization_itself():
    client = curator_client()
    response = patch(client, "/api/v1/organizations/b9/", {"members_must_belong_to": ["nato", "b9"]})
    assert response.status_code == 400, response.content
    assert "itself" in response.json()["members_must_belong_to"][0]
    assert list(Organization.objects.get(slug="b9").members_must_belong_to.values_list("slug", flat=True)) == ["nato"]


@pytest.mark.django_db
def test_api_accepts_a_requirement_the_data_keeps():
    client = curator_client()
    response = patch(client, "/api/v1/organizations/b9/", {"members_must_belong_to": ["nato", "osce"]})
    assert response.status_code == 200, response.content
    assert sorted(response.json()["members_must_belong_to"]) == ["nato", "osce"]


@pytest.mark.django_db
def test_admin_refuses_a_requirement_naming_the_organization_itself(admin_client):
    b9 = Organization.objects.get(slug="b9")
    url = f"/admin/alliances/organization/{b9.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "members_must_belong_to"}
    data["members_must_belong_to"] = [b9.pk]
    for prefix in ("aliases", "memberships", "citations"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "cannot require membership of itself" in response.content.decode()


# --- concurrency: the rules hold when writers race --------------------------------------------


def nato_members_outside_b9():
    b9 = set(Membership.objects.filter(organization__slug="b9").values_list("country_id", flat=True))
    return list(
        Membership.objects.filter(
            organization__slug="nato", status="member", end_date__isnull=True, start_date__lt="2015-01-01"
        )
        .exclude(country_id__in=b9)
        .select_related("country")
        .order_by("country__iso2")
    )


@needs_postgresql
@pytest.mark.usefixtures("committed")
def test_ending_nato_while_adding_b9_never_breaks_the_rule(monkeypatch):
    """Issue 10, finding 4: one curator ends (or deletes) a state's NATO period while another adds its B9 period.

    Each pair runs in two threads with connections of their own, through the
    API. The rule check is slowed down a little, as a slow request would be,
    so that without the lock both checks pass before either write commits.
    """
    check = validation.check_membership

    def slow_check(membership):
        check(membership)
        time.sleep(0.05)

    monkeypatch.setattr(validation, "check_membership", slow_check)
    ending, adding = curator_client("ending"), curator_client("adding")
    pairs = nato_members_outside_b9()
    assert len(pairs) >= 15
    outcomes = []

    for i, nato in enumerate(pairs):
        url = f"/api/v1/memberships/{nato.pk}/"
        etag = ending.get(url)["ETag"]
        barrier = threading.Barrier(2)
        result = {}

        def end_nato(nato=nato, url=url, etag=etag, result=result, barrier=barrier, delete=i % 2):
            try:
                barrier.wait()
                if delete:
                    result["end"] = ending.delete(url, HTTP_IF_MATCH=etag).status_code
                else:
                    response = ending.patch(url, {"end_date": "2019-12-31"}, format="json", HTTP_IF_MATCH=etag)
                    result["end"] = response.status_code
            finally:
                connection.close()

        def add_b9(nato=nato, result=result, barrier=barrier):
            try:
                body = {
                    "country": nato.country.iso2,
                    "organization": "b9",
                    "start_date": "2018-01-01",
                    # The quote names the state and the year, as validate_data asks of every citation.
                    "citations": [{"source": "seed-article-2021-12", "quote": f"{nato.country.name}: {QUOTE} (2018)"}],
                }
                barrier.wait()
                result["add"] = adding.post("/api/v1/memberships/", body, format="json").status_code
            finally:
                connection.close()

        threads = [threading.Thread(target=end_nato), threading.Thread(target=add_b9)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        outcomes.append((nato.country.iso2, result.get("end"), result.get("add")))

    problems = selectors.find_problems()
    assert problems == [], problems
    for iso2, end, add in outcomes:
        # Exactly one of the two writes wins; the other is refused with a 4xx, never a 500.
        assert sorted([end in (200, 204), add == 201]) == [False, True], (iso2, end, add)
        assert end in (200, 204, 400, 409) and add in (201, 400), (iso2, end, add)


@needs_postgresql
@pytest.mark.usefixtures("committed")
def test_concurrent_overlapping_periods_are_refused(monkeypatch):
    """Two curators add overlapping periods of the same state at once: one is refused."""
    check = validation.check_membership
    monkeypatch.setattr(validation, "check_membership", lambda m: (check(m), time.sleep(0.05)))
    client = curator_client()
    source = Source.objects.get(slug="seed-article-2021-12")
    statuses = []
    barrier = threading.Barrier(2)

    def add(start):
        try:
            body = {
                "country": "BR",
                "organization": "osce",
                "status": "partner",
                "start_date": start,
                "citations": [{"source": source.slug, "quote": f"Brazil, {start[:4]}: {QUOTE}"}],
            }
            barrier.wait()
            statuses.append(client.post("/api/v1/memberships/", body, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(start,)) for start in ("2000-01-01", "2001-01-01")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201, 400]
    assert Membership.objects.filter(country__iso2="BR", organization__slug="osce").count() == 1
    assert Citation.objects.filter(membership__country__iso2="BR", membership__organization__slug="osce").count() == 1
    assert selectors.find_problems() == []
