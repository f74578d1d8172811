"""An organization's own life in the admin: its periods in other organizations (citations inline), its names,
its successions. Audited like every other model (``AuditedAdmin``); the rules are the models' own."""

from django import forms
from django.contrib import admin

from alliances.admin.base import AuditedAdmin
from alliances.models import (
    OrganizationMembership,
    OrganizationMembershipCitation,
    OrganizationName,
    OrganizationSuccession,
)


class CitationFormSet(forms.BaseInlineFormSet):
    """A period keeps at least one citation: a form left empty or marked for deletion does not count."""

    def clean(self):
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not kept:
            raise forms.ValidationError("A period needs at least one citation: a source and the sentence of it.")


class OrganizationMembershipCitationInline(admin.StackedInline):
    model = OrganizationMembershipCitation
    formset = CitationFormSet
    extra = 1
    fields = ["source", "quote"]
    autocomplete_fields = ["source"]


@admin.register(OrganizationMembership)
class OrganizationMembershipAdmin(AuditedAdmin):
    list_display = ["member", "organization", "status", "start_date", "start_precision", "end_date"]
    list_filter = ["status", "organization"]
    search_fields = ["member__acronym", "member__name", "organization__acronym", "organization__name"]
    autocomplete_fields = ["member", "organization"]
    list_select_related = ["member", "organization"]
    inlines = [OrganizationMembershipCitationInline]


@admin.register(OrganizationName)
class OrganizationNameAdmin(AuditedAdmin):
    list_display = ["organization", "name", "acronym", "valid_from", "valid_to"]
    search_fields = ["name", "acronym", "organization__acronym", "organization__name"]
    autocomplete_fields = ["organization", "source"]
    list_select_related = ["organization"]


@admin.register(OrganizationSuccession)
class OrganizationSuccessionAdmin(AuditedAdmin):
    list_display = ["predecessor", "successor", "date", "kind"]
    list_filter = ["kind"]
    search_fields = ["predecessor__acronym", "predecessor__name", "successor__acronym", "successor__name"]
    autocomplete_fields = ["predecessor", "successor", "source"]
    list_select_related = ["predecessor", "successor"]
