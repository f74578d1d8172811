"""Curation workflows through the test client: the logic behind what tests/browser/ clicks through.

A failure here names the broken step without a browser: the curators group and
command, recording an accession, ending periods in bulk, changing status, the
country summary, and CSV import (preview, refusal, confirmation) and export.
"""

import csv
import datetime
import io
import tempfile
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.test import Client

from alliances.admin import curators
from alliances.models import AuditEvent, Citation, Country, Membership, Organization, Source
from tests.admin.test_admin import form_data
from tests.api.test_api_read import ORIGINAL_NINE

pytestmark = pytest.mark.django_db

ADMIN = "/admin/alliances/"
D = datetime.date.fromisoformat
PASSWORD = "curator-Pw-for-tests-1"
SEED = "seed-article-2021-12"


@pytest.fixture
def curator(client):
    """A client signed in as a curator made by ``create_curator``: only the curators group's permissions."""
    call_command("create_curator", "cora", password=PASSWORD, stdout=io.StringIO())
    assert client.login(request=HttpRequest(), username="cora", password=PASSWORD)
    return client


def membership(iso2, slug, **lookup):
    """The member period unless ``lookup`` says otherwise (NATO partners and EU candidates are recorded too)."""
    return Membership.objects.get(country__iso2=iso2, organization__slug=slug, **{"status": "member", **lookup})


def last_actor(model_obj):
    event = AuditEvent.objects.filter(table=type(model_obj)._meta.db_table, row_id=model_obj.pk).last()
    return event.actor if event else None


def page_errors(response):
    """Field errors of a workflow page's form, as {field: joined messages} ("__all__" for the whole form)."""
    form = response.context["form"]
    return {field: " ".join(messages) for field, messages in form.errors.items()}


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- the curators group and create_curator -----------------------------------------------------------


def test_curators_group_has_exactly_the_needed_permissions():
    group = Group.objects.get(name="curators")
    granted = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert granted == {("alliances", codename) for codename in curators.codenames()}
    codenames = {codename for _, codename in granted}
    assert {"delete_membership", "delete_citation"} <= codenames
    deletable = {"delete_membership", "delete_citation"}
    deletable |= {"delete_organizationmembership", "delete_organizationmembershipcitation"}  # an organization's
    assert not {c for c in codenames if c.startswith("delete_")} - deletable
    assert not {"change_country", "change_organization", "add_country", "add_organization"} & codenames
    assert not {"add_user", "change_user", "add_group", "change_group"} & codenames


def test_create_curator_makes_a_staff_user_in_the_group_only():
    out = io.StringIO()
    call_command("create_curator", "ann", password=PASSWORD, email="ann@example.org", stdout=out)
    user = User.objects.get(username="ann")
    assert (user.is_staff, user.is_superuser, user.email) == (True, False, "ann@example.org")
    assert list(user.groups.values_list("name", flat=True)) == ["curators"]
    assert not user.user_permissions.exists()
    assert user.check_password(PASSWORD)
    assert user.has_perm("alliances.add_membership") and not user.has_perm("auth.change_user")
    assert "Created curator 'ann'" in out.getvalue()


