"""The platform: what serves the domain over HTTP without being part of it.

Caching (the Redis client, the response cache and its middleware, the
in-process name-resolution snapshot), throttling, pagination, renderers, the
API's error format, permissions, and the one place that turns "the database is
unavailable" into a 503. Nothing here decides what the data means; the domain
modules (models, validation, selectors, services) never import from here,
except selectors, which resolve names through the snapshot.
"""
