"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Each test is transactional (the live server runs in another thread, so the data
must be committed), and pytest-django empties the database after each one.
So every test loads the fixtures and the curators group itself, and after the
last browser test of a module they are loaded again, leaving the database as
tests/conftest.py set it up for whatever test runs next, in any order.

Without Chromium the tests are skipped locally but fail in CI (``CI`` set):
a CI run that silently skipped them would prove nothing.
"""

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client

from alliances.admin import curators
from alliances.models import AuditEvent, Membership
from alliances.store import integrity

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
SAVE_SCREENSHOTS = os.environ.get("SCREENSHOTS") == "1"
CURATOR, PASSWORD = "cora", "curator-Pw-for-tests-1"


def _unavailable(reason):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} CI must run the browser tests: .ci/run installs Chromium (apt-get install chromium).")
    pytest.skip(f"{reason} Install it (apt-get install chromium) to run the browser tests.")


@pytest.fixture(scope="module")
def browser():
    """Chromium, one per test module (so the environment change below ends with the module)."""
    if not (shutil.which(CHROMIUM) or os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"Chromium is not installed at {CHROMIUM}.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("The playwright package is not installed (pip install -r requirements-dev.txt).")
    # Playwright's sync API keeps an asyncio loop on this thread while it runs,
    # so Django would refuse the tests' own ORM calls as made "from an async
    # context"; they are plain synchronous calls, so allow them meanwhile.
    with pytest.MonkeyPatch.context() as env, sync_playwright() as playwright:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


_loaded_rows = {}
_loaded_copy = []  # SQLite: a page-for-page copy of the loaded database, kept in memory


def _alliances_models():
    """The app's tables in dependency order (auto-created many-to-many tables after their owners)."""
    return list(apps.get_app_config("alliances").get_models(include_auto_created=True))


def load_data():
    """The fixtures, loaded as ``load_fixtures`` does, and the curators group.

    ``load_fixtures`` runs for the first test of the session; what it wrote is
    kept and written back for each later test. On SQLite (the quick start's
    test database) the whole database is copied back from a copy in memory with
    SQLite's backup API, a few milliseconds; elsewhere the rows, audit trail included,
    go back in one bulk insert per table. The flush between tests leaves an
    empty audit trail (tests/conftest.py); the write-back runs in the same
    maintenance mode, since the audit rows are otherwise append-only
    (alliances/store/integrity.py).
    """
    if (_loaded_rows or _loaded_copy) and Membership.objects.exists():
        # The first test of a later browser module: the previous module's teardown has
        # already written the data back (a second write-back would collide with it).
        curators.ensure_group()
        return
    if _loaded_copy:
        connection.ensure_connection()
        _loaded_copy[0].backup(connection.connection)
        curators.ensure_group()
        return
    if not _loaded_rows:
        call_command("load_fixtures", verbosity=0)
        curators.ensure_group()
        if connection.vendor == "sqlite":
            copy = sqlite3.connect(":memory:", check_same_thread=False)
            connection.connection.backup(copy)
            _loaded_copy.append(copy)
            return
        _loaded_rows.update({model: list(model._base_manager.all()) for model in _alliances_models()})
        return
    with transaction.atomic(), integrity.maintenance(connection):
        for model in _alliances_models():
            if model is not AuditEvent:
                model._base_manager.bulk_create(_loaded_rows[model])
        # Where the triggers recorded those inserts as the test's own (SQLite), the loader's trail replaces them.
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {integrity.AUDIT_TABLE}")
        AuditEvent.objects.bulk_create(_loaded_rows[AuditEvent])
    curators.ensure_group()


@pytest.fixture(scope="module")
def _reload_data_after_module(django_db_blocker):
    # Module scope: torn down after the last test's flush, which function-scoped fixtures cannot follow.
    yield
    with django_db_blocker.unblock():
        load_data()


@pytest.fixture
def site(_reload_data_after_module, live_server, transactional_db):
    """The live server's address, with the fixtures, the curators group and a curator account in its database."""
    load_data()
    call_command("create_curator", CURATOR, password=PASSWORD, verbosity=0, stdout=open(os.devnull, "w"))
    return live_server.url


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=site)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def curator_page(page, site):
    """A page signed in as the curator.

    With the session Django's test client opens for the curator, handed to the
    browser as its cookie: the workflows start signed in without loading the
    login page each time (test_curator_logs_in_and_sees_only_curation signs in
    through the form, as a curator does).
    """
    client = Client()
    client.force_login(User.objects.get(username=CURATOR))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site}])
    return page


def login(page, username=CURATOR, password=PASSWORD):
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")


@pytest.fixture
def screenshot(request):
    """``screenshot(page, name)`` saves tests/screenshots/<name>.png (git-ignored) to look at later.

    Only with ``SCREENSHOTS=1`` in the environment: nothing asserts on them, and
    encoding some thirty full-page PNGs was a tenth of the browser tests' time.
    """

    def take(page, name):
        if not SAVE_SCREENSHOTS:
            return None
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
