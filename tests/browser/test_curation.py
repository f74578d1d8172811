"""Each curation workflow clicked through in Chromium, checked in the database and on the page.

Screenshots of each result go to tests/screenshots/ (git-ignored).
"""

import csv
import datetime
import io

import pytest

from alliances.models import AuditEvent, Country, Membership, Organization
from tests.browser.conftest import CURATOR, login

# One worker runs every browser test (pytest-xdist --dist loadgroup): one Chromium, one live server.
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("browser")]

D = datetime.date.fromisoformat
ADMIN = "/admin/alliances/"


def navigate(page, selector):
    """Click something that loads a new page, and wait until that page has loaded.

    A plain click returns once the navigation starts, so reading the page right
    after could see it half parsed.
    """
    with page.expect_navigation():
        page.click(selector)


def membership(iso2, slug, **lookup):
    """The member period unless ``lookup`` says otherwise (NATO partners and EU candidates are recorded too)."""
    return Membership.objects.get(country__iso2=iso2, organization__slug=slug, **{"status": "member", **lookup})


def last_actor(obj):
    return AuditEvent.objects.filter(table=type(obj)._meta.db_table, row_id=obj.pk).last().actor


def choose(page, field, typed, expected):
    """Pick ``expected`` in the select2 autocomplete of ``field`` by typing ``typed``, as a curator does."""
    page.click(f"#id_{field} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", typed)
    page.click(f".select2-results__option:text-is('{expected}')")
    assert page.locator(f"#select2-id_{field}-container").inner_text().strip().lstrip("×").strip() == expected


def field_errors(page, field):
    """The error list shown in the form row of ``field`` (empty if none)."""
    errors = page.locator(f".form-row.field-{field} .errorlist")
    return errors.inner_text() if errors.count() else ""


def success_message(page):
    return page.locator(".messagelist .success").inner_text()


# --- logging in --------------------------------------------------------------------------------------


def test_curator_logs_in_and_sees_only_curation(page, screenshot):
    login(page, CURATOR, "wrong password")
    assert "Please enter the correct username and password" in page.locator(".errornote").inner_text()
    login(page)
    assert page.url.endswith("/admin/")
    assert page.locator("#user-tools").inner_text().upper().startswith("WELCOME, CORA")
    models = page.locator("#content-main .app-alliances th[scope=row]").all_inner_texts()
    assert {"Memberships", "Citations", "Sources", "Countries", "Organizations", "Country aliases"} <= set(models)
    assert page.locator(".app-auth").count() == 0  # no users or groups
    screenshot(page, "login")


# --- 1. record an accession --------------------------------------------------------------------------


def test_record_accession_with_alias_autocomplete_and_citation(curator_page, screenshot):
    # Switzerland in the EU: it has been a NATO partner since 1996, so a NATO accession would be a change of status.
    page = curator_page
    eu = Organization.objects.get(slug="eu")
    page.goto(f"{ADMIN}organization/{eu.pk}/change/")
    navigate(page, "text=Record accession")
    assert page.locator("h1").inner_text() == "Record an accession to EU"
    choose(page, "country", "Swiss Conf", "Switzerland")  # found by its alias "Swiss Confederation"
    page.fill("#id_start_date", "2026-01-15")
    choose(
        page,
        "source",
        "Biden",
        "Biden–Putin call and consultations with European allies (news report, late December 2021)",
    )
    page.fill("#id_quote", "Switzerland joined the Union.")
    navigate(page, "input[name=_save]")

    assert "Recorded: Switzerland in EU: member 2026-01-15 – ongoing, with its citation." in success_message(page)
    created = membership("CH", "eu")
    assert page.url.endswith(f"{ADMIN}membership/{created.pk}/change/")
    assert (created.status, created.start_date, created.end_date) == ("member", D("2026-01-15"), None)
    citation = created.citations.get()
    assert (citation.quote, citation.organization_id) == ("Switzerland joined the Union.", eu.pk)
    assert last_actor(created) == last_actor(citation) == CURATOR
    screenshot(page, "1-record-accession")


