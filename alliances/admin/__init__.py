"""Curation admin: every record editable, every rule shown as a form error.

``base`` (what every model admin shares), ``forms`` (forms and formsets),
``inlines``, and one module per model; importing them registers the admins.
Workflows read through ``selectors`` and write through ``services``.
"""

from alliances.admin import aliases, country, membership, organization, source, succession

__all__ = ["aliases", "country", "membership", "organization", "source", "succession"]