def test_create_curator_refuses_a_weak_password_and_an_existing_name():
    with pytest.raises(CommandError, match="Password refused"):
        call_command("create_curator", "bob", password="123")
    assert not User.objects.filter(username="bob").exists()
    call_command("create_curator", "bob", password=PASSWORD, stdout=io.StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_curator", "bob", password=PASSWORD)


def test_create_curator_prompts_for_the_password(monkeypatch):
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("create_curator", "cy", stdout=io.StringIO())
    assert User.objects.get(username="cy").check_password(PASSWORD)
    answers = iter([PASSWORD, PASSWORD + "x"])
    with pytest.raises(CommandError, match="differ"):
        call_command("create_curator", "dee", stdout=io.StringIO())


def test_curator_sees_curation_but_not_user_admin(curator):
    assert curator.get(f"{ADMIN}membership/").status_code == 200
    assert curator.get(f"{ADMIN}country/").status_code == 200
    assert curator.get("/admin/auth/user/").status_code == 403
    ro = Country.objects.get(iso2="RO")
    # countries are read-only for a curator: the page renders but a POST changes nothing
    assert curator.post(f"{ADMIN}country/{ro.pk}/change/", {"name": "Rumania"}).status_code == 403


# --- workflow 1: record an accession -----------------------------------------------------------------


def accession_url(slug):
    return f"{ADMIN}organization/{Organization.objects.get(slug=slug).pk}/accession/"


def accession_data(iso2, start, *, end="", status="member", quote="It joined.", source=SEED):
    return {
        "country": Country.objects.get(iso2=iso2).pk,
        "status": status,
        "start_date": start,
        "end_date": end,
        "note": "",
        "source": Source.objects.get(slug=source).pk if source else "",
        "quote": quote,
    }


def test_organization_page_links_to_record_accession(curator):
    nato = Organization.objects.get(slug="nato")
    response = curator.get(f"{ADMIN}organization/{nato.pk}/change/")
    assert accession_url("nato") in response.content.decode()


def test_record_accession_creates_membership_and_citation_as_the_curator(curator):
    # Switzerland in the EU: it has been a NATO partner since 1996, so a NATO accession would need a change of status.
    response = curator.get(accession_url("eu"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("country", "status", "start_date", "source", "quote"):
        assert f'name="{name}"' in html
    assert "admin/js/autocomplete.js" in html  # country and source are select2 lookups

    response = curator.post(accession_url("eu"), accession_data("CH", "2026-01-15", quote="Switzerland joined."))
    created = membership("CH", "eu")
    assert response.status_code == 302
    assert response["Location"] == f"{ADMIN}membership/{created.pk}/change/"
    assert (created.status, created.start_date, created.end_date) == ("member", D("2026-01-15"), None)
    citation = created.citations.get()
    assert (citation.source.slug, citation.quote, citation.organization.slug) == (SEED, "Switzerland joined.", "eu")
    assert last_actor(created) == "cora" and last_actor(citation) == "cora"
    follow = curator.get(response["Location"])
    assert any("Recorded: Switzerland in EU" in m for m in messages_of(follow))


@pytest.mark.parametrize(
    ("iso2", "slug", "start", "end", "field", "message"),
    [
        ("RO", "nato", "2010-01-01", "", "start_date", "overlaps this one"),
        ("BR", "osce", "2010-01-02", "2010-01-01", "end_date", "The end date 2010-01-01 is before the start date"),
        ("JP", "b9", "2015-11-03", "", "start_date", "B9 was founded on 2015-11-04"),
        ("AT", "b9", "2016-01-01", "", "start_date", "Members of B9 must be members of NATO, but Austria is not"),
    ],
    ids=["overlap", "end-before-start", "before-founded", "b9-not-in-nato"],
)
def test_record_accession_shows_each_rule_on_its_field(curator, iso2, slug, start, end, field, message):
    count, citations = Membership.objects.count(), Citation.objects.count()
    response = curator.post(accession_url(slug), accession_data(iso2, start, end=end))
    assert response.status_code == 200
    assert message in page_errors(response)[field]
    assert (Membership.objects.count(), Citation.objects.count()) == (count, citations)


def test_record_accession_needs_a_quote(curator):
    response = curator.post(accession_url("eu"), accession_data("CH", "2026-01-15", quote=""))
    assert "quote" in page_errors(response)
    response = curator.post(accession_url("eu"), accession_data("CH", "2026-01-15", quote="   "))
    assert "quote" in page_errors(response)
    assert not Membership.objects.filter(country__iso2="CH", organization__slug="eu", status="member").exists()


def test_record_accession_needs_permission(client):
    User.objects.create_user("viewer", password=PASSWORD, is_staff=True)
    client.login(request=HttpRequest(), username="viewer", password=PASSWORD)
    assert client.get(accession_url("nato")).status_code == 403


def test_country_autocomplete_finds_a_country_by_alias_for_a_curator(curator):
    response = curator.get(
        "/admin/autocomplete/",
        {"app_label": "alliances", "model_name": "membership", "field_name": "country", "term": "Swiss Conf"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["Switzerland"]


# --- workflow 2: end selected memberships on a date --------------------------------------------------


def end_action(client, memberships, end_date=None, query=""):
    data = {"action": "end_on_date", "_selected_action": [m.pk for m in memberships]}
    if end_date is None:
        data["index"] = "0"  # as posted from the list page
    else:
        data.update(apply="1", end_date=end_date)
    return client.post(f"{ADMIN}membership/{query}", data)


def test_end_action_asks_for_the_date_first(curator):
    gb_nato = membership("GB", "nato")
    response = end_action(curator, [gb_nato])
    assert response.status_code == 200
    assert response.context["memberships"] == [gb_nato]
    assert "end_date" in form_data(response, "workflow_form")
    gb_nato.refresh_from_db()
    assert gb_nato.end_date is None


def test_end_action_ends_every_selected_period_as_the_curator(curator):
    selected = [membership("HU", "eu"), membership("HU", "osce")]
    response = end_action(curator, selected, "2030-06-30", query="?q=Hungary")
    assert response.status_code == 302
    assert response["Location"].endswith("?q=Hungary")  # back to the same filtered list
    for m in selected:
        m.refresh_from_db()
        assert m.end_date == D("2030-06-30")
        assert last_actor(m) == "cora"
    follow = curator.get(f"{ADMIN}membership/")
    assert any("Ended 2 membership(s) on 2030-06-30" in m for m in messages_of(follow))


def test_end_action_changes_nothing_if_one_is_refused(curator):
    ok, too_early = membership("HU", "osce"), membership("SE", "nato")  # Sweden joined NATO on 2024-03-07
    response = end_action(curator, [ok, too_early], "2020-01-01")
    assert response.status_code == 200
    problems = {m.country.iso2: " ".join(messages) for m, messages in response.context["problems"]}
    assert set(problems) == {"SE"}
    assert "The end date 2020-01-01 is before the start date 2024-03-07" in problems["SE"]
    assert "Nothing was changed: 1 of 2" in page_errors(response)["__all__"]
    for m in (ok, too_early):
        m.refresh_from_db()
        assert m.end_date is None


def test_end_action_reports_a_rule_of_another_organization(curator):
    response = end_action(curator, [membership("RO", "nato")], "2020-01-01")
    ((m, messages),) = response.context["problems"]
    assert "Romania is a member of B9 on 2020-01-02, which requires membership of NATO" in " ".join(messages)
    assert membership("RO", "nato").end_date is None


def test_end_action_orders_dependent_periods_itself(curator):
    # NATO first in list order, but it can only end once the B9 seat that requires it has ended.
    response = end_action(curator, [membership("RO", "nato"), membership("RO", "b9")], "2030-01-01")
    assert response.status_code == 302
    assert membership("RO", "nato").end_date == membership("RO", "b9").end_date == D("2030-01-01")


def test_end_action_refuses_an_already_ended_period(curator):
    response = end_action(curator, [membership("GB", "eu")], "2030-01-01")
    ((m, messages),) = response.context["problems"]
    assert "already ended on 2020-01-31" in " ".join(messages)
    assert membership("GB", "eu").end_date == D("2020-01-31")


def test_end_action_needs_a_valid_date(curator):
    response = end_action(curator, [membership("HU", "eu")], "2030-02-30")
    assert "end_date" in page_errors(response)
    assert membership("HU", "eu").end_date is None


# --- workflow 3: change of status as two periods -----------------------------------------------------


def change_status_url(m):
    return f"{ADMIN}membership/{m.pk}/change-status/"


def test_membership_page_links_to_change_status(curator):
    ua_eu = membership("UA", "eu", status="candidate")
    assert change_status_url(ua_eu) in curator.get(f"{ADMIN}membership/{ua_eu.pk}/change/").content.decode()


def test_change_status_ends_the_period_the_day_before_and_opens_the_next(curator):
    ua_eu = membership("UA", "eu", status="candidate")
    data = {"new_status": "member", "on": "2030-05-01", "note": "", "source": Source.objects.get(slug=SEED).pk}
    response = curator.post(change_status_url(ua_eu), {**data, "quote": "Ukraine joined the EU."})
    new = membership("UA", "eu", status="member")
    assert response.status_code == 302 and response["Location"] == f"{ADMIN}membership/{new.pk}/change/"
    ua_eu.refresh_from_db()
    assert (ua_eu.status, ua_eu.end_date) == ("candidate", D("2030-04-30"))
    assert (new.start_date, new.end_date) == (D("2030-05-01"), None)
    assert new.citations.get().quote == "Ukraine joined the EU."
    assert last_actor(ua_eu) == last_actor(new) == "cora"


def test_change_status_refuses_a_date_before_the_period(curator):
    ua_eu = membership("UA", "eu", status="candidate")
    data = {"new_status": "member", "on": "2022-06-23", "source": Source.objects.get(slug=SEED).pk, "quote": "q"}
    response = curator.post(change_status_url(ua_eu), data)
    assert "must start after the current period starts" in page_errors(response)["on"]
    ua_eu.refresh_from_db()
    assert ua_eu.end_date is None
    assert Membership.objects.filter(country__iso2="UA", organization__slug="eu").count() == 2  # applicant, candidate


def test_change_status_shows_a_rule_of_the_new_period(curator):
    # Austria becoming a B9 member needs NATO membership: the new period's rule is shown on the date.
    at_b9 = Membership.objects.create(
        country=Country.objects.get(iso2="AT"),
        organization=Organization.objects.get(slug="b9"),
        status="observer",
        start_date=D("2016-01-01"),
    )
    data = {"new_status": "member", "on": "2020-01-01", "source": Source.objects.get(slug=SEED).pk, "quote": "q"}
    response = curator.post(change_status_url(at_b9), data)
    assert "Austria is not a member of NATO on 2020-01-01" in page_errors(response)["on"]
    at_b9.refresh_from_db()
    assert at_b9.end_date is None


def test_change_status_offers_only_another_status(curator):
    ua_eu = membership("UA", "eu", status="candidate")
    response = curator.get(change_status_url(ua_eu))
    assert "candidate" not in dict(response.context["form"].fields["new_status"].choices)


# --- workflow 4: a country's memberships at a glance -------------------------------------------------


def test_country_page_summarises_current_and_past_memberships(curator):
    gb = Country.objects.get(iso2="GB")
    response = curator.get(f"{ADMIN}country/{gb.pk}/change/")
    summary = response.context["membership_summary"]
    current = {m.organization.slug for m in summary["current"]}
    assert current & set(ORIGINAL_NINE) == {"nato", "osce", "coe", "nrc"}
    assert {"un", "g7", "commonwealth", "oecd"} <= current
    past = [(m.organization.slug, m.start_date, m.end_date) for m in summary["past"]]
    assert [p for p in past if p[0] in ORIGINAL_NINE] == [("eu", D("1973-01-01"), D("2020-01-31"))]
    assert ("eea", D("1994-01-01"), D("2020-01-31")) in past  # and its EFTA, EEA, WEU and OEEC years
    html = response.content.decode()
    assert 'id="membership-summary"' in html and "2020-01-31" in html
    assert html.index('id="membership-summary"') < html.index('id="country_form"')  # at the top
    # Russia's summary has the USSR's seats it continues, each marked so (its own periods are not).
    russia = Country.objects.get(code="RU")
    html = curator.get(f"{ADMIN}country/{russia.pk}/change/").content.decode()
    past = html[html.index('id="memberships-past"') :]
    assert "— Warsaw Pact (as USSR)</td>" in past and "(as Russian Federation)" not in html


# --- workflow 5: CSV import with a preview, and export -----------------------------------------------

HEADER = "country,organization,status,founding,start_date,end_date,note,source,quote\n"


def preview(client, text):
    upload = io.BytesIO(text.encode())
    upload.name = "memberships.csv"
    response = client.post(f"{ADMIN}membership/import/", {"import_file": upload, "format": "0"})
    assert response.status_code == 200
    return response


def test_import_preview_shows_new_and_changed_rows_then_confirm_applies_them(curator):
    text = HEADER + (
        f"Swiss Confederation,eu,member,0,2026-01-15,,,{SEED},Switzerland joined.\n"
        "HU,eu,member,0,2004-05-01,2031-12-31,,,\n"
    )
    response = preview(curator, text)
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["new", "update"]
    # only a preview
    assert not Membership.objects.filter(country__iso2="CH", organization__slug="eu", status="member").exists()
    assert membership("HU", "eu").end_date is None

    confirm = response.context["confirm_form"].initial
    response = curator.post(f"{ADMIN}membership/process_import/", confirm)
    assert response.status_code == 302
    ch = membership("CH", "eu")
    assert ch.start_date == D("2026-01-15") and ch.citations.get().quote == "Switzerland joined."
    assert membership("HU", "eu").end_date == D("2031-12-31")
    assert last_actor(ch) == "cora"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (f"AT,b9,member,0,2016-01-01,,,{SEED},q", "Austria is not a member of NATO on 2016-01-01"),
        (f"JP,b9,member,0,2015-11-03,,,{SEED},q", "B9 was founded on 2015-11-04"),
        (f"RO,nato,candidate,0,2000-01-01,2005-01-01,,{SEED},q", "overlaps this one"),
        (f"BR,osce,partner,0,2010-01-02,2010-01-01,,{SEED},q", "is before the start date"),
        (f"Atlantis,nato,member,0,2016-01-01,,,{SEED},q", "No country matches “Atlantis”"),
        ("BR,osce,partner,0,2010-01-02,,,,", "A new period needs a source and a quote"),
        ("BR,osce,partner,0,2010-01-02,,,no-such-source,q", "No source has the slug"),
        # The history rules (issue 9): existence spans, continuation seats, an organization's end.
        (f"CZ,osce,member,0,1990-01-01,,,{SEED},q", "Czechia existed as a state from 1993-01-01"),
        (f"Soviet Union,coe,member,0,1990-01-01,,,{SEED},q", "USSR existed as a state until 1991-12-25"),
        (f"Russia,osce,member,0,1991-12-01,1991-12-25,,{SEED},q", "continues USSR from 1991-12-26: one seat"),
        (f"PL,Warsaw Pact,member,0,1991-01-01,,,{SEED},q", "WP was dissolved on 1991-07-01"),
    ],
    ids=[
        "b9-not-in-nato",
        "before-founded",
        "overlap",
        "end-before-start",
        "unknown-country",
        "no-source",
        "bad-source",
        "before-the-country-existed",
        "after-the-country-ended",
        "two-seats-of-a-continuation",
        "after-the-organization-ended",
    ],
)
def test_import_preview_refuses_a_row_that_breaks_a_rule(curator, row, message):
    count = Membership.objects.count()
    response = preview(curator, HEADER + f"HU,osce,member,0,1975-08-01,,,,\n{row}\n")
    result = response.context["result"]
    assert result.has_validation_errors()
    (invalid,) = result.invalid_rows
    assert message in " ".join(invalid.error.messages)
    html = response.content.decode()
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert "process_import" not in html  # no way to confirm
    assert Membership.objects.count() == count


def test_import_needs_add_and_change_permission(client):
    User.objects.create_user("viewer", password=PASSWORD, is_staff=True)
    viewer = User.objects.get(username="viewer")
    viewer.user_permissions.add(*Group.objects.get(name="curators").permissions.filter(codename="view_membership"))
    client.login(request=HttpRequest(), username="viewer", password=PASSWORD)
    assert client.get(f"{ADMIN}membership/import/").status_code == 403


EXPORT_FIELDS = ["country", "organization", "status", "founding", "start_date", "end_date", "note", "source", "quote"]


def export(client, query):
    """The export page's form as a browser submits it: CSV, every column ticked."""
    url = f"{ADMIN}membership/export/?{query}"
    page = client.get(url)
    assert page.status_code == 200
    for field in EXPORT_FIELDS:
        assert f'name="membershipresource_{field}"' in page.content.decode()
    data = {"format": "0", "resource": "0", **{f"membershipresource_{field}": "on" for field in EXPORT_FIELDS}}
    return client.post(url, data)


def test_export_writes_the_filtered_list_as_csv(curator):
    b9 = Organization.objects.get(slug="b9")
    response = export(curator, f"organization__id__exact={b9.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 9
    assert {r["organization"] for r in rows} == {"b9"}
    assert {r["country"] for r in rows} == {"PL", "RO", "CZ", "EE", "HU", "BG", "LV", "LT", "SK"}
    assert all(r["source"] and r["quote"] for r in rows)


def test_export_names_a_former_state_by_its_code_and_imports_back_unchanged(curator):
    """Former states have no alpha-2 code: the export gives SUHH, CSHH, DDDE, which the import resolves."""
    warsaw_pact = Organization.objects.get(slug="warsaw-pact")
    exported = export(curator, f"organization__id__exact={warsaw_pact.pk}").content.decode()
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert {r["country"] for r in rows} == {"AL", "BG", "CSHH", "DDDE", "HU", "PL", "RO", "SUHH"}
    result = preview(curator, exported).context["result"]
    assert not result.has_validation_errors()
    assert {row.import_type for row in result.rows} == {"skip"}


def test_exported_csv_imports_back_unchanged(curator):
    b9 = Organization.objects.get(slug="b9")
    exported = export(curator, f"organization__id__exact={b9.pk}").content.decode()
    assert exported.startswith(HEADER.strip())
    result = preview(curator, exported).context["result"]
    assert not result.has_validation_errors()
    assert {row.import_type for row in result.rows} == {"skip"}


def test_curator_adds_a_country_alias_on_its_own_page(curator):
    ro = Country.objects.get(iso2="RO")
    response = curator.post(f"{ADMIN}countryalias/add/", {"country": ro.pk, "name": "Rumänien", "_save": "Save"})
    assert response.status_code == 302
    alias = ro.aliases.get(name="Rumänien")
    assert alias.normalized == "rumanien" and last_actor(alias) == "cora"
    response = curator.post(f"{ADMIN}countryalias/add/", {"country": ro.pk, "name": "czech republic", "_save": "Save"})
    assert "already an alias of Czechia" in " ".join(response.context["adminform"].form.errors["name"])


def test_the_confirm_step_reads_only_a_file_this_sessions_preview_stored(curator, tmp_path, settings):
    """A confirm naming another file (the temp folder's, an absolute path) touches nothing and is a 400."""
    victim = Path(tempfile.gettempdir()) / f"victim-{uuid.uuid4().hex}.txt"
    victim.write_text("not an import")
    outside = tmp_path / "outside.csv"
    outside.write_text(HEADER)
    try:
        response = preview(curator, HEADER + f"BR,osce,partner,0,2010-01-02,,,{SEED},q\n")
        confirm = dict(response.context["confirm_form"].initial)
        for name in [victim.name, str(victim), str(outside), "../" + victim.name, "no-such-file", ""]:
            refused = curator.post(f"{ADMIN}membership/process_import/", {**confirm, "import_file_name": name})
            assert refused.status_code == 400, name
            assert "not previewed in this session" in refused.content.decode()
        assert victim.exists() and outside.exists()
        assert not Membership.objects.filter(country__iso2="BR", organization__slug="osce", start_date="2010-01-02")
        assert curator.post(f"{ADMIN}membership/process_import/", confirm).status_code == 302
        assert Membership.objects.filter(country__iso2="BR", organization__slug="osce", start_date="2010-01-02")
        # Confirmed once: the same name again is refused, not a 500 on a missing file.
        assert curator.post(f"{ADMIN}membership/process_import/", confirm).status_code == 400
    finally:
        victim.unlink(missing_ok=True)


def test_another_session_cannot_confirm_a_preview(curator):
    response = preview(curator, HEADER + f"BR,osce,partner,0,2010-01-02,,,{SEED},q\n")
    confirm = response.context["confirm_form"].initial
    other = Client()
    other.force_login(User.objects.get(username="cora"))  # the same curator, another session (another browser)
    assert other.post(f"{ADMIN}membership/process_import/", confirm).status_code == 400
    assert not Membership.objects.filter(country__iso2="BR", organization__slug="osce", start_date="2010-01-02")


def test_the_previewed_file_is_kept_where_every_app_server_finds_it(curator):
    """Not a worker's memory nor one machine's temp folder: the shared default cache (database or Redis)."""
    from django.core.cache import cache
    from import_export.tmp_storages import CacheStorage

    response = preview(curator, HEADER + f"BR,osce,partner,0,2010-01-02,,,{SEED},q\n")
    name = response.context["confirm_form"].initial["import_file_name"]
    assert cache.get(CacheStorage.CACHE_PREFIX + name) is not None
