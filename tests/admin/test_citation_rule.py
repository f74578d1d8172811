"""Every period keeps at least one citation, whichever admin page removes one.

A curator could leave a period bare by deleting its only citation (its delete page,
"delete selected", the source page's inline) or by moving that citation to another
period. Each path is refused with the rule's sentence and nothing is changed.
"""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count

from alliances.models import Citation, Membership
from alliances.validation import NEEDS_CITATION  # the rulebook's sentence (alliances.rules.problems.NeedsCitation)
from tests.admin.test_admin import ADMIN, change_form, errors_of

pytestmark = pytest.mark.django_db


def only_citation():
    """A period with exactly one citation, and that citation."""
    period = Membership.objects.annotate(n=Count("citations")).filter(n=1).order_by("pk").first()
    assert period is not None, "the fixtures have no period with a single citation"
    return period.citations.get()


def cited_twice():
    period = Membership.objects.annotate(n=Count("citations")).filter(n__gte=2).order_by("pk").first()
    assert period is not None, "the fixtures have no period with two citations"
    return period


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_delete_page_refuses_to_delete_a_periods_only_citation(admin_client):
    citation = only_citation()
    response = admin_client.post(f"{ADMIN}citation/{citation.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert any(NEEDS_CITATION in m for m in messages_of(response))
    assert Citation.objects.filter(pk=citation.pk).exists()


def test_delete_selected_refuses_when_it_would_leave_a_period_bare(admin_client):
    bare = only_citation()
    other = cited_twice().citations.first()
    response = admin_client.post(
        f"{ADMIN}citation/",
        {"action": "delete_selected", "_selected_action": [bare.pk, other.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert any(NEEDS_CITATION in m for m in messages_of(response))
    assert Citation.objects.filter(pk__in=[bare.pk, other.pk]).count() == 2  # all or nothing


def test_delete_selected_removes_all_but_the_last_citation_of_a_period(admin_client):
    period = cited_twice()
    extra = list(period.citations.order_by("pk"))[1:]
    response = admin_client.post(
        f"{ADMIN}citation/", {"action": "delete_selected", "_selected_action": [c.pk for c in extra], "post": "yes"}
    )
    assert response.status_code == 302
    assert period.citations.count() == 1


def test_moving_a_periods_only_citation_to_another_period_is_a_form_error(admin_client):
    citation = only_citation()
    target = Membership.objects.filter(organization=citation.organization).exclude(pk=citation.membership_id).first()
    url, data = change_form(admin_client, "citation", citation.pk, "citation_form")
    data["membership"] = [str(target.pk)]
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert NEEDS_CITATION in errors_of(response)["membership"]
    citation.refresh_from_db()
    assert citation.membership_id != target.pk


def test_the_source_pages_inline_refuses_to_delete_a_periods_only_citation(admin_client):
    citation = only_citation()
    url, data = change_form(admin_client, "source", citation.source_id, "source_form")
    prefix = "citations"
    total = int(data[f"{prefix}-TOTAL_FORMS"][0])
    row = next(i for i in range(total) if data.get(f"{prefix}-{i}-id") == [str(citation.pk)])
    data[f"{prefix}-{row}-DELETE"] = ["on"]
    response = admin_client.post(url, data, follow=True)
    assert any(NEEDS_CITATION in m for m in messages_of(response)) or NEEDS_CITATION in response.content.decode()
    assert Citation.objects.filter(pk=citation.pk).exists()


def test_the_orm_refuses_too_but_a_deleted_period_takes_its_citations_with_it():
    citation = only_citation()
    with pytest.raises(ValidationError, match="at least one citation"), transaction.atomic():
        citation.delete()
    with pytest.raises(ValidationError, match="at least one citation"), transaction.atomic():
        Citation.objects.filter(pk=citation.pk).delete()
    period = citation.membership
    period.delete()
    assert not Citation.objects.filter(pk=citation.pk).exists()
