"""Schemathesis fuzzes every operation of our own OpenAPI schema, in process.

Fixed seed (derandomize) and a bounded number of examples keep the run
repeatable and fast; the coverage phase (schemathesis.toml) adds each
operation's boundary and invalid values. Every request also carries a
hypothesis-drawn ``Authorization`` and ``Cookie`` header: none, valid
credentials (Basic, or a signed-in session), or hostile ones (NUL and control
bytes, broken base64, unknown users, forged session ids). Writes are sent as a
superuser when valid, so they reach validation rather than stopping at 401.
It runs on whichever engine the suite runs on (SQLite, or PostgreSQL with DATABASE_URL).
"""

import base64
import itertools
import json

import pytest
import schemathesis
from axes.utils import reset as reset_sign_in_failures
from django.contrib.auth.models import User
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application


def load_schema():
    # Generated directly (not fetched over HTTP) because the database is not
    # open while pytest collects tests; it is the document /api/schema/ serves.
    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    loaded.app = application
    return loaded


pytestmark = [pytest.mark.slow, pytest.mark.fuzz]

schema = load_schema()

FUZZ_SETTINGS = settings(
    max_examples=5,  # the coverage phase adds each operation's boundary and invalid values
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
HEADER_FUZZ_SETTINGS = settings(FUZZ_SETTINGS, max_examples=5)
PASSWORD = "fuzz-password-not-secret"


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Call the WSGI app as Django's test Client does, without closing connections per request.

    Each call fires request_started and request_finished, whose
    close_old_connections() closes a connection that is inside a transaction
    (the test's); on PostgreSQL every later query then fails with "the
    connection is closed", which the API reports as a 503. The test Client
    disconnects it for the same reason.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Header values a WSGI client can send: Latin-1 without line breaks.
HEADER_TEXT = st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=40)


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode("utf-8", "surrogatepass")).decode()


def authorization_headers(valid):
    return st.one_of(
        st.none(),
        st.just(valid),
        st.builds(basic, HEADER_TEXT, HEADER_TEXT),  # unknown users, NUL bytes, colons
        st.builds(lambda text: "Basic " + text, HEADER_TEXT),  # not base64, or not UTF-8 inside
        st.builds(lambda raw: "Basic " + base64.b64encode(raw).decode(), st.binary(max_size=30)),
        st.builds(
            lambda scheme, text: f"{scheme} {text}", st.sampled_from(["Bearer", "Token", "Digest", ""]), HEADER_TEXT
        ),
        HEADER_TEXT,
    )


def cookie_headers(session_id):
    return st.one_of(
        st.none(),
        st.just(f"sessionid={session_id}"),
        st.builds(lambda text: f"sessionid={text}", HEADER_TEXT),  # forged or malformed session ids
        st.builds(lambda text: f"csrftoken={text}; sessionid={session_id}", HEADER_TEXT),
        HEADER_TEXT,
    )


@pytest.fixture
def credentials(db):
    User.objects.create_superuser("fuzzer", password=PASSWORD)
    browser = Client()
    browser.force_login(User.objects.get(username="fuzzer"))
    return {"authorization": basic("fuzzer", PASSWORD), "session": browser.cookies["sessionid"].value}


def call(case, credentials, data, **kwargs):
    # Each example starts with no failed sign-ins on record, so one example's
    # hostile credentials do not lock the next one's valid ones out (that has its own tests).
    reset_sign_in_failures()
    headers = {
        "Authorization": data.draw(authorization_headers(credentials["authorization"]), label="Authorization"),
        "Cookie": data.draw(cookie_headers(credentials["session"]), label="Cookie"),
    }
    # A value with leading whitespace cannot be sent (the HTTP client refuses it), so it is trimmed.
    headers = {name: value.lstrip() for name, value in headers.items() if value is not None}
    case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance], **kwargs)


# Coverage phase (and fuzzing) over each operation's parameters and bodies, with
# valid credentials in turn: none, a signed-in session, Basic (writes: always signed in).
# Schemathesis runs the coverage phase only for tests without @schema.given.
VALID = itertools.cycle(["none", "session", "authorization"])


def valid_headers(credentials, write):
    kind = "authorization" if write else next(VALID)
    if kind == "session" or (write and next(VALID) == "session"):
        return {"Cookie": f"sessionid={credentials['session']}"}
    return {"Authorization": credentials["authorization"]} if kind == "authorization" else {}


@pytest.mark.django_db
@schema.include(method="GET").parametrize()
@FUZZ_SETTINGS
def test_reads_never_fail(case, credentials):
    reset_sign_in_failures()  # the coverage phase's own bad credentials must not lock the next example out
    case.call_and_validate(
        headers=valid_headers(credentials, write=False), checks=[not_a_server_error, response_schema_conformance]
    )


@pytest.mark.django_db
@schema.exclude(method="GET").parametrize()
@FUZZ_SETTINGS
def test_writes_never_fail(case, credentials):
    reset_sign_in_failures()  # the coverage phase's own bad credentials must not lock the next example out
    case.call_and_validate(
        headers=valid_headers(credentials, write=True), checks=[not_a_server_error, response_schema_conformance]
    )


# Hostile and valid Authorization and Cookie headers drawn by hypothesis, on every operation.
@pytest.mark.django_db
@schema.include(method="GET").parametrize()
@schema.given(data=st.data())
@HEADER_FUZZ_SETTINGS
def test_reads_never_fail_whatever_the_credentials(case, data, credentials):
    call(case, credentials, data)


@pytest.mark.django_db
@schema.exclude(method="GET").parametrize()
@schema.given(data=st.data())
@HEADER_FUZZ_SETTINGS
def test_writes_never_fail_whatever_the_credentials(case, data, credentials):
    call(case, credentials, data)
