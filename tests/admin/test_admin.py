"""The curation admin: pages render, filters and search work, every rule is a form error (never a 500)."""

import datetime
from html.parser import HTMLParser

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError

from alliances.choices import MembershipStatus
from alliances.models import Citation, Country, CountryAlias, Membership, Organization, Source
from tests.api.test_api_read import ORIGINAL_NINE

pytestmark = pytest.mark.django_db

ADMIN = "/admin/alliances/"
TODAY = datetime.date.today()
D = datetime.date.fromisoformat


class FormFields(HTMLParser):
    """The values a browser would submit for the form with ``form_id`` (submit buttons left out)."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.fields = []  # (name, value) pairs, in document order
        self._select = None  # [name, multiple, options, selected]
        self._option = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.in_form = attrs.get("id") == self.form_id
            return
        if not self.in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value", "on")))
                return
            self.fields.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self._select = [name, "multiple" in attrs, [], []]
        elif tag == "option" and self._select is not None:
            self._option = attrs.get("value")
            self._select[2].append(self._option)
            if "selected" in attrs:
                self._select[3].append(self._option)
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select" and self._select is not None:
            name, multiple, options, selected = self._select
            if not selected and not multiple and options:
                selected = [options[0]]
            self.fields.extend((name, value or "") for value in selected)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self.fields.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def form_data(response, form_id):
    """POST data built from a rendered admin form: ``{name: [values]}`` without the empty-form templates."""
    parser = FormFields(form_id)
    parser.feed(response.content.decode())
    data = {}
    for name, value in parser.fields:
        if "__prefix__" in name:
            continue
        data.setdefault(name, []).append(value)
    assert data, f"no form {form_id!r} in the page"
    return data


def pk(model, **lookup):
    return model.objects.get(**lookup).pk


def membership(iso2, slug, status="member"):
    """The period of ``status`` (NATO partners and EU candidates are recorded too)."""
    return Membership.objects.get(country__iso2=iso2, organization__slug=slug, status=status)


def changelist(client, model, **params):
    response = client.get(f"{ADMIN}{model}/", params)
    assert response.status_code == 200
    assert "cl" in response.context, "the admin redirected to an error page (?e=1): unknown filter?"
    return response.context["cl"]


def result_pks(cl):
    return {obj.pk for obj in cl.queryset}


def errors_of(response):
    """Errors of the main form and of every inline form, as one dict of joined messages."""
    errors = {}
    form = response.context["adminform"].form
    for field, messages in form.errors.items():
        errors[field] = " ".join(messages)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for i, inline_errors in enumerate(formset.errors):
            for field, messages in inline_errors.items():
                errors[f"{formset.prefix}-{i}-{field}"] = " ".join(messages)
        if formset.non_form_errors():
            errors[f"{formset.prefix}-__all__"] = " ".join(formset.non_form_errors())
    return errors


# --- pages render ------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["country", "organization", "membership", "source", "citation"])
def test_changelist_renders(admin_client, model):
    response = admin_client.get(f"{ADMIN}{model}/")
    assert response.status_code == 200
    assert response.context["cl"].result_count > 0


def test_changelists_show_the_data(admin_client):
    assert changelist(admin_client, "country").result_count == Country.objects.count()
    assert changelist(admin_client, "organization").result_count == Organization.objects.count() > 50
    assert changelist(admin_client, "membership").result_count == Membership.objects.count()
    assert changelist(admin_client, "source").result_count == Source.objects.count()
    assert changelist(admin_client, "citation").result_count == Citation.objects.count()


def test_change_pages_render(admin_client):
    ro = Country.objects.get(iso2="RO")
    response = admin_client.get(f"{ADMIN}country/{ro.pk}/change/")
    assert response.status_code == 200
    assert response.context["original"] == ro
    # the country page lists its memberships inline
    inline = {i.formset.prefix: i.formset for i in response.context["inline_admin_formsets"]}
    shown = {(f.instance.organization.slug, f.instance.status) for f in inline["memberships"].forms}
    assert len(inline["memberships"].forms) == Membership.objects.filter(country=ro).count()
    assert {(slug, status) for slug, status in shown if slug in ORIGINAL_NINE} == {
        ("nato", "partner"),
        ("nato", "member"),
        ("eu", "applicant"),
        ("eu", "candidate"),
        ("eu", "member"),
        ("osce", "member"),
        ("b9", "member"),
        ("coe", "member"),
        ("nrc", "member"),
        ("warsaw-pact", "member"),
    }
    assert {("un", "member"), ("weu", "partner"), ("oecd", "candidate")} <= shown

    nato = Organization.objects.get(slug="nato")
    response = admin_client.get(f"{ADMIN}organization/{nato.pk}/change/")
    assert response.status_code == 200
    inline = {i.formset.prefix: i.formset for i in response.context["inline_admin_formsets"]}
    # Its periods are a table of links, not one full form each.
    assert "memberships" not in inline
    assert len(response.context["membership_periods"]) == Membership.objects.filter(organization=nato).count()
    for m in Membership.objects.filter(organization=nato):
        assert f'href="{ADMIN}membership/{m.pk}/change/"' in response.content.decode()
    # organization citations exclude membership citations
    assert all(f.instance.membership_id is None for f in inline["citations"].forms)
    assert len(inline["citations"].forms) == Citation.objects.filter(organization=nato, membership=None).count()

    ro_nato = membership("RO", "nato")
    response = admin_client.get(f"{ADMIN}membership/{ro_nato.pk}/change/")
    assert response.status_code == 200
    assert b"Romania" in response.content

    seed = Source.objects.get(slug="seed-article-2021-12")
    response = admin_client.get(f"{ADMIN}source/{seed.pk}/change/")
    assert response.status_code == 200
    assert b"Biden" in response.content

    citation = ro_nato.citations.first()
    response = admin_client.get(f"{ADMIN}citation/{citation.pk}/change/")
    assert response.status_code == 200
    assert response.context["original"] == citation


def test_add_pages_render(admin_client):
    for model in ["country", "organization", "membership", "source", "citation"]:
        assert admin_client.get(f"{ADMIN}{model}/add/").status_code == 200, model


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(f"{ADMIN}membership/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- membership list filters and search --------------------------------------------------------------


def test_membership_filter_by_organization(admin_client):
    nato = Organization.objects.get(slug="nato")
    cl = changelist(admin_client, "membership", organization__id__exact=nato.pk)
    # members, Partnership for Peace partners, and Russia's suspended partnership
    assert cl.result_count == 32 + 35 + 1
    assert result_pks(cl) == set(Membership.objects.filter(organization=nato).values_list("pk", flat=True))


def test_membership_filter_by_status(admin_client):
    cl = changelist(admin_client, "membership", status__exact="candidate")
    # The EU's candidacies, current and past (Iceland's after its application).
    candidates = "AL BA BG CY CZ EE GE HR HU IS LT LV MD ME MK MT PL RO RS SI SK TR UA".split()
    found = {(m.country.iso2, m.organization.slug) for m in cl.queryset}
    assert {(c, slug) for c, slug in found if slug == "eu"} == {(c, "eu") for c in candidates}
    assert found == set(
        Membership.objects.filter(status="candidate").values_list("country__iso2", "organization__slug")
    )
    assert ("RO", "oecd") in found  # and the OECD's accession candidates


def test_membership_filter_ongoing(admin_client):
    total = Membership.objects.count()
    ongoing = changelist(admin_client, "membership", ongoing="yes")
    ended = changelist(admin_client, "membership", ongoing="no")
    assert ongoing.result_count + ended.result_count == total
    assert membership("GB", "eu").pk in result_pks(ended)
    assert membership("GB", "eu").pk not in result_pks(ongoing)
    assert membership("RO", "nato").pk in result_pks(ongoing)
    # The UK's EU period, partnerships and candidacies that led to membership, the former states' periods...
    assert ended.result_count == Membership.objects.filter(end_date__lt=TODAY).count() > 59


def test_membership_filter_ongoing_no_includes_future_periods(admin_client):
    future = Membership.objects.create(
        country=Country.objects.get(iso2="BR"),
        organization=Organization.objects.get(slug="osce"),
        status=MembershipStatus.OBSERVER,
        start_date=TODAY + datetime.timedelta(days=30),
    )
    assert future.pk in result_pks(changelist(admin_client, "membership", ongoing="no"))
    assert future.pk not in result_pks(changelist(admin_client, "membership", ongoing="yes"))


def test_membership_filters_combine(admin_client):
    eu = Organization.objects.get(slug="eu")
    cl = changelist(admin_client, "membership", organization__id__exact=eu.pk, ongoing="yes", status__exact="member")
    assert cl.result_count == 27


def test_membership_search_by_alias(admin_client):
    cl = changelist(admin_client, "membership", q="Czech Republic")
    czechia = {
        ("CZ", "nato", "partner"),
        ("CZ", "nato", "member"),
        ("CZ", "eu", "applicant"),
        ("CZ", "eu", "candidate"),
        ("CZ", "eu", "member"),
        ("CZ", "osce", "member"),
        ("CZ", "b9", "member"),
        ("CZ", "coe", "member"),
        ("CZ", "nrc", "member"),
        ("CZ", "v4", "member"),
    }
    # Czechoslovakia's official name, the Czech and Slovak Federal Republic, has both words too.
    czechoslovakia = {("CSHH", slug, "member") for slug in ("coe", "osce", "v4", "warsaw-pact")}
    found = {(m.country.code, m.organization.slug, m.status) for m in cl.queryset}
    assert {(c, slug, st) for c, slug, st in found if slug in ORIGINAL_NINE} == czechia | czechoslovakia
    stored = Membership.objects.filter(country__code__in=["CZ", "CSHH"])
    assert found == set(stored.values_list("country__code", "organization__slug", "status"))
    assert cl.result_count == stored.count()  # no duplicates from the alias join


def test_membership_search_by_iso2(admin_client):
    cl = changelist(admin_client, "membership", q="RO")
    found = {(m.country.code, m.organization.slug, m.start_date) for m in cl.queryset}
    assert {("RO", "nato"), ("RO", "eu"), ("RO", "osce"), ("RO", "b9")} <= {(c, slug) for c, slug, _ in found}
    # every hit is a country whose name, code or alias contains "ro"
    for m in cl.queryset:
        texts = [m.country.name, m.country.code, m.country.iso3, *m.country.aliases.values_list("name", flat=True)]
        assert any("ro" in text.lower() for text in texts), m
    assert cl.result_count == len(found)  # no duplicates


def test_membership_search_by_iso3(admin_client):
    cl = changelist(admin_client, "membership", q="ROU")
    assert {m.country.iso2 for m in cl.queryset} == {"RO"}


# --- autocomplete ------------------------------------------------------------------------------------


def autocomplete(client, field_name, term, model_name="membership"):
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "alliances", "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    return response.json()["results"]


def test_country_autocomplete(admin_client):
    results = autocomplete(admin_client, "country", "czech")
    assert results == [
        {"id": str(pk(Country, iso2="CZ")), "text": "Czechia"},
        {"id": str(pk(Country, code="CSHH")), "text": "Czechoslovakia"},
    ]


@pytest.mark.parametrize(("term", "name"), [("Czech Republic", "Czechia"), ("rou", "Romania"), ("Türkiye", "Türkiye")])
def test_country_autocomplete_by_alias_and_code(admin_client, term, name):
    assert name in [r["text"] for r in autocomplete(admin_client, "country", term)]


def test_organization_autocomplete_by_alias(admin_client):
    results = autocomplete(admin_client, "organization", "Bucharest")
    assert [r["text"] for r in results] == ["B9"]


def test_autocomplete_needs_a_login(client):
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "alliances", "model_name": "membership", "field_name": "country", "term": "czech"},
    )
    assert response.status_code in (302, 403)


# --- membership add form -----------------------------------------------------------------------------


@pytest.fixture
def add_form(admin_client):
    """A function returning POST data for the membership add form, from the rendered page."""
    response = admin_client.get(f"{ADMIN}membership/add/")
    assert response.status_code == 200
    blank = form_data(response, "membership_form")
    assert blank["citations-TOTAL_FORMS"] == ["1"]
    assert blank["citations-INITIAL_FORMS"] == ["0"]

    def build(iso2, slug, start, end="", status="member", source=None, quote=""):
        data = {name: list(values) for name, values in blank.items()}
        data.update(
            country=[str(pk(Country, iso2=iso2))],
            organization=[str(pk(Organization, slug=slug))],
            status=[status],
            start_date=[start],
            end_date=[end],
            note=["added in a test"],
        )
        data["citations-0-source"] = [str(source.pk)] if source else [""]
        data["citations-0-quote"] = [quote]
        data["_save"] = ["Save"]
        return data

    return build


def test_add_overlapping_membership_shows_a_form_error(admin_client, add_form):
    count = Membership.objects.count()
    data = add_form("RO", "nato", "2000-01-01", "2005-01-01", status="candidate")
    response = admin_client.post(f"{ADMIN}membership/add/", data)
    assert response.status_code == 200
    errors = errors_of(response)
    assert "overlaps" in errors["start_date"]
    assert "Please correct the error" in response.content.decode()
    assert Membership.objects.count() == count


def test_add_end_before_start_shows_a_form_error(admin_client, add_form):
    count = Membership.objects.count()
    response = admin_client.post(f"{ADMIN}membership/add/", add_form("BR", "osce", "2010-01-02", "2010-01-01"))
    assert response.status_code == 200
    assert "before the start date" in errors_of(response)["end_date"]
    assert Membership.objects.count() == count


def test_add_before_founding_shows_a_form_error(admin_client, add_form):
    response = admin_client.post(f"{ADMIN}membership/add/", add_form("JP", "b9", "2015-11-03"))
    assert response.status_code == 200
    assert "founded" in errors_of(response)["start_date"]


def test_add_b9_for_a_nato_non_member_shows_a_form_error(admin_client, add_form):
    response = admin_client.post(f"{ADMIN}membership/add/", add_form("AT", "b9", "2016-01-01"))
    assert response.status_code == 200
    assert "not a member of NATO" in errors_of(response)["start_date"]
    assert not Membership.objects.filter(country__iso2="AT", organization__slug="b9").exists()


def test_add_valid_membership_with_citation(admin_client, add_form):
    seed = Source.objects.get(slug="seed-article-2021-12")
    data = add_form("BR", "osce", "1992-07-01", status="partner", source=seed, quote="Japan is a partner.")
    response = admin_client.post(f"{ADMIN}membership/add/", data)
    assert response.status_code == 302, errors_of(response)
    created = Membership.objects.get(country__iso2="BR", organization__slug="osce")
    assert (created.status, created.start_date, created.end_date) == ("partner", D("1992-07-01"), None)
    assert created.note == "added in a test"
    citation = created.citations.get()
    assert (citation.source, citation.quote) == (seed, "Japan is a partner.")
    assert citation.organization.slug == "osce"  # filled in from the membership


def test_add_citation_with_blank_quote_is_refused(admin_client, add_form):
    seed = Source.objects.get(slug="seed-article-2021-12")
    data = add_form("BR", "osce", "1992-07-01", status="partner", source=seed, quote="   ")
    response = admin_client.post(f"{ADMIN}membership/add/", data)
    assert response.status_code == 200
    assert "citations-0-quote" in errors_of(response)
    assert not Membership.objects.filter(country__iso2="BR", organization__slug="osce").exists()


# --- membership change form --------------------------------------------------------------------------


def change_form(client, model, obj_pk, form_id):
    url = f"{ADMIN}{model}/{obj_pk}/change/"
    response = client.get(url)
    assert response.status_code == 200
    data = form_data(response, form_id)
    data["_save"] = ["Save"]
    return url, data


def test_unchanged_membership_resubmits_cleanly(admin_client):
    ro_nato = membership("RO", "nato")
    citations = set(ro_nato.citations.values_list("pk", "quote"))
    assert citations
    url, data = change_form(admin_client, "membership", ro_nato.pk, "membership_form")
    response = admin_client.post(url, data)
    assert response.status_code == 302, errors_of(response)
    ro_nato.refresh_from_db()
    assert ro_nato.start_date == D("2004-03-29")
    assert set(ro_nato.citations.values_list("pk", "quote")) == citations


def test_ending_nato_under_a_b9_seat_shows_a_form_error(admin_client):
    ro_nato = membership("RO", "nato")
    url, data = change_form(admin_client, "membership", ro_nato.pk, "membership_form")
    data["end_date"] = ["2010-01-01"]
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "member of B9 on 2015-11-04" in errors_of(response)["end_date"]
    ro_nato.refresh_from_db()
    assert ro_nato.end_date is None


# --- inlines on the organization and country pages --------------------------------------------------


def add_inline_rows(data, prefix, rows):
    total = int(data[f"{prefix}-TOTAL_FORMS"][0])
    for i, row in enumerate(rows, start=total):
        for field, value in row.items():
            data[f"{prefix}-{i}-{field}"] = [value]
    data[f"{prefix}-TOTAL_FORMS"] = [str(total + len(rows))]


def test_organization_page_resubmits_cleanly(admin_client):
    b9 = Organization.objects.get(slug="b9")
    url, data = change_form(admin_client, "organization", b9.pk, "organization_form")
    response = admin_client.post(url, data)
    assert response.status_code == 302, errors_of(response)
    assert list(b9.members_must_belong_to.values_list("slug", flat=True)) == ["nato"]
    assert Membership.objects.filter(organization=b9).count() == 9


# The organization page lists its periods as links (no inline forms); the country page keeps the inline.


def inline_row(data, prefix, membership_pk):
    """The index of the inline row that edits ``membership_pk``."""
    total = int(data[f"{prefix}-TOTAL_FORMS"][0])
    return next(i for i in range(total) if data.get(f"{prefix}-{i}-id") == [str(membership_pk)])


def romania_nato_rows(admin_client):
    ro = Country.objects.get(iso2="RO")
    url, data = change_form(admin_client, "country", ro.pk, "country_form")
    partner = Membership.objects.get(country=ro, organization__slug="nato", status="partner")
    member = Membership.objects.get(country=ro, organization__slug="nato", status="member")
    return url, data, inline_row(data, "memberships", partner.pk), inline_row(data, "memberships", member.pk)


def test_two_edited_rows_that_overlap_each_other_are_refused(admin_client):
    url, data, partner, member = romania_nato_rows(admin_client)
    # Each row alone stays clear of the other's stored dates; together they overlap.
    data[f"memberships-{partner}-end_date"] = ["2004-06-30"]
    data[f"memberships-{member}-start_date"] = ["2004-06-01"]
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert any("overlap" in message for message in errors_of(response).values())
    assert Membership.objects.get(country__iso2="RO", organization__slug="nato", status="partner").end_date == D(
        "2004-03-28"
    )


def test_two_edited_rows_that_stay_apart_are_saved(admin_client):
    url, data, partner, member = romania_nato_rows(admin_client)
    data[f"memberships-{partner}-end_date"] = ["2004-01-31"]
    data[f"memberships-{member}-note"] = ["Checked against the deposit of the instrument."]
    response = admin_client.post(url, data)
    assert response.status_code == 302, errors_of(response)
    nato = Membership.objects.filter(country__iso2="RO", organization__slug="nato")
    assert nato.get(status="partner").end_date == D("2004-01-31")
    assert nato.get(status="member").note == "Checked against the deposit of the instrument."


def test_country_page_overlap_with_stored_row_is_a_form_error(admin_client):
    url, data, partner, _ = romania_nato_rows(admin_client)
    data[f"memberships-{partner}-end_date"] = ["2005-01-01"]  # into the stored member period
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert any("overlap" in message for message in errors_of(response).values())


def test_country_page_adds_no_period_without_its_citation(admin_client):
    """The inline has no citation fields, so it offers no new rows, and a forged one is not saved."""
    jp = Country.objects.get(iso2="JP")
    url, data = change_form(admin_client, "country", jp.pk, "country_form")
    assert 'id="memberships-empty"' not in admin_client.get(url).content.decode()
    b9 = str(pk(Organization, slug="b9"))
    add_inline_rows(data, "memberships", [{"organization": b9, "status": "observer", "start_date": "2016-06-01"}])
    count = Membership.objects.count()
    admin_client.post(url, data)
    assert Membership.objects.count() == count
    assert not Membership.objects.filter(country=jp, organization__slug="b9").exists()


def test_country_alias_clash_is_a_form_error(admin_client):
    ro = Country.objects.get(iso2="RO")
    url, data = change_form(admin_client, "country", ro.pk, "country_form")
    add_inline_rows(data, "aliases", [{"name": "czech  REPUBLIC!"}])
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert any("already an alias of Czechia" in message for message in errors_of(response).values())
    assert not CountryAlias.objects.filter(country=ro, name="czech  REPUBLIC!").exists()


def test_new_country_alias_is_normalized(admin_client):
    ro = Country.objects.get(iso2="RO")
    url, data = change_form(admin_client, "country", ro.pk, "country_form")
    add_inline_rows(data, "aliases", [{"name": "Rumänien"}])
    response = admin_client.post(url, data)
    assert response.status_code == 302, errors_of(response)
    assert CountryAlias.objects.get(name="Rumänien").normalized == "rumanien"


# --- regressions found while writing these tests -----------------------------------------------------


def test_two_new_aliases_with_the_same_key_in_one_submit_are_a_form_error(admin_client):
    ro = Country.objects.get(iso2="RO")
    url, data = change_form(admin_client, "country", ro.pk, "country_form")
    add_inline_rows(data, "aliases", [{"name": "Rumania"}, {"name": "rumania!"}])
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert not CountryAlias.objects.filter(normalized="rumania").exists()


def test_changing_the_organization_of_a_cited_membership_is_not_a_server_error(admin_client):
    ua_eu = membership("UA", "eu", status="candidate")
    url, data = change_form(admin_client, "membership", ua_eu.pk, "membership_form")
    data["organization"] = [str(pk(Organization, slug="nato"))]
    response = admin_client.post(url, data)
    assert response.status_code in (200, 302)


def test_deleting_a_nato_period_under_a_b9_seat_is_refused(admin_client):
    ro_nato = membership("RO", "nato")
    admin_client.post(f"{ADMIN}membership/{ro_nato.pk}/delete/", {"post": "yes"})
    assert Membership.objects.filter(pk=ro_nato.pk).exists()


def test_deleting_a_nato_row_on_the_country_page_is_refused(admin_client):
    ro = Country.objects.get(iso2="RO")
    url, data = change_form(admin_client, "country", ro.pk, "country_form")
    nato = str(pk(Organization, slug="nato"))
    (prefix,) = [  # the member row (Romania's partner period is a NATO row too)
        name[: -len("-organization")]
        for name, values in data.items()
        if name.endswith("-organization")
        and values == [nato]
        and data[name.replace("-organization", "-status")] == ["member"]
    ]
    data[f"{prefix}-DELETE"] = ["on"]
    admin_client.post(url, data)
    assert Membership.objects.filter(country=ro, organization__slug="nato").exists()


def test_adding_a_requirement_existing_members_break_is_refused(admin_client):
    eu = Organization.objects.get(slug="eu")
    url, data = change_form(admin_client, "organization", eu.pk, "organization_form")
    data["members_must_belong_to"] = [str(pk(Organization, slug="nato"))]
    admin_client.post(url, data)
    assert not eu.members_must_belong_to.exists()


def bulk_delete(client, *memberships):
    """The changelist's "Delete selected" action, confirmed."""
    return client.post(
        f"{ADMIN}membership/",
        {"action": "delete_selected", "post": "yes", "_selected_action": [str(m.pk) for m in memberships]},
    )


