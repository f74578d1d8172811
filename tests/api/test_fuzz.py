"""Schemathesis fuzzes every operation of our own OpenAPI schema, in process.

Fixed seed (derandomize) and a bounded number of examples keep the run
repeatable and fast. Writes are sent as a superuser, so they reach validation
rather than stopping at 401.
"""

import base64
import json

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
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
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
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


@pytest.fixture
def auth_header(db):
    User.objects.create_superuser("fuzzer", password=PASSWORD)
    token = base64.b64encode(f"fuzzer:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.mark.django_db
@schema.include(method="GET").parametrize()
@FUZZ_SETTINGS
def test_reads_never_fail(case):
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])


@pytest.mark.django_db
@schema.exclude(method="GET").parametrize()
@FUZZ_SETTINGS
def test_writes_never_fail(case, auth_header):
    case.call_and_validate(headers=auth_header, checks=[not_a_server_error, response_schema_conformance])
