"""Abuse is bounded: sign-in lockouts, trusted proxies only, hostile credentials, CSP, upload caps, CSV formulas."""

import base64
import os
import runpy
from pathlib import Path

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from rest_framework.test import APIClient

from alliances.models import Source

pytestmark = pytest.mark.django_db

API = "/api/v1/"
ROOT = Path(__file__).resolve().parents[2]


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def curator():
    return User.objects.create_superuser("cora", password="right-password")


def api_write(client, auth, addr="192.0.2.10"):
    return client.post(
        API + "sources/",
        {"slug": "x", "title": "x", "kind": "official_page"},
        format="json",
        HTTP_AUTHORIZATION=auth,
        REMOTE_ADDR=addr,
    )


# --- failed sign-ins are limited (django-axes) ------------------------------


def test_api_basic_auth_is_locked_after_the_failure_limit(settings, curator):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert api_write(client, basic("cora", "wrong")).status_code in (401, 403)
    locked = api_write(client, basic("cora", "wrong"))
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.json()["detail"]
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    # Locked out means locked out, even with the right password.
    assert api_write(client, basic("cora", "right-password")).status_code == 429


def test_locked_out_guesses_never_reach_the_password_hash(settings, curator, monkeypatch):
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api_write(client, basic("cora", "wrong"))

    def must_not_hash(*args, **kwargs):
        raise AssertionError("a locked-out attempt reached the password check")

    monkeypatch.setattr(ModelBackend, "authenticate", must_not_hash)
    assert api_write(client, basic("cora", "another-guess")).status_code == 429


def test_lockout_is_per_account_across_addresses(settings, curator):
    client = APIClient()
    for n in range(settings.AXES_FAILURE_LIMIT):
        api_write(client, basic("cora", "wrong"), addr=f"198.51.100.{n + 1}")
    assert api_write(client, basic("cora", "right-password"), addr="203.0.113.7").status_code == 429


def test_lockout_is_per_address_across_accounts(settings, curator):
    client = APIClient()
    for n in range(settings.AXES_FAILURE_LIMIT):
        api_write(client, basic(f"nobody{n}", "wrong"), addr="198.51.100.99")
    # The right password of another account from that address is refused too ...
    assert api_write(client, basic("cora", "right-password"), addr="198.51.100.99").status_code == 429
    # ... and accepted from elsewhere.
    assert api_write(client, basic("cora", "right-password"), addr="203.0.113.8").status_code == 201