@pytest.mark.parametrize("show", [None])
def test_every_rule_is_shown_next_to_its_field(curator_page, screenshot, show):
    page = curator_page
    cases = [
        # (organization, country typed, country, start, end, field, message)
        ("nato", "Romania", "Romania", "2010-01-01", "", "start_date", "Romania already has a period in NATO"),
        (
            "osce",
            "Japan",
            "Japan",
            "2010-01-02",
            "2010-01-01",
            "end_date",
            "The end date 2010-01-01 is before the start date 2010-01-02.",
        ),
        (
            "b9",
            "Japan",
            "Japan",
            "2015-11-03",
            "",
            "start_date",
            "B9 was founded on 2015-11-04; a membership cannot start before that (got 2015-11-03).",
        ),
        (
            "b9",
            "Republic of Austria",
            "Austria",
            "2016-01-01",
            "",
            "start_date",
            "Members of B9 must be members of NATO, but Austria is not a member of NATO on 2016-01-01.",
        ),
    ]
    count = Membership.objects.count()
    for slug, typed, country, start, end, field, message in cases:
        page.goto(f"{ADMIN}organization/{Organization.objects.get(slug=slug).pk}/accession/")
        choose(page, "country", typed, country)
        page.fill("#id_start_date", start)
        page.fill("#id_end_date", end)
        choose(
            page,
            "source",
            "Biden",
            "Biden–Putin call and consultations with European allies (news report, late December 2021)",
        )
        page.fill("#id_quote", "A quote.")
        navigate(page, "input[name=_save]")
        assert "Please correct the error below." in page.locator(".errornote").inner_text()
        assert message in field_errors(page, field), (slug, country)
        other = "end_date" if field == "start_date" else "start_date"
        assert field_errors(page, other) == ""
        screenshot(page, f"6-error-{slug}-{field}-{country.lower()}")
    assert Membership.objects.count() == count


# --- 2. record a departure ---------------------------------------------------------------------------


def run_end_action(page, memberships, end_date, query=""):
    page.goto(f"{ADMIN}membership/{query}")
    for m in memberships:
        page.check(f"input[name=_selected_action][value='{m.pk}']")
    page.select_option("select[name=action]", "end_on_date")
    navigate(page, "button[name=index]")
    assert page.locator("h1").inner_text() == "End memberships on a date"
    assert page.locator("#selected-memberships tbody tr").count() == len(memberships)
    page.fill("#id_end_date", end_date)
    navigate(page, "input[name=_end]")


def test_end_selected_memberships_on_a_date(curator_page, screenshot):
    page = curator_page
    selected = [membership("HU", "eu"), membership("HU", "osce")]
    run_end_action(page, selected, "2030-06-30", query="?q=Hungary")
    assert "Ended 2 membership(s) on 2030-06-30" in success_message(page)
    assert "q=Hungary" in page.url  # back on the filtered list
    for m in selected:
        m.refresh_from_db()
        assert m.end_date == D("2030-06-30") and last_actor(m) == CURATOR
    assert membership("HU", "nato").end_date is None  # not selected
    screenshot(page, "2-end-memberships")


def test_end_action_refuses_all_when_one_breaks_a_rule(curator_page, screenshot):
    page = curator_page
    selected = [membership("HU", "osce"), membership("SE", "nato"), membership("RO", "nato")]
    # The list holds more than a page of periods now: show just these three.
    run_end_action(page, selected, "2020-01-01", query="?id__in=" + ",".join(str(m.pk) for m in selected))
    problems = page.locator("#end-date-problems").inner_text()
    assert "Sweden in NATO (member since 2024-03-07): The end date 2020-01-01 is before the start date 2024-03-07." in (
        problems
    )
    assert "Romania is a member of B9 on 2020-01-02, which requires membership of NATO on that day." in problems
    assert "Hungary" not in problems
    assert (
        "Nothing was changed: 2 of 3 membership(s) cannot end then." in page.locator(".errorlist.nonfield").inner_text()
    )
    for m in selected:
        m.refresh_from_db()
        assert m.end_date is None
    screenshot(page, "2-end-memberships-refused")


# --- 3. change of status -----------------------------------------------------------------------------


def test_change_status_candidate_to_member(curator_page, screenshot):
    page = curator_page
    ua_eu = membership("UA", "eu", status="candidate")
    page.goto(f"{ADMIN}membership/{ua_eu.pk}/change/")
    navigate(page, "text=Change status")
    page.select_option("#id_new_status", "member")
    page.fill("#id_on", "2030-05-01")
    navigate(page, "input[name=_save]")  # no citation yet: refused, on the fields
    assert "This field is required." in field_errors(page, "quote")
    choose(
        page,
        "source",
        "Biden",
        "Biden–Putin call and consultations with European allies (news report, late December 2021)",
    )
    page.fill("#id_quote", "Ukraine joined the European Union.")
    page.fill("#id_on", "2022-06-01")  # before the candidacy began
    navigate(page, "input[name=_save]")
    assert "The new status must start after the current period starts." in field_errors(page, "on")
    page.fill("#id_on", "2030-05-01")
    navigate(page, "input[name=_save]")

    assert "Status changed: Ukraine in EU: candidate 2022-06-23 – 2030-04-30 is ended" in success_message(page)
    ua_eu.refresh_from_db()
    new = membership("UA", "eu", status="member")
    assert (ua_eu.end_date, new.start_date, new.end_date) == (D("2030-04-30"), D("2030-05-01"), None)
    assert new.citations.get().quote == "Ukraine joined the European Union."
    assert page.url.endswith(f"{ADMIN}membership/{new.pk}/change/")
    assert last_actor(ua_eu) == last_actor(new) == CURATOR
    screenshot(page, "3-change-status")


