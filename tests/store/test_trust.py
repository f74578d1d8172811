"""Audit history, no lost updates, limits and health (issue: trust)."""

import base64
import html
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import caches
from django.http import HttpRequest
from rest_framework.test import APIClient

from alliances import selectors, services
from alliances.models import AuditEvent, Country, CountryAlias, Membership, Organization
from alliances.store import audit

pytestmark = pytest.mark.django_db


def curator(username, *codenames):
    user = User.objects.create_user(username, password="pw-for-tests-only")
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = APIClient()
    client.force_authenticate(User.objects.get(pk=user.pk))
    return client


def uk_eu():
    return Membership.objects.get(country__iso2="GB", organization__slug="eu", status="member")


# --- audit history -----------------------------------------------------------


def test_api_write_is_recorded_with_actor_and_before_after():
    client = curator("alice", "change_membership")
    membership = uk_eu()
    url = f"/api/v1/memberships/{membership.pk}/"
    etag = client.get(url)["ETag"]
    response = client.patch(url, {"note": "Edited by Alice."}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content

    staff = APIClient()
    staff.force_login(User.objects.create_user("staff", password="pw-for-tests-only", is_staff=True))
    history = staff.get(f"{url}history/").json()  # actors are shown to staff only
    last = history[-1]
    assert last["actor"] == "alice"
    assert last["operation"] == "update"
    assert last["changes"]["note"] == [membership.note, "Edited by Alice."]
    assert history[0]["operation"] == "insert"


def test_bulk_update_and_raw_sql_are_recorded():
    # The last event's id (the count differs once a flush deleted rows).
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with audit.acting_as("bulk-job"):
        changed = Membership.objects.filter(organization__slug="b9").update(note="bulk")
    assert changed == 9
    events = AuditEvent.objects.filter(id__gt=before)
    assert events.count() == 9
    assert set(events.values_list("actor", flat=True)) == {"bulk-job"}
    assert {e.after["note"] for e in events} == {"bulk"}


def test_loader_is_recorded_and_reloading_records_nothing():
    from django.core.management import call_command

    before = audit.data_version()
    call_command("load_fixtures", verbosity=0)
    assert audit.data_version() == before, "reloading unchanged fixtures must not record changes"
    Membership.objects.filter(country__iso2="RO", organization__slug="nato").update(note="tampered")
    call_command("load_fixtures", force=True, verbosity=0)  # without --force it refuses to undo an edit
    restore = AuditEvent.objects.filter(table="alliances_membership").last()
    assert restore.actor.startswith("loader:")
    assert restore.before["note"] == "tampered"


def test_a_periods_history_shows_the_public_no_curators_note_and_staff_all_of_it():
    """The history of a period is public, its curators' note is not: anonymous readers get every other
    column of every event; signed-in staff get the note too."""
    membership = Membership.objects.get(country__iso2="RO", organization__slug="nato", status="member")
    client = curator("carol", "change_membership")
    url = f"/api/v1/memberships/{membership.pk}/"
    note = "Checked against the NATO member list on 7 December 2026."
    assert client.patch(url, {"note": note}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"]).status_code == 200
    public = APIClient().get(f"{url}history/")
    assert public.status_code == 200 and note not in public.content.decode()
    last = public.json()[-1]
    assert last["operation"] == "update" and "note" not in last["after"] and "note" not in last["changes"]
    assert last["after"]["start_date"] == membership.start_date.isoformat()
    User.objects.filter(username="carol").update(is_staff=True)
    staff_client = APIClient()  # signed in for real: forced authentication looks anonymous to the cache
    staff_client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"carol:pw-for-tests-only").decode())
    staff = staff_client.get(f"{url}history/").json()[-1]
    assert staff["changes"]["note"][1] == note and staff["actor"] == "carol"