def test_rotating_x_forwarded_for_does_not_escape_the_lockout(settings, curator):
    client = APIClient()
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            API + "sources/",
            {},
            format="json",
            HTTP_AUTHORIZATION=basic(f"guess{n}", "wrong"),
            REMOTE_ADDR="198.51.100.50",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )
    response = client.post(
        API + "sources/",
        {},
        format="json",
        HTTP_AUTHORIZATION=basic("cora", "right-password"),
        REMOTE_ADDR="198.51.100.50",
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    assert response.status_code == 429


def test_admin_login_is_locked_after_the_failure_limit(settings, client, curator):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/admin/login/", {"username": "cora", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    response = client.post("/admin/login/", {"username": "cora", "password": "wrong"})
    assert response.status_code == 429
    assert b"Too many" in response.content
    response = client.post("/admin/login/", {"username": "cora", "password": "right-password"})
    assert response.status_code == 429


def test_a_good_sign_in_resets_the_count(settings, client, curator):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/admin/login/", {"username": "cora", "password": "wrong"})
    assert client.post("/admin/login/", {"username": "cora", "password": "right-password"}).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/admin/login/", {"username": "cora", "password": "wrong"}).status_code == 200


# --- hostile credentials ----------------------------------------------------


@pytest.mark.parametrize("username, password", [("co\x00ra", "x"), ("cora", "pa\x00ss")])
def test_nul_byte_in_basic_credentials_is_a_plain_refusal(curator, username, password):
    response = api_write(APIClient(), basic(username, password))
    assert response.status_code in (401, 403)
    assert response.json()["detail"] == "Invalid username/password."


@pytest.mark.parametrize("header", ["Basic", "Basic !!!", "Basic " + "A" * 10000, "Basic a b", "Basic " + "w6k="])
def test_malformed_basic_credentials_are_4xx_json(header):
    response = APIClient().get(API + "organizations/", HTTP_AUTHORIZATION=header)
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()


def test_an_unknown_authorization_scheme_reads_anonymously():
    assert APIClient().get(API + "organizations/", HTTP_AUTHORIZATION="Bearer x").status_code == 200


# --- trusted proxies ----------------------------------------------------------


def test_x_forwarded_for_is_ignored_without_trusted_proxies(settings):
    from alliances.platform.security import client_ip

    request = RequestFactory().get(API, REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client_ip(request) == "198.51.100.1"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert client_ip(request) == "203.0.113.5"


def test_rotating_x_forwarded_for_does_not_escape_the_rate_limit(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": None}}
    client = APIClient()
    statuses = [
        client.get(API + "organizations/", REMOTE_ADDR="198.51.100.2", HTTP_X_FORWARDED_FOR=f"10.1.0.{n}").status_code
        for n in range(5)
    ]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]


# --- Content-Security-Policy on every response --------------------------------


@pytest.mark.parametrize("path", [API + "organizations/", "/admin/login/", "/api/docs/", "/healthz"])
def test_every_response_carries_the_csp_and_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"


def test_cached_answers_carry_the_csp_too(client):
    first = client.get(API + "organizations/nato/")
    second = client.get(API + "organizations/nato/")
    assert second["X-Cache"] == "hit"
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]


def test_api_docs_run_no_inline_script(client):
    page = client.get("/api/docs/").content.decode()
    assert "<script>" not in page  # the split view loads its set-up script from a URL
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


# --- uploads --------------------------------------------------------------------


def test_multipart_upload_over_the_cap_is_413(settings, admin_client):
    settings.MAX_UPLOAD_BYTES = 1000

    def upload():
        return SimpleUploadedFile("big.csv", b"x" * 5000, content_type="text/csv")

    response = admin_client.post("/admin/alliances/membership/import/", {"import_file": upload(), "format": "0"})
    assert response.status_code == 413
    response = APIClient().post(API + "sources/", {"file": upload()}, format="multipart")
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


@pytest.mark.parametrize("length", ["abc", "-1", "9" * 40])
def test_a_nonsense_content_length_is_400(client, length):
    response = client.post(API + "sources/", b"{}", content_type="application/json", CONTENT_LENGTH=length)
    assert response.status_code == 400
    assert "Content-Length" in response.json()["detail"]


# --- CSV exports cannot carry formulas -----------------------------------------


@pytest.mark.parametrize("title", ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)"])
def test_api_csv_neutralises_formulas(client, title):
    Source.objects.create(slug="evil", title=title, kind="secondary")
    body = b"".join(client.get(API + "sources/?format=csv").streaming_content).decode()
    assert ("'" + title.replace('"', '""')) in body
    assert "\n" + title not in body and "," + title not in body


def test_admin_csv_export_neutralises_formulas(settings):
    assert settings.IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT is True


# --- gunicorn: one control socket per instance ---------------------------------


def test_each_gunicorn_instance_gets_its_own_control_socket(monkeypatch):
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    paths = set()
    for bind in ("127.0.0.1:8000", "127.0.0.1:8001", "unix:/run/alliances.sock"):
        monkeypatch.setenv("BIND", bind)
        paths.add(runpy.run_path(os.fspath(ROOT / "gunicorn.conf.py"))["control_socket"])
    assert len(paths) == 3


@pytest.mark.parametrize(
    "path",
    ["/static/admin/css/base.css", "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css"],
)
def test_static_files_are_served_with_debug_off(client, settings, path):
    assert settings.DEBUG is False
    response = client.get(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)
