"""Aliases on their own pages, so curators (who may not change countries or organizations) can fix them."""

from django.contrib import admin

from alliances.admin.base import AuditedAdmin
from alliances.models import CountryAlias, OrganizationAlias


@admin.register(CountryAlias)
class CountryAliasAdmin(AuditedAdmin):
    """Aliases on their own, so curators (who may not change countries) can add and correct them."""

    list_display = ["name", "country"]
    search_fields = ["name", "country__name", "country__iso2"]
    list_select_related = ["country"]
    autocomplete_fields = ["country"]
    fields = ["country", "name"]


@admin.register(OrganizationAlias)
class OrganizationAliasAdmin(AuditedAdmin):
    """Aliases on their own, so curators (who may not change organizations) can add and correct them."""

    list_display = ["name", "organization"]
    search_fields = ["name", "organization__acronym", "organization__name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    fields = ["organization", "name"]
