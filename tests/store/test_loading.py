"""load_fixtures in bulk (issue 13): the same data as before, every row validated, a refusal writes nothing."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alliances import services
from alliances.models import (
    AuditEvent,
    Citation,
    Country,
    CountryAlias,
    CountryCitation,
    Membership,
    Organization,
    OrganizationAlias,
    OrganizationMembership,
    OrganizationName,
    OrganizationSuccession,
    Source,
    Succession,
)
from alliances.store import audit, loading
from alliances.store.loading import LOADER_PREFIX

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
FIXTURES = sorted((ROOT / "fixtures").glob("*.json"))


def empty_the_database():
    # As a loader's own clean-up: deletions by anyone else are curation that a load refuses to undo.
    with audit.acting_as(f"{LOADER_PREFIX}tests"):
        _delete_everything()


def _delete_everything():
    # Periods first: they take their citations with them (a period's last citation is never deleted alone).
    for model in (OrganizationMembership, OrganizationName, OrganizationSuccession):  # they protect organizations
        model.objects.all().delete()
    for model in (Membership, Citation, CountryCitation, Succession, CountryAlias, OrganizationAlias):
        model.objects.all().delete()
    Organization.members_must_belong_to.through.objects.all().delete()
    for model in (Organization, Source, Country):
        model.objects.all().delete()


def write(tmp_path, objects, name="bad.json"):
    path = tmp_path / name
    path.write_text(json.dumps(objects), encoding="utf-8")
    return str(path)


def membership(country, organization, start, end=None, status="member"):
    return {
        "model": "alliances.membership",
        "fields": {
            "country": [country],
            "organization": [organization],
            "status": status,
            "founding": False,
            "start_date": start,
            "end_date": end,
            "note": "",
        },
    }


def state():
    """What a refused load must leave as it was: the data version and every row count."""
    counts = {model: model.objects.count() for model in loading.NATURAL_KEYS}
    return audit.data_version(), counts, AuditEvent.objects.count()


def test_loading_into_an_empty_database_gives_the_fixtures_back_byte_for_byte(tmp_path):
    empty_the_database()
    before = audit.data_version()
    events = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    with CaptureQueriesContext(connection) as queries:
        call_command("load_fixtures", verbosity=0)
    # Natural keys resolved per table, rows written per table in batches (SQLite binds at most 999 values
    # a statement): the lookups do not grow with the rows (a few a table), and the inserts grow only by batch.
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT INTO")]
    rows = sum(len(json.loads(p.read_text())) for p in FIXTURES)
    assert len(queries) - len(inserts) < 7 * len(loading.NATURAL_KEYS), len(queries) - len(inserts)
    assert len(inserts) <= rows / 50, (len(inserts), rows)
    assert audit.data_version() != before
    loaded = AuditEvent.objects.filter(id__gt=events)
    assert loaded.count() == sum(len(json.loads(p.read_text())) for p in FIXTURES) + 1  # + the B9 → NATO row
    assert {actor.split(":")[0] for actor in loaded.values_list("actor", flat=True)} == {"loader"}

    call_command("export_fixtures", str(tmp_path), verbosity=0)
    for path in FIXTURES:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
    call_command("validate_data", verbosity=0)


def test_loading_the_same_fixtures_again_writes_nothing():
    before = state()
    call_command("load_fixtures", verbosity=0)
    assert state() == before


BAD_ROWS = {
    "end before start": (membership("BR", "osce", "2010-01-01", "2009-12-31", "observer"), r"end_date: The end date"),
    "overlap": (membership("RO", "nato", "2010-01-01"), r"start_date: Romania already has a period in NATO"),
    "B9 without NATO": (membership("JP", "b9", "2016-01-01"), r"must be members of NATO, but Japan is not"),
    "before founding": (membership("JP", "b9", "2001-01-01"), r"B9 was founded on 2015-11-04"),
    "after the state ended": (membership("SUHH", "eu", "1995-01-01"), r"USSR existed as a state until 1991-12-25"),
    "unknown status": (membership("BR", "osce", "2010-01-01", status="friend"), r"status: Value 'friend'"),
    "unknown country": (membership("XX", "osce", "2010-01-01"), r"country refers to country XX, which is neither"),
}


@pytest.mark.parametrize("case", BAD_ROWS)
def test_a_bad_row_in_the_middle_refuses_the_whole_load_and_writes_nothing(tmp_path, case):
    bad, message = BAD_ROWS[case]
    objects = [
        {
            "model": "alliances.source",
            "fields": {"slug": "new-source", "title": "A new source", "kind": "news_article"},
        },
        membership("JP", "nato", "2010-01-01", status="partner"),
        bad,
        membership("KR", "nato", "2010-01-01", status="partner"),
    ]
    before = state()
    where = r"bad\.json, object 3 \(membership " if case != "unknown country" else r"bad\.json, object 3: "
    with pytest.raises(CommandError, match=rf"(?s)Refusing to load.*{where}.*{message}"):
        call_command("load_fixtures", write(tmp_path, objects), verbosity=0)
    assert state() == before
    assert not Source.objects.filter(slug="new-source").exists()


def test_two_seats_of_a_continuation_are_refused(tmp_path):
    # Russia continues the USSR from 1991-12-26: a Soviet OSCE period to 1992 would be a second seat.
    ussr = Membership.objects.get(country__code="SUHH", organization__slug="osce")
    objects = [membership("SUHH", "osce", ussr.start_date.isoformat(), "1992-06-30")]
    Country.objects.filter(code="SUHH").update(exists_to=None)  # so only the continuation rule can refuse it
    with pytest.raises(
        CommandError,
        match=r"06_history.json|stored succession.*Russian Federation continues USSR from 1991-12-26: one seat",
    ):
        call_command("load_fixtures", write(tmp_path, objects), force=True, verbosity=0)


def test_check_constraints_are_evaluated_for_every_row(tmp_path):
    # Organization has no clean(): only its CHECK constraint says a dissolution follows the founding.
    objects = [
        {
            "model": "alliances.organization",
            "fields": {
                "slug": "short-lived",
                "acronym": "SL",
                "name": "Short-lived Pact",
                "kind": "security_alliance",
                "founded": "2000-01-01",
                "dissolved": "1999-01-01",
                "members_must_belong_to": [],
            },
        }
    ]
    before = state()
    with pytest.raises(
        CommandError,
        match=r"object 1 \(organization short-lived\): The dissolution date must not be before the founding date",
    ):
        call_command("load_fixtures", write(tmp_path, objects), verbosity=0)
    assert state() == before


def test_every_constraint_of_the_loaded_models_is_evaluated():
    """The Python evaluation knows every lookup the constraints use (else a new constraint would go unchecked)."""
    for model in loading.NATURAL_KEYS:
        instance = model.objects.first()
        for constraint in model._meta.constraints:
            condition = getattr(constraint, "condition", None)
            if condition is not None:
                assert loading.holds(condition, instance) in (True, False, None), (model, constraint.name)
    good = Membership.objects.first()
    assert loading.holds(Membership._meta.constraints[1].condition, good) is True
    good.end_date = good.start_date.replace(year=good.start_date.year - 1)
    assert loading.holds(Membership._meta.constraints[1].condition, good) is False


def test_a_clash_with_a_unique_value_is_refused(tmp_path):
    fields = {"code": "ZZ", "iso2": "ZZ", "iso3": "ROU", "numeric": "999", "name": "Zedland"}
    objects = [{"model": "alliances.country", "fields": fields}]
    with pytest.raises(CommandError, match=r"object 1 \(country ZZ\): iso3=ROU is already used by the stored country"):
        call_command("load_fixtures", write(tmp_path, objects), verbosity=0)


def test_an_alias_whose_lookup_key_is_not_its_name_is_refused(tmp_path):
    objects = [{"model": "alliances.countryalias", "fields": {"country": ["JP"], "name": "Nippon", "normalized": "x"}}]
    with pytest.raises(CommandError, match=r"normalized: The lookup key of “Nippon” is “nippon”, not “x”"):
        call_command("load_fixtures", write(tmp_path, objects), verbosity=0)


def test_the_same_record_twice_is_refused(tmp_path):
    row = membership("JP", "nato", "2010-01-01", status="partner")
    with pytest.raises(CommandError, match=r"object 2 \(membership JP/nato/2010-01-01\): the same record as"):
        call_command("load_fixtures", write(tmp_path, [row, row]), verbosity=0)


def test_other_models_and_primary_keys_are_refused_by_name(tmp_path):
    objects = [
        {"model": "auth.user", "fields": {"username": "x"}},
        {"model": "alliances.source", "pk": 1, "fields": {"slug": "s", "title": "t", "kind": "news_article"}},
    ]
    with pytest.raises(CommandError, match=r"(?s)object 1: model auth.user is not one.*object 2: has a primary key"):
        call_command("load_fixtures", write(tmp_path, objects), verbosity=0)


def test_an_unknown_field_is_refused_by_name(tmp_path):
    objects = [
        {"model": "alliances.source", "fields": {"slug": "s", "title": "t", "kind": "news_article", "colour": 1}}
    ]
    with pytest.raises(CommandError, match=r"bad\.json, object 1: Source has no field 'colour'"):
        call_command("load_fixtures", write(tmp_path, objects), verbosity=0)


def test_new_valid_rows_are_created_and_recorded_as_the_loaders(tmp_path):
    objects = [
        {
            "model": "alliances.source",
            "fields": {"slug": "new-source", "title": "A new source", "kind": "news_article"},
        },
        membership("JP", "nato", "2010-01-01", status="partner"),
        {
            "model": "alliances.citation",
            "fields": {
                "source": ["new-source"],
                "organization": ["nato"],
                "membership": ["JP", "nato", "2010-01-01"],
                "quote": "Japan became a partner in 2010.",
            },
        },
    ]
    call_command("load_fixtures", write(tmp_path, objects), verbosity=0)
    created = Membership.objects.get(country__code="JP", organization__slug="nato", start_date="2010-01-01")
    assert created.citations.get().source.slug == "new-source"
    assert AuditEvent.objects.filter(table="alliances_membership", row_id=created.pk).get().actor.startswith("loader:")


def test_a_curated_requirement_is_not_undone_unless_forced():
    b9, nato, eu = (Organization.objects.get(slug=slug) for slug in ("b9", "nato", "eu"))
    with audit.acting_as("alice"):
        services.set_requirements(eu, [])  # EU requires nothing in the fixtures either: no change
        services.set_requirements(b9, [])
    with pytest.raises(CommandError, match=r"(?s)Refusing to load.*organization B9: members_must_belong_to.*alice"):
        call_command("load_fixtures", verbosity=0)
    assert not b9.members_must_belong_to.exists()
    call_command("load_fixtures", force=True, verbosity=0)
    assert list(b9.members_must_belong_to.all()) == [nato]
