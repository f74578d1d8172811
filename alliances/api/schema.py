"""The OpenAPI schema says what the API really answers, so a generated client can use every answer.

drf-spectacular, by default, gave a CSV answer the JSON answer's schema and left
out the errors; a client generated from it (openapi-python-client, say) parsed a
``?format=csv`` answer as JSON and crashed, and had no type for a 400 or a 404.
Here:

* ``text/csv`` is declared as what it is, a string (the file), next to JSON;
* every operation declares its 400, 404 and 429 answers with the one JSON error
  body the API gives (``alliances/platform/exceptions.py``);
* every answer declares the RateLimit fields, and a 429 its ``Retry-After``
  (``alliances/platform/throttling.py``);
* each read that gives CSV also has an operation of its own for it, at the same
  path with a ``.csv`` suffix (``/api/v1/memberships.csv``), whose only success is
  the file: a generated client decides how to read an answer by its operation, not
  by the answer's Content-Type, so one operation for both formats could only read
  one of them (``csv_operations``, a postprocessing hook).
"""

import copy

from drf_spectacular import openapi
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

CSV = "text/csv"
JSON = "application/json"

CSV_SCHEMA = {
    "type": "string",
    "description": "The CSV file: a header row, then one row per item; nested fields as dotted columns "
    "(`country.code`), lists joined by ` | `. A list gives every matching row, not a page.",
}

RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": "Requests allowed in the current window (per client address; per user when signed in).",
    "RateLimit-Remaining": "Requests left in the current window.",
    "RateLimit-Reset": "Seconds until the current window ends and the count starts again.",
}
RETRY_AFTER = "Seconds to wait before asking again."

ERROR = inline_serializer(
    "Error",
    {
        "detail": serializers.CharField(
            required=False,
            help_text="What was wrong, in a sentence. A 400 about given values names each field "
            'instead, with a list of sentences per field (`{"as_of": ["Enter a valid date."]}`).',
        ),
        "unknown": serializers.ListField(
            child=serializers.CharField(), required=False, help_text="Query parameters the endpoint does not take."
        ),
        "accepted": serializers.ListField(
            child=serializers.CharField(), required=False, help_text="The query parameters it takes."
        ),
        "not_found": inline_serializer(
            "NotFoundIdentifier",
            {"kind": serializers.CharField(), "identifier": serializers.CharField()},
            required=False,
            help_text="What was looked for: its kind (country, organization) and the identifier given.",
        ),
        "suggestions": serializers.ListField(
            child=serializers.CharField(), required=False, help_text="Close names that do exist."
        ),
    },
)

ERRORS = {
    "400": "The query or the body is not valid: a parameter the endpoint does not take, a bad value.",
    "404": "No such record (the close names are suggested), or no such page.",
    "429": "Too many requests from this client: wait `Retry-After` seconds.",
}


def _header_ref(name):
    """The RateLimit fields are declared once, under ``components/headers`` (added by ``csv_operations``)."""
    return {"$ref": f"#/components/headers/{name}"}


HEADER_COMPONENTS = {
    **{name: {"schema": {"type": "integer"}, "description": text} for name, text in RATE_LIMIT_HEADERS.items()},
    "Retry-After": {"schema": {"type": "integer"}, "description": RETRY_AFTER, "required": True},
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema with the CSV answers, the errors and the RateLimit fields as they are."""

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        content = response.get("content") or {}
        if CSV in content:
            content[CSV] = {"schema": dict(CSV_SCHEMA)}
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, description in ERRORS.items():
            if code not in responses:
                error = self._get_response_for_code(ERROR, code, [JSON], direction)
                error["description"] = description
                responses[code] = error
        for code, response in responses.items():  # a 204 too, which has no body
            headers = response.setdefault("headers", {})
            for name in RATE_LIMIT_HEADERS:
                headers.setdefault(name, _header_ref(name))
            if code == "429":
                headers["Retry-After"] = _header_ref("Retry-After")
        return responses


def csv_operations(result, generator, request, public):
    """A ``.csv`` twin of each read that gives CSV: the same query, the file as its only success.

    DRF routes ``<path>.csv`` already (the router's format suffixes); the twin
    documents it, so a generated client gets a method that returns the file as text.
    Also declares the response headers ``AutoSchema`` refers to, and that reads need no credentials.
    """
    result.setdefault("components", {}).setdefault("headers", {}).update(copy.deepcopy(HEADER_COMPONENTS))
    paths = result.get("paths", {})
    for path, operations in list(paths.items()):
        read = operations.get("get")
        if not read:
            continue
        # Anyone may read (alliances/platform/permissions.py): no credentials is one of the ways in,
        # so a generated client's read methods take a client without any.
        if {} not in read.setdefault("security", []):
            read["security"].append({})
        if not path.endswith("/"):
            continue
        success = read.get("responses", {}).get("200", {})
        if CSV not in success.get("content", {}):
            continue
        twin = copy.deepcopy(read)
        twin["operationId"] = f"{read['operationId']}_csv"
        twin["summary"] = f"{read.get('summary') or read['operationId']}, as CSV"
        twin["parameters"] = [p for p in twin.get("parameters", []) if (p["in"], p["name"]) != ("query", "format")]
        twin["responses"]["200"]["content"] = {CSV: {"schema": dict(CSV_SCHEMA)}}
        paths[path[:-1] + ".csv"] = {"get": twin}
    return result
