"""Completeness and consistency of the real fixtures (fixtures/*.json) as loaded by conftest."""

import datetime
import io
import os
import re
from pathlib import Path

import pycountry
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from alliances import selectors
from alliances.choices import MembershipStatus
from alliances.models import Citation, Country, Membership, Organization, Source
from alliances.selectors import USER_ASSIGNED_CODES
from alliances.text import normalize_name
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

D = datetime.date.fromisoformat
SEED_SOURCE_SLUG = "seed-article-2021-12"
# Beside the checkout (../shared/seeds); SEEDS_DIR names it for a clone made elsewhere.
SEED_DIR = Path(os.environ.get("SEEDS_DIR") or Path(settings.BASE_DIR).parent / "shared" / "seeds")
B9_SENTENCE = re.compile(r"The Bucharest Nine is a reference to [^:]*:\s*(?P<names>[^.]+)\.")


def squash(text):
    return " ".join(text.split())


def seed_text():
    """The seed article itself (``../shared/seeds/*.txt``).

    Without it the tests that read it cannot check anything: comparing the
    fixtures' quotes with the fixtures would always pass. So they are skipped
    locally and fail in CI (``CI`` set), where the file must be present.
    """
    files = sorted(SEED_DIR.glob("*.txt"))
    if not files:
        reason = f"the seed article is missing: no *.txt in {SEED_DIR}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must check the fixtures against it.")
        pytest.skip(reason)
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


def b9_names_from_seed():
    """The state names the seed article lists in its sentence on the Bucharest Nine."""
    match = B9_SENTENCE.search(squash(seed_text()))
    assert match, "the seed text has no sentence defining the Bucharest Nine"
    names = re.split(r",\s*|\s+and\s+", match.group("names"))
    return [re.sub(r"^the\s+", "", name.strip(), flags=re.IGNORECASE) for name in names if name.strip()]


def members(slug, day):
    organization = Organization.objects.get(slug=slug)
    return selectors.organization_members(organization, as_of=day)


def member_codes(slug, day):
    return set(members(slug, day).values_list("country__iso2", flat=True))


# --- countries ---------------------------------------------------------------------------------------


def test_every_pycountry_country_is_present_with_its_codes():
    stored = {c.iso2: c for c in Country.objects.filter(iso2__isnull=False)}
    expected = {c.alpha_2: c for c in pycountry.countries}
    # The rest are former states of ISO 3166-3, keyed by their four-letter code.
    former = set(Country.objects.filter(iso2__isnull=True).values_list("code", flat=True))
    assert former >= {"SUHH", "CSHH", "YUCS", "CSXX", "DDDE", "BYAA", "YDYE"}
    # ISO 3166-3 codes, or codes this data set assigns where ISO has none (and says why).
    assert all(pycountry.historic_countries.get(alpha_4=code) or code in USER_ASSIGNED_CODES for code in former)
    assert set(stored) - set(USER_ASSIGNED_CODES) == set(expected)
    assert len(stored) == len(pycountry.countries) + len(set(stored) & set(USER_ASSIGNED_CODES))
    mismatches = [
        (code, (country.iso3, country.numeric), (expected[code].alpha_3, expected[code].numeric))
        for code, country in stored.items()
        if code in expected and (country.iso3, country.numeric) != (expected[code].alpha_3, expected[code].numeric)
    ]
    assert mismatches == []


def test_every_country_has_its_own_name_as_an_alias():
    names = dict(Country.objects.values_list("iso2", "name"))
    aliased = {}
    for iso2, normalized in Country.objects.values_list("iso2", "aliases__normalized"):
        aliased.setdefault(iso2, set()).add(normalized)
    missing = [iso2 for iso2, name in names.items() if normalize_name(name) not in aliased[iso2]]
    assert missing == []


# --- head counts -------------------------------------------------------------------------------------


def test_nato_members_on_2021_12_30_and_today():
    assert members("nato", D("2021-12-30")).count() == 30
    assert members("nato", datetime.date.today()).count() == 32
    assert {"FI", "SE"}.isdisjoint(member_codes("nato", D("2021-12-30")))
    assert {"FI", "SE", "RO", "US", "TR"} <= member_codes("nato", datetime.date.today())


def test_eu_members_before_and_after_brexit():
    assert members("eu", D("2019-06-01")).count() == 28
    assert members("eu", D("2020-02-01")).count() == 27
    assert member_codes("eu", D("2019-06-01")) - member_codes("eu", D("2020-02-01")) == {"GB"}


def test_united_kingdom_leaves_the_eu_after_2020_01_31():
    assert "GB" in member_codes("eu", D("2020-01-31"))
    assert "GB" not in member_codes("eu", D("2020-02-01"))
    # Still in NATO and the OSCE the day after.
    assert "GB" in member_codes("nato", D("2020-02-01"))
    assert "GB" in member_codes("osce", D("2020-02-01"))