def test_deleted_membership_keeps_its_history():
    client = curator("bob", "delete_membership", "add_membership")
    created = client.post(
        "/api/v1/memberships/",
        # Japan: Austria, the example before, is a recorded NATO partner from 1995-02-10 now.
        {
            "country": "JP",
            "organization": "nato",
            "status": "partner",
            "start_date": "2010-01-01",
            "citations": [{"source": "seed-article-2021-12", "quote": "A sentence."}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    url = f"/api/v1/memberships/{pk}/"
    assert client.delete(url, HTTP_IF_MATCH=client.get(url)["ETag"]).status_code == 204
    history = APIClient().get(f"{url}history/").json()
    assert [e["operation"] for e in history] == ["insert", "delete"]
    assert history[-1]["before"]["start_date"] == "2010-01-01"
    assert APIClient().get("/api/v1/memberships/999999999/history/").status_code == 404


def test_admin_shows_history(admin_client):
    membership = uk_eu()
    response = admin_client.get(f"/admin/alliances/membership/{membership.pk}/history/")
    assert response.status_code == 200
    assert b"audit-history" in response.content
    assert b"2020-01-31" in response.content


# --- no lost updates ---------------------------------------------------------


def test_second_api_writer_with_stale_etag_gets_412():
    alice = curator("alice", "change_membership")
    bob = curator("bob", "change_membership")
    url = f"/api/v1/memberships/{uk_eu().pk}/"
    etag_alice = alice.get(url)["ETag"]
    etag_bob = bob.get(url)["ETag"]
    assert etag_alice == etag_bob

    first = alice.patch(url, {"note": "Alice's note"}, format="json", HTTP_IF_MATCH=etag_alice)
    assert first.status_code == 200
    second = bob.patch(url, {"note": "Bob's note"}, format="json", HTTP_IF_MATCH=etag_bob)
    assert second.status_code == 412
    assert second.json()["current_etag"] == first["ETag"]
    assert uk_eu().note == "Alice's note"

    retry = bob.patch(url, {"note": "Bob's note"}, format="json", HTTP_IF_MATCH=bob.get(url)["ETag"])
    assert retry.status_code == 200
    assert uk_eu().note == "Bob's note"


def test_write_without_if_match_is_refused_with_428():
    client = curator("carol", "change_membership")
    url = f"/api/v1/memberships/{uk_eu().pk}/"
    response = client.patch(url, {"note": "blind"}, format="json")
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert uk_eu().note != "blind"


def test_get_with_if_none_match_is_304():
    client = APIClient()
    url = "/api/v1/countries/RO/memberships/?as_of=2021-12-30"
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


class _FormScraper(HTMLParser):
    """Collects the values a browser would submit from an admin change form."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") == "checkbox" and "checked" not in attrs:
                return
            self.data[name] = attrs.get("value", "on" if attrs.get("type") == "checkbox" else "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def admin_form_data(client, url):
    scraper = _FormScraper()
    scraper.feed(client.get(url).content.decode())
    data = {k: v for k, v in scraper.data.items() if "__prefix__" not in k}
    for key in list(data):
        if data[key].startswith("\n"):
            data[key] = data[key][1:]
    return data


def test_admin_refuses_a_stale_form(client):
    import html as html_lib

    User.objects.create_superuser("first", password="pw-for-tests-only")
    User.objects.create_superuser("second", password="pw-for-tests-only")
    first, second = APIClient(), APIClient()
    first.login(request=HttpRequest(), username="first", password="pw-for-tests-only")
    second.login(request=HttpRequest(), username="second", password="pw-for-tests-only")
    membership = uk_eu()
    url = f"/admin/alliances/membership/{membership.pk}/change/"
    form_first = admin_form_data(first, url)
    form_second = admin_form_data(second, url)
    assert form_first["loaded_version"]

    form_first["note"] = "First curator's note"
    saved = first.post(url, form_first)
    assert saved.status_code == 302, saved.content.decode()[:2000]

    form_second["note"] = "Second curator's note"
    refused = second.post(url, form_second)
    assert refused.status_code == 200
    assert "changed by first" in html_lib.unescape(refused.content.decode())
    assert uk_eu().note == "First curator's note"


# One token for the admin and the API (alliances/store/concurrency.py): each sees the other's edits.


def signed_in_superuser(username):
    User.objects.create_superuser(username, password="pw-for-tests-only")
    client = APIClient()
    client.login(request=HttpRequest(), username=username, password="pw-for-tests-only")
    return client


def refusal_text(response):
    return html.unescape(response.content.decode())


@pytest.mark.parametrize(
    "api_url, admin_url",
    [
        ("/api/v1/memberships/{pk}/", "/admin/alliances/membership/{pk}/change/"),
        ("/api/v1/countries/RO/", "/admin/alliances/country/{pk}/change/"),
        ("/api/v1/organizations/nato/", "/admin/alliances/organization/{pk}/change/"),
    ],
)
def test_the_admin_form_carries_the_etag_the_api_sends(api_url, admin_url):
    pks = {"membership": uk_eu().pk, "country": Country.objects.get(code="RO").pk}
    pks["organization"] = Organization.objects.get(slug="nato").pk
    kind = admin_url.split("/")[3]
    admin = signed_in_superuser("curator")
    # A curator's GET (its answer carries the working note, as the token does); an anonymous reader's
    # answer has no note, so its ETag is another when the record has one.
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"curator:pw-for-tests-only").decode())
    etag = reader.get(api_url.format(pk=pks[kind]))["ETag"]
    assert etag.startswith('"')
    assert admin_form_data(admin, admin_url.format(pk=pks[kind]))["loaded_version"] == etag


def test_an_api_edit_makes_an_open_admin_form_stale():
    admin = signed_in_superuser("curator")
    url = f"/admin/alliances/membership/{uk_eu().pk}/change/"
    form = admin_form_data(admin, url)

    api = curator("alice", "change_membership")
    api_url = f"/api/v1/memberships/{uk_eu().pk}/"
    assert (
        api.patch(api_url, {"note": "Alice's note"}, format="json", HTTP_IF_MATCH=api.get(api_url)["ETag"]).status_code
        == 200
    )

    form["note"] = "Curator's note"
    refused = admin.post(url, form)
    assert refused.status_code == 200
    assert "changed by alice" in refusal_text(refused)
    assert uk_eu().note == "Alice's note"


def test_an_admin_edit_makes_the_old_etag_fail_in_the_api():
    api = curator("alice", "change_membership")
    api_url = f"/api/v1/memberships/{uk_eu().pk}/"
    old_etag = api.get(api_url)["ETag"]

    admin = signed_in_superuser("curator")
    url = f"/admin/alliances/membership/{uk_eu().pk}/change/"
    form = admin_form_data(admin, url)
    assert form["loaded_version"] == old_etag
    form["note"] = "Curator's note"
    assert admin.post(url, form).status_code == 302

    refused = api.patch(api_url, {"note": "Alice's note"}, format="json", HTTP_IF_MATCH=old_etag)
    assert refused.status_code == 412
    new_etag = api.get(api_url)["ETag"]
    assert new_etag != old_etag
    assert refused.json()["current_etag"] == new_etag
    assert admin_form_data(admin, url)["loaded_version"] == new_etag
    assert uk_eu().note == "Curator's note"


def test_a_new_alias_makes_the_country_form_stale_and_names_who_added_it():
    # The token covers what the page and the API show besides the row's own columns.
    admin = signed_in_superuser("curator")
    romania = Country.objects.get(code="RO")
    url = f"/admin/alliances/country/{romania.pk}/change/"
    form = admin_form_data(admin, url)
    etag = APIClient().get("/api/v1/countries/RO/")["ETag"]

    with audit.acting_as("bob"):
        services.record_save(CountryAlias(country=romania), name="Rumania")

    assert APIClient().get("/api/v1/countries/RO/", HTTP_IF_NONE_MATCH=etag).status_code == 200
    form["official_name"] = "Romania (edited)"
    refused = admin.post(url, form)
    assert refused.status_code == 200
    assert "changed by bob" in refusal_text(refused)
    assert Country.objects.get(pk=romania.pk).official_name != "Romania (edited)"


def test_a_record_the_api_does_not_serve_is_still_protected():
    admin = signed_in_superuser("curator")
    alias = CountryAlias.objects.filter(country__code="CZ").first()
    url = f"/admin/alliances/countryalias/{alias.pk}/change/"
    form = admin_form_data(admin, url)
    assert form["loaded_version"]

    with audit.acting_as("bob"):
        services.record_save(alias, name="Czech Lands (edited elsewhere)")

    form["name"] = "Czech Lands (edited here)"
    refused = admin.post(url, form)
    assert refused.status_code == 200
    assert "changed by bob" in refusal_text(refused)
    assert CountryAlias.objects.get(pk=alias.pk).name == "Czech Lands (edited elsewhere)"

    form = admin_form_data(admin, url)
    form["name"] = "Czech Lands (edited here)"
    assert admin.post(url, form).status_code == 302
    assert CountryAlias.objects.get(pk=alias.pk).name == "Czech Lands (edited here)"


# --- limits ------------------------------------------------------------------


def test_burst_past_the_anonymous_limit_gets_429_with_retry_after(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "5/minute", "user": None}}
    caches[settings.THROTTLE_CACHE_ALIAS].clear()
    client = APIClient()
    statuses = [client.get("/api/v1/organizations/nato/").status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429, 429]
    limited = client.get("/api/v1/organizations/nato/")
    assert int(limited["Retry-After"]) > 0
    assert "throttled" in limited.json()["detail"].lower() or "request" in limited.json()["detail"].lower()


def test_page_size_is_capped():
    response = APIClient().get("/api/v1/memberships/?page_size=100000")
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_oversized_request_body_is_refused(settings):
    client = curator("dave", "add_source")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = {"slug": "big", "title": "x" * 5000, "kind": "news_article"}
    response = client.post("/api/v1/sources/", body, format="json")
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


# --- health ------------------------------------------------------------------


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_resolver_still_answers_after_writes():
    # A stale answer after a write is a bug: the API reads what was just written.
    client = curator("erin", "change_membership")
    url = f"/api/v1/memberships/{uk_eu().pk}/"
    day = "2020-06-01"
    assert "EU" not in [
        r["organization"]["acronym"]
        for r in APIClient().get(f"/api/v1/countries/GB/memberships/?as_of={day}").json()["results"]
    ]
    client.patch(url, {"end_date": None}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"])
    answer = APIClient().get(f"/api/v1/countries/GB/memberships/?as_of={day}").json()
    assert "EU" in [r["organization"]["acronym"] for r in answer["results"]]
    assert selectors.country_resolve("GB").iso2 == "GB"


def test_history_names_actors_to_signed_in_staff_only():
    membership = uk_eu()
    url = f"/api/v1/memberships/{membership.pk}/"
    editor = curator("carol", "change_membership")
    editor.patch(url, {"note": "Edited by Carol."}, format="json", HTTP_IF_MATCH=editor.get(url)["ETag"])
    with audit.acting_as("loader:root"):
        Membership.objects.filter(pk=membership.pk).update(note="Reloaded.")

    # Signed in for real (a session cookie), as a browser would be.
    staff, non_staff = APIClient(), APIClient()
    staff.force_login(User.objects.create_user("staffer", password="pw-for-tests-only", is_staff=True))
    non_staff.force_login(User.objects.create_user("dan", password="pw-for-tests-only"))

    # Anonymous first (twice: the second answer is a cached one), then staff, then anonymous again:
    # the staff view must never be cached for, or served to, anyone else.
    for client in (APIClient(), APIClient(), staff, non_staff, APIClient()):
        response = client.get(f"{url}history/")
        assert response.status_code == 200
        events = response.json()
        shows = client is staff
        assert all(("actor" in e) == shows for e in events), (client, events[-1])
        if not shows:
            assert b"carol" not in response.content and b"loader:" not in response.content
            assert b"root" not in response.content
    staff_events = staff.get(f"{url}history/").json()
    assert [e["actor"] for e in staff_events[-2:]] == ["carol", "loader:root"]
