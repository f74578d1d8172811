"""The lost-update token: how a writer proves it saw the record as it is now.

The API and the admin use one token, the strong ETag of the record's API
representation (the md5 of the JSON body a GET of the record gives). The API
already publishes it as the ``ETag`` of that GET, where caches and clients rely
on it changing exactly when the body does, so it could not become anything
else; the admin carries the same token in its change form, so an edit made
through either is seen as a change by the other. A content hash, unlike the
id of the row's last audit event, also covers what the record's page shows
besides its own columns (its aliases, its citations, an organization's count
of members today), and a change that is undone leaves nothing stale.

``alliances.api.serializers.record_token`` computes it (it needs the API's
serializers); this module holds what has no interface in it: the hash and the
comparison.
"""

import hashlib

from django.utils.http import quote_etag


def token_of(body):
    """The token of a representation: the ETag Django's ConditionalGetMiddleware gives a response with this body."""
    return quote_etag(hashlib.md5(body, usedforsecurity=False).hexdigest())


def matches(sent, current):
    """Whether ``sent`` still names the record as it is (``current``; None once the record is gone).

    ``sent`` is an If-Match value: one token, a comma-separated list of them, or ``*`` (any current version).
    """
    if current is None or not sent:
        return False
    return sent.strip() == "*" or current in [token.strip() for token in sent.split(",")]