# --- 4. a country's memberships at a glance ----------------------------------------------------------


def test_country_page_shows_current_and_past_groups(curator_page, screenshot):
    page = curator_page
    gb = Country.objects.get(iso2="GB")
    page.goto(f"{ADMIN}country/{gb.pk}/change/")
    current = page.locator("#memberships-current tbody tr").all_inner_texts()
    past = page.locator("#memberships-past tbody tr").all_inner_texts()
    acronyms = [row.split("\t")[0].split(" — ")[0] for row in current]
    expected = Membership.objects.filter(country=gb).on(datetime.date.today())
    assert len(current) == expected.count() and {"CoE", "NATO", "NRC", "OSCE", "UN", "G7"} <= set(acronyms)
    coe, nato = current[acronyms.index("CoE")], current[acronyms.index("NATO")]
    assert "1949-08-03" in coe and "1949-08-24" in nato  # CoE's Statute, NATO's treaty in force
    eu = [row for row in past if row.startswith("EU")]
    assert len(eu) == 1 and "1973-01-01" in eu[0] and "2020-01-31" in eu[0]
    assert any(row.startswith("EEA") for row in past)
    # above the form
    summary_top = page.locator("#membership-summary").bounding_box()["y"]
    assert summary_top < page.locator("#country_form").bounding_box()["y"]
    screenshot(page, "4-country-summary")


# --- 5. CSV import with preview, and export ----------------------------------------------------------

HEADER = "country,organization,status,founding,start_date,end_date,note,source,quote\n"
SEED = "seed-article-2021-12"


def upload(page, text):
    page.goto(f"{ADMIN}membership/")
    navigate(page, "a.import_link")
    page.set_input_files(
        "input[name=import_file]", {"name": "memberships.csv", "mimeType": "text/csv", "buffer": text.encode()}
    )
    navigate(page, "input[type=submit][value=Submit]")


def test_import_csv_with_preview_then_confirm(curator_page, screenshot):
    page = curator_page
    upload(
        page,
        HEADER
        + f"Swiss Confederation,EU,member,0,2026-01-15,,,{SEED},Switzerland joined.\n"
        + "HU,eu,member,0,2004-05-01,2031-12-31,,,\n",
    )
    preview = page.locator("table.import-preview").inner_text()
    assert "New" in preview and "Update" in preview and "Swiss Confederation" not in preview  # resolved to CH
    screenshot(page, "5-import-preview")
    # preview only
    assert not Membership.objects.filter(country__iso2="CH", organization__slug="eu", status="member").exists()
    navigate(page, "input[name=confirm]")
    assert "Import finished: 1 new, 1 updated" in success_message(page)
    ch = membership("CH", "eu")
    assert ch.citations.get().quote == "Switzerland joined."
    assert membership("HU", "eu").end_date == D("2031-12-31")
    assert last_actor(ch) == CURATOR
    screenshot(page, "5-import-done")


def test_import_preview_refuses_rows_that_break_rules(curator_page, screenshot):
    page = curator_page
    count = Membership.objects.count()
    upload(
        page,
        HEADER
        + f"AT,b9,member,0,2016-01-01,,,{SEED},q\n"
        + f"Atlantis,nato,member,0,2016-01-01,,,{SEED},q\n"
        + f"BR,osce,partner,0,2010-01-02,2010-01-01,,{SEED},q\n",
    )
    text = page.locator("#content").inner_text()
    assert "Austria is not a member of NATO on 2016-01-01" in text
    assert "No country matches “Atlantis”" in text
    assert "The end date 2010-01-01 is before the start date 2010-01-02." in text
    assert page.locator("input[name=confirm]").count() == 0
    assert Membership.objects.count() == count
    screenshot(page, "5-import-refused")


def test_export_filtered_list_to_csv(curator_page, screenshot):
    page = curator_page
    b9 = Organization.objects.get(slug="b9")
    page.goto(f"{ADMIN}membership/?organization__id__exact={b9.pk}")
    assert "9 memberships" in page.locator(".paginator").inner_text()
    page.click("a.export_link")
    screenshot(page, "5-export-form")
    with page.expect_download() as download:
        page.click("input[type=submit][value=Submit]")
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert len(rows) == 9 and {r["organization"] for r in rows} == {"b9"}
    assert {r["country"] for r in rows} == {"PL", "RO", "CZ", "EE", "HU", "BG", "LV", "LT", "SK"}