def test_eu_candidates_are_not_members():
    today = datetime.date.today()
    eu = Organization.objects.get(slug="eu")
    candidates = set(
        selectors.organization_members(eu, as_of=today, statuses=[MembershipStatus.CANDIDATE]).values_list(
            "country__iso2", flat=True
        )
    )
    assert {"UA", "MD"} <= candidates
    assert candidates.isdisjoint(member_codes("eu", today))


@pytest.mark.parametrize(("iso2", "accession"), [("FI", "2023-04-04"), ("SE", "2024-03-07")])
def test_nordic_nato_accessions(iso2, accession):
    day = D(accession)
    assert iso2 not in member_codes("nato", day - datetime.timedelta(days=1))
    assert iso2 in member_codes("nato", day)
    assert iso2 in member_codes("nato", datetime.date.today())


def test_nato_grows_by_one_on_each_nordic_accession():
    for accession in ("2023-04-04", "2024-03-07"):
        day = D(accession)
        before = members("nato", day - datetime.timedelta(days=1)).count()
        assert members("nato", day).count() == before + 1


def test_osce_has_57_participating_states_today():
    assert members("osce", datetime.date.today()).count() == 57


def test_b9_is_the_nine_states_named_in_the_seed_article():
    names = b9_names_from_seed()
    assert len(names) == 9, names
    named = {selectors.country_resolve(name).iso2 for name in names}
    assert len(named) == 9
    assert member_codes("b9", datetime.date.today()) == named
    assert members("b9", datetime.date.today()).count() == 9
    # and every one of them is a NATO member on every day of its B9 period so far
    nato = member_codes("nato", Organization.objects.get(slug="b9").founded)
    assert named <= nato


def test_b9_seed_sentence_is_cited_for_every_b9_member():
    quote = squash(Citation.objects.get(source__slug=SEED_SOURCE_SLUG, organization__slug="b9", membership=None).quote)
    for membership in members("b9", datetime.date.today()):
        quotes = {squash(c.quote) for c in membership.citations.all() if c.source.slug == SEED_SOURCE_SLUG}
        assert quotes == {quote}, membership


# --- citations ---------------------------------------------------------------------------------------


def test_every_membership_has_a_citation_with_a_non_empty_quote():
    uncited = [
        str(m)
        for m in Membership.objects.prefetch_related("citations")
        if not any(c.quote.strip() for c in m.citations.all())
    ]
    assert uncited == []


def test_membership_citations_name_the_membership_organization():
    wrong = Citation.objects.filter(membership__isnull=False).exclude(organization=F("membership__organization"))
    assert list(wrong) == []


def test_every_seed_article_quote_appears_verbatim_in_the_seed_article():
    text = squash(seed_text())
    citations = Citation.objects.filter(source__slug=SEED_SOURCE_SLUG).select_related("organization")
    assert citations.count() > 0
    absent = [(c.organization.slug, c.quote) for c in citations if squash(c.quote) not in text]
    assert absent == []


def test_seed_article_is_cited_for_the_four_organizations_it_names():
    cited = set(
        Citation.objects.filter(source__slug=SEED_SOURCE_SLUG, membership__isnull=True).values_list(
            "organization__slug", flat=True
        )
    )
    assert cited == {"nato", "eu", "osce", "b9"}


def test_seed_source_has_no_invented_metadata():
    source = Source.objects.get(slug=SEED_SOURCE_SLUG)
    assert source.published is None
    assert source.url == ""


# --- loading twice -----------------------------------------------------------------------------------


def snapshot():
    """Every row of every alliances table (and the M2M table), keyed by table."""
    tables = {}
    for model in apps.get_app_config("alliances").get_models():
        tables[model._meta.db_table] = sorted(model.objects.order_by("pk").values_list(), key=repr)
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            tables[through._meta.db_table] = sorted(through.objects.values_list(), key=repr)
    return tables


def test_loading_the_fixtures_again_changes_nothing():
    before = snapshot()
    assert sum(len(rows) for rows in before.values()) > 0
    call_command("loaddata", *FIXTURES, verbosity=0)
    after = snapshot()
    assert {t: len(r) for t, r in after.items()} == {t: len(r) for t, r in before.items()}
    for table in before:
        assert after[table] == before[table], table


# --- validate_data -----------------------------------------------------------------------------------


def test_validate_data_passes_on_the_fixtures():
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("validate_data", stdout=out, stderr=err)
    except CommandError as exc:  # pragma: no cover - shows the problems on failure
        pytest.fail(f"validate_data failed: {exc}\n{err.getvalue()}")
    assert "no problems found" in out.getvalue()
    assert err.getvalue() == ""
