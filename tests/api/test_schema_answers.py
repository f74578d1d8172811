"""The OpenAPI schema declares every kind of answer the API gives: CSV as text, the errors, the RateLimit fields."""

import json

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from alliances.models import Membership, Source

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_operation_declares_its_errors_as_the_json_error_body(schema):
    for path, method, operation in operations(schema):
        for code in ("400", "404", "429"):
            response = operation["responses"][code]
            assert response["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}, (
                path,
                method,
                code,
            )
        assert operation["responses"]["429"]["headers"]["Retry-After"] == {"$ref": "#/components/headers/Retry-After"}
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"detail", "unknown", "accepted", "not_found", "suggestions"}
    assert "required" not in error  # a 400 about a field names the field instead of `detail`


def test_csv_is_a_string_next_to_json_and_every_answer_has_the_rate_limit_fields(schema):
    csv_answers = 0
    for path, method, operation in operations(schema):
        for code, response in operation["responses"].items():
            assert set(response.get("headers", {})) >= {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}
            if "text/csv" in response.get("content", {}):
                csv_answers += 1
                assert response["content"]["text/csv"]["schema"]["type"] == "string", (path, method, code)
    assert csv_answers > 20
    for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"):
        assert schema["components"]["headers"][name]["schema"] == {"type": "integer"}


def test_each_read_has_a_csv_operation_that_answers_csv(schema):
    reads = {path for path, method, op in operations(schema) if method == "get" and path.endswith("/")}
    twins = {path for path in schema["paths"] if path.endswith(".csv")}
    assert twins == {path[:-1] + ".csv" for path in reads}
    values = {
        "{identifier}": "RO",
        "{id}": str(Membership.objects.order_by("pk").values_list("pk", flat=True)[0]),
        "{slug}": Source.objects.order_by("slug").values_list("slug", flat=True)[0],
    }
    client = Client()
    for path in sorted(twins):
        twin = schema["paths"][path]["get"]
        assert list(twin["responses"]["200"]["content"]) == ["text/csv"]
        assert "format" not in {p["name"] for p in twin["parameters"]}
        assert {} in twin["security"]  # anyone may read
        url = path
        for placeholder, value in values.items():
            url = url.replace(placeholder, value)
        if "/organizations/RO" in url:
            url = url.replace("/organizations/RO", "/organizations/nato")
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/csv"), url
        assert response["Content-Disposition"].startswith('attachment; filename="alliances-'), url


def test_a_missing_record_in_a_csv_operation_is_a_json_404():
    response = Client().get("/api/v1/countries/Nowhereland/memberships.csv")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json()["not_found"] == {"kind": "country", "identifier": "Nowhereland"}
