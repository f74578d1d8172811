"""Public reads answer any origin (CORS); writes, and their preflights, get no CORS headers."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ORIGIN = "https://research.example.org"


def test_a_read_from_any_origin_gets_cors_without_credentials():
    response = Client().get("/api/v1/organizations/nato/members/", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not response.has_header("Access-Control-Allow-Credentials")
    assert "Link" in response["Access-Control-Expose-Headers"] or "ETag" in response["Access-Control-Expose-Headers"]


def test_a_cached_read_and_a_download_get_cors_too():
    client = Client()
    client.get("/api/v1/countries/RO/", HTTP_ORIGIN=ORIGIN)
    hit = client.get("/api/v1/countries/RO/", HTTP_ORIGIN=ORIGIN)
    assert hit["X-Cache"] == "hit" and hit["Access-Control-Allow-Origin"] == "*"
    download = client.get("/api/v1/memberships/", {"format": "csv"}, HTTP_ORIGIN=ORIGIN)
    assert download["Access-Control-Allow-Origin"] == "*"


def test_a_read_preflight_is_allowed():
    response = Client().options("/api/v1/memberships/", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" not in response["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_write_preflight_is_refused(method):
    response = Client().options("/api/v1/memberships/", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD=method)
    assert not response.has_header("Access-Control-Allow-Origin")
    assert not response.has_header("Access-Control-Allow-Methods")


def test_a_write_gets_no_cors_headers():
    response = Client().post("/api/v1/sources/", {"slug": "x"}, HTTP_ORIGIN=ORIGIN, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not response.has_header("Access-Control-Allow-Origin")


def test_the_admin_gets_no_cors():
    response = Client().get("/admin/login/", HTTP_ORIGIN=ORIGIN)
    assert not response.has_header("Access-Control-Allow-Origin")
