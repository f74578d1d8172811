"""RateLimit-Limit/Remaining/Reset on every counted answer, wherever it comes from; Retry-After on a 429."""

import io
import wsgiref.util

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connections
from rest_framework.test import APIClient

from alliances.platform import fastpath

pytestmark = pytest.mark.django_db

URL = "/api/v1/organizations/nato/members/"


@pytest.fixture
def limit(settings):
    def set_rate(rate):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": rate, "user": None}}

    return set_rate


def fields(response):
    return (response["RateLimit-Limit"], response["RateLimit-Remaining"], int(response["RateLimit-Reset"]))


def test_each_answer_says_what_is_left_and_a_429_when_to_retry(limit):
    limit("4/minute")
    client = APIClient()
    answers = [client.get(URL) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert [fields(a)[:2] for a in answers] == [("4", "3"), ("4", "2"), ("4", "1"), ("4", "0"), ("4", "0")]
    assert all(0 <= fields(a)[2] <= 60 for a in answers)
    assert answers[1]["X-Cache"] == "hit"  # an answer from the response cache is counted and told so too
    assert 0 < int(answers[-1]["Retry-After"]) <= 60


def test_a_browser_script_may_read_them(limit):
    limit("10/minute")
    response = APIClient().get(URL, HTTP_ORIGIN="https://elsewhere.example")
    exposed = {name.strip() for name in response["Access-Control-Expose-Headers"].split(",")}
    assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"} <= exposed


def test_csv_downloads_and_pages_outside_the_api_are_not_counted(limit):
    limit("10/minute")
    client = APIClient()
    csv_answer = client.get("/api/v1/memberships/", {"format": "csv", "organization": "eu"})
    assert fields(csv_answer)[:2] == ("10", "9")
    assert not client.get("/").has_header("RateLimit-Remaining")


def test_without_a_limit_there_are_no_fields():
    assert not APIClient().get(URL).has_header("RateLimit-Limit")  # the suite's default: no throttling


def get(app, url):
    path, _, query = url.partition("?")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "wsgi.input": io.BytesIO()}
    wsgiref.util.setup_testing_defaults(environ)
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, list(headers)

    result = app(environ, start_response)
    try:
        b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return int(seen["status"].split()[0]), seen["headers"]


def header(headers, name):
    (value,) = [v for n, v in headers if n == name]  # exactly once
    return value


def test_the_fast_paths_replays_carry_the_requests_own_count(limit):
    limit("3/minute")
    # As Django's test client does: a request must not close the test's transaction's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    connection = connections["default"]
    connection.ensure_connection()
    close_at, connection.close_at = connection.close_at, None
    try:
        app = fastpath.FastPath(WSGIHandler())
        answers = [get(app, URL) for _ in range(4)]
    finally:
        connection.close_at = close_at
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    assert [status for status, _ in answers] == [200, 200, 200, 429]
    assert header(answers[2][1], "X-Cache") == "hit"  # replayed, not computed
    assert [header(headers, "RateLimit-Remaining") for _, headers in answers] == ["2", "1", "0", "0"]
    assert int(header(answers[-1][1], "Retry-After")) > 0
