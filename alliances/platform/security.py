"""Who is asking, and how hard they may knock: client addresses, sign-in lockouts, Basic auth.

One notion of "the client's address" serves the rate limits (DRF throttles) and the
failed-login limits (django-axes): ``X-Forwarded-For`` counts only when the
deployment says how many proxies of its own put it there (``TRUSTED_PROXY_COUNT``),
so rotating the header buys an attacker nothing.
"""

import math

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.throttling import BaseThrottle


def client_ip(request):
    """The client's address as DRF's throttles see it (REST_FRAMEWORK["NUM_PROXIES"])."""
    return BaseThrottle().get_ident(getattr(request, "_request", request))


def lockout_response(request, original_response=None, credentials=None):
    """429 for a locked-out sign-in: JSON for the API, a short page for the admin."""
    seconds = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds())
    message = (
        f"Too many failed sign-in attempts from this address or for this account; "
        f"try again in {max(1, seconds // 60)} minutes."
    )
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = HttpResponse(
            f"<!doctype html><title>Too many attempts</title><h1>Too many attempts</h1><p>{message}</p>",
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response


class BasicAuthentication(authentication.BasicAuthentication):
    """DRF's Basic auth, made safe for hostile credentials and visible to django-axes.

    A NUL byte cannot be stored in PostgreSQL text, so looking such a user up
    would raise a DataError (a 500): refuse it as bad credentials instead. And
    axes flags the request it is given; DRF would hand it its own wrapper, which
    the lockout middleware never sees, so pass Django's request.
    """

    def authenticate_credentials(self, userid, password, request=None):
        if "\x00" in userid or "\x00" in password:
            raise exceptions.AuthenticationFailed("Invalid username/password.")
        return super().authenticate_credentials(userid, password, getattr(request, "_request", request))


class BasicAuthenticationScheme(OpenApiAuthenticationExtension):
    """Document the subclass in the OpenAPI schema exactly as DRF's Basic auth."""

    target_class = BasicAuthentication
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic"}