def test_bulk_deleting_a_nato_period_under_a_b9_seat_is_refused(admin_client):
    ro_nato, fr_nato = membership("RO", "nato"), membership("FR", "nato")
    response = bulk_delete(admin_client, ro_nato, fr_nato)
    assert response.status_code == 403  # Django's delete_selected: a selected row the user may not delete
    assert Membership.objects.filter(pk__in=[ro_nato.pk, fr_nato.pk]).count() == 2


def test_bulk_delete_goes_through_the_service_and_is_all_or_nothing(rf, admin_user):
    """delete_queryset refuses the whole batch when one period is needed, even if a page let it through."""
    ro_nato, fr_nato = membership("RO", "nato"), membership("FR", "nato")
    request = rf.post("/")
    request.user = admin_user
    with pytest.raises(ValidationError, match="member of B9"):
        site._registry[Membership].delete_queryset(request, Membership.objects.filter(pk__in=[ro_nato.pk, fr_nato.pk]))
    assert Membership.objects.filter(pk__in=[ro_nato.pk, fr_nato.pk]).count() == 2


def test_bulk_delete_of_periods_nothing_depends_on(admin_client):
    ua_eu = membership("UA", "eu", status="candidate")
    response = bulk_delete(admin_client, ua_eu)
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=ua_eu.pk).exists()
