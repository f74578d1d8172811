"""The audit trail is append-only in the database, and the data version follows commit order (issue 10)."""

import threading

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from rest_framework.test import APIClient

from alliances.models import AuditEvent, Membership, Source
from alliances.store import audit
from tests.integrity_support import committed, needs_postgresql, raw_connection, reload_data_after_module  # noqa: F401

# --- append-only audit trail ---------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_rows_cannot_be_updated():
    event = AuditEvent.objects.order_by("id").first()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor="someone else")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE alliances_auditevent SET after = NULL")
    assert AuditEvent.objects.get(pk=event.pk).actor == event.actor


@pytest.mark.django_db
def test_audit_rows_cannot_be_deleted():
    count = AuditEvent.objects.count()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=AuditEvent.objects.order_by("id").first().pk).delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM alliances_auditevent")
    assert AuditEvent.objects.count() == count


@needs_postgresql
@pytest.mark.django_db
def test_audit_table_cannot_be_truncated():
    count = AuditEvent.objects.count()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE alliances_auditevent")
    assert AuditEvent.objects.count() == count


@needs_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize("table", ["alliances_membership", "alliances_source", "alliances_citation"])
def test_audited_table_cannot_be_truncated(table):
    # A TRUNCATE removes rows without a row trigger firing, so it would leave no audit event.
    count = AuditEvent.objects.count()
    with pytest.raises(IntegrityError, match="TRUNCATE of"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert Membership.objects.exists() and Source.objects.exists()
    assert AuditEvent.objects.count() == count


@pytest.mark.django_db
def test_deleting_a_record_still_appends_to_the_trail():
    source = Source.objects.create(slug="to-delete", title="Temporary", kind="news")
    with audit.acting_as("tester"):
        source.delete()
    last = AuditEvent.objects.filter(table="alliances_source").last()
    assert (last.operation, last.actor, last.after) == ("delete", "tester", None)


# --- a data version that follows commit order -------------------------------------------------


@pytest.mark.django_db
def test_version_moves_on_a_real_change_only():
    before = audit.data_version()
    call_command("load_fixtures", "fixtures/04_memberships.json", verbosity=0)  # unchanged rows
    assert audit.data_version() == before
    with audit.acting_as("tester"):
        Membership.objects.filter(country__iso2="RO", organization__slug="nato").update(note="changed")
    assert audit.data_version() != before


@pytest.mark.django_db
def test_a_rolled_back_change_never_lends_its_version_to_other_data():
    before = audit.data_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        Membership.objects.filter(country__iso2="RO", organization__slug="nato").update(note="rolled back")
        rolled_back = audit.data_version()
        raise RuntimeError
    assert audit.data_version() == before
    Membership.objects.filter(country__iso2="RO", organization__slug="nato").update(note="another change")
    assert audit.data_version() not in (before, rolled_back)


@needs_postgresql
@pytest.mark.usefixtures("committed")
def test_an_older_transaction_committing_last_moves_the_version_and_the_cached_answer():
    """Issue 10, finding 3: ids are handed out in start order, commits happen in any order.

    The older transaction writes first (so it would get the lower audit id) and
    commits last. A reader between the two commits must see a version that the
    older commit then moves, and the API must answer the older transaction's
    change afterwards, not a cached answer from between the commits.
    """
    ro = Membership.objects.get(country__iso2="RO", organization__slug="nato", status="member")
    gb = Membership.objects.get(country__iso2="GB", organization__slug="eu")
    client = APIClient()
    url = "/api/v1/memberships/?organization=nato&country=RO&status=member"

    older, newer = raw_connection(), raw_connection()
    try:
        older.execute(
            "UPDATE alliances_membership SET own_status = %s WHERE id = %s", ["written by the older transaction", ro.pk]
        )

        def newer_transaction():
            newer.execute("UPDATE alliances_membership SET own_status = 'newer' WHERE id = %s", [gb.pk])
            newer.commit()

        thread = threading.Thread(target=newer_transaction)
        thread.start()
        thread.join(timeout=2)  # with a version row lock it waits for the older transaction

        between = audit.data_version()
        answer_between = client.get(url).json()  # cached under `between`
        assert answer_between["results"][0]["own_status"] != "written by the older transaction"

        older.commit()
        thread.join(timeout=30)
        assert not thread.is_alive()
    finally:
        older.close()
        newer.close()

    after = audit.data_version()
    assert after != between, "a commit after the version was read must move it"
    assert client.get(url).json()["results"][0]["own_status"] == "written by the older transaction"
    assert Membership.objects.get(pk=gb.pk).own_status == "newer"


@needs_postgresql
@pytest.mark.usefixtures("committed")
def test_versions_increase_in_commit_order():
    ids = list(Membership.objects.filter(organization__slug="b9").values_list("pk", flat=True)[:4])
    seen = []
    for i, pk in enumerate(ids):
        conn = raw_connection()
        try:
            conn.execute("UPDATE alliances_membership SET note = %s WHERE id = %s", [f"t{i}", pk])
            conn.commit()
        finally:
            conn.close()
        seen.append(audit.data_version())
    numbers = [int(v.split(".")[0]) for v in seen]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
