"""Crafted admin URLs give a signed-in curator a 400 or a 404, never a 500 (on both engines)."""

import pytest

from alliances.models import Membership, Organization
from tests.admin.test_admin import ADMIN

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/autocomplete/?term=%00&app_label=alliances&model_name=membership&field_name=country",
        "/admin/autocomplete/?term=Rom%00ania&app_label=alliances&model_name=membership&field_name=organization",
        f"{ADMIN}membership/?status__exact=%00",
        f"{ADMIN}membership/?organization__id__exact=%00",
        f"{ADMIN}membership/?q=%00",
        f"{ADMIN}country/?q=Rom%00ania",
        f"{ADMIN}source/?kind__exact=official%00page",
        f"{ADMIN}membership/?%00=1",
        "/countries/RO/?as_of=%00",
    ],
)
def test_a_nul_character_in_a_query_parameter_is_a_400(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 400, (url, response.status_code)
    assert "NUL character" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "membership/abc/change-status/",
        "membership/9223372036854775808/change-status/",
        "membership/%00/change-status/",
        "membership/1.5/change-status/",
        "organization/abc/accession/",
        "organization/99999999/accession/",
        "organization/-1/accession/",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_workflow_url_with_an_id_that_names_nothing_is_a_404(admin_client, path, method):
    response = getattr(admin_client, method)(ADMIN + path)
    assert response.status_code == 404, (path, response.status_code)


def test_the_workflow_urls_still_open_for_a_real_id(admin_client):
    membership = Membership.objects.filter(status="candidate").first()
    assert admin_client.get(f"{ADMIN}membership/{membership.pk}/change-status/").status_code == 200
    nato = Organization.objects.get(slug="nato")
    assert admin_client.get(f"{ADMIN}organization/{nato.pk}/accession/").status_code == 200
