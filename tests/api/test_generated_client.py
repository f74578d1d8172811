"""A client generated from the live schema by openapi-python-client reads every kind of answer.

It used to crash on ``format=csv`` (it parsed the file as JSON) and had no type for
the errors. The client is generated once, from the schema the live server serves,
imported from a temporary folder, and used against that server over HTTP: a JSON
list, a CSV file (text), a 404, a 400 and a 429, each parsed as its type.
"""

import csv
import importlib
import io
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import _reload_data_after_module, load_data  # noqa: F401 - the fixture is used below

pytestmark = [pytest.mark.slow]

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "alliances_generated_client"


@pytest.fixture
def site(_reload_data_after_module, live_server, transactional_db):  # noqa: F811
    """The live server with the fixtures loaded (a transactional test starts empty; see tests/browser/conftest.py)."""
    load_data()
    return live_server.url


def generate(schema_url, folder):
    """The client package generated from the schema at ``schema_url``, imported from ``folder``."""
    (folder / "schema.json").write_bytes(httpx.get(schema_url, params={"format": "json"}, timeout=30).content)
    (folder / "config.yaml").write_text(f"post_hooks: []\npackage_name_override: {PACKAGE}\n")
    subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(folder / "schema.json"),
            "--config",
            str(folder / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(folder / PACKAGE),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    sys.path.insert(0, str(folder))
    try:
        importlib.invalidate_caches()
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))


@pytest.fixture
def generated(site, tmp_path):
    package = generate(f"{site}/api/schema/", tmp_path)
    yield package
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def test_a_generated_client_reads_json_csv_and_errors(site, generated, settings):
    v1 = importlib.import_module(f"{PACKAGE}.api.v1")
    from_package = importlib.import_module
    error_type = from_package(f"{PACKAGE}.models").Error
    client = from_package(PACKAGE).Client(base_url=site, raise_on_unexpected_status=True)

    # A JSON list, parsed into the generated models.
    page = from_package(f"{v1.__name__}.v1_memberships_list").sync(client=client, organization="nato", page_size=5)
    assert page.count > 30 and len(page.results) == 5
    assert {m.organization.slug for m in page.results} == {"nato"}

    # The same list as CSV: the file, as text, with every matching row (not a page).
    text = from_package(f"{v1.__name__}.v1_memberships_list_csv").sync(client=client, organization="nato")
    assert isinstance(text, str)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == page.count and {row["organization.slug"] for row in rows} == {"nato"}

    # A 404: the error body, parsed, with the close names.
    missing = from_package(f"{v1.__name__}.v1_countries_retrieve").sync(client=client, identifier="Romanai")
    assert isinstance(missing, error_type)
    assert missing.not_found.kind == "country" and missing.not_found.identifier == "Romanai"
    assert any("Romania" in s for s in missing.suggestions)
    missing_csv = from_package(f"{v1.__name__}.v1_countries_memberships_retrieve_csv").sync_detailed(
        client=client, identifier="XX-nowhere"
    )
    assert missing_csv.status_code == 404 and isinstance(missing_csv.parsed, error_type)

    # A 400: a value the endpoint cannot use, the sentence under the field's name.
    bad = from_package(f"{v1.__name__}.v1_countries_memberships_retrieve").sync_detailed(
        client=client, identifier="RO", organization="no-such-organization"
    )
    assert bad.status_code == 400 and isinstance(bad.parsed, error_type)
    assert bad.parsed.additional_properties == {"organization": ["No organization matches “no-such-organization”."]}

    # A 429 once the anonymous limit is spent, with Retry-After and the RateLimit fields.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": None}}
    retrieve = from_package(f"{v1.__name__}.v1_sources_list")
    answers = [retrieve.sync_detailed(client=client) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    limited = answers[-1]
    assert isinstance(limited.parsed, error_type) and "throttled" in limited.parsed.detail.lower()
    assert int(limited.headers["Retry-After"]) > 0
