"""Sources and their citations."""

from django.contrib import admin

from alliances.admin.base import AuditedAdmin
from alliances.admin.inlines import SourceCitationInline
from alliances.models import Citation, Source


@admin.register(Source)
class SourceAdmin(AuditedAdmin):
    list_display = ["title", "publisher", "kind", "published"]
    list_filter = ["kind"]
    search_fields = ["title", "publisher", "url", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [SourceCitationInline]


@admin.register(Citation)
class CitationAdmin(AuditedAdmin):
    list_display = ["source", "organization", "membership", "quote"]
    list_filter = ["organization", "source__kind"]
    list_select_related = ["source", "organization", "membership__country", "membership__organization"]
    search_fields = ["quote", "source__title", "membership__country__name"]
    autocomplete_fields = ["source", "organization", "membership"]
