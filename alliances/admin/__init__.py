"""Curation admin: every record editable, every rule shown as a form error.

``base`` (what every model admin shares), ``forms`` (forms and formsets),
``inlines``, and one module per model; importing them registers the admins.
Workflows read through ``selectors`` and write through ``services``.
"""

from django.contrib import admin

from alliances.admin import (
    aliases,
    country,
    crosscheck,
    membership,
    organization,
    organization_life,
    source,
    succession,
)

# The project's name, not "Django administration", on every admin page and tab.
admin.site.site_header = "alliances · curation"
admin.site.site_title = "alliances curation"
admin.site.index_title = "Organizations, member states and their sourced periods"

__all__ = [
    "aliases",
    "country",
    "crosscheck",
    "membership",
    "organization",
    "organization_life",
    "source",
    "succession",
]
