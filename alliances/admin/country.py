"""Countries: their aliases and memberships, and a summary of their groups today."""

from django.contrib import admin

from alliances import selectors
from alliances.admin.base import AuditedAdmin
from alliances.admin.inlines import (
    CountryAliasInline,
    CountryCitationInline,
    CountryMembershipInline,
    PredecessorInline,
    SuccessorInline,
)
from alliances.models import Country


@admin.register(Country)
class CountryAdmin(AuditedAdmin):
    list_display = ["name", "code", "iso2", "iso3", "numeric", "official_name", "exists_from", "exists_to"]
    search_fields = ["name", "official_name", "code", "iso2", "iso3", "numeric", "aliases__name"]
    inlines = [
        CountryAliasInline,
        CountryCitationInline,
        PredecessorInline,
        SuccessorInline,
        CountryMembershipInline,
    ]
    change_form_template = "admin/alliances/country/change_form.html"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        country = self.get_object(request, object_id) if object_id else None
        if country is not None:
            extra_context = {
                **(extra_context or {}),
                "membership_summary": selectors.country_membership_summary(country),
            }
        return super().changeform_view(request, object_id, form_url, extra_context)
