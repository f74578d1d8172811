"""Inlines: aliases, memberships and citations edited inside their owner's page."""

from django.contrib import admin

from alliances.admin.forms import AliasInlineFormSet, MembershipCitationFormSet, MembershipInlineFormSet
from alliances.models import Citation, CountryAlias, CountryCitation, Membership, OrganizationAlias, Succession


class CountryAliasInline(admin.TabularInline):
    model = CountryAlias
    formset = AliasInlineFormSet
    extra = 0
    fields = ["name"]


class OrganizationAliasInline(admin.TabularInline):
    model = OrganizationAlias
    formset = AliasInlineFormSet
    extra = 0
    fields = ["name"]


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipInlineFormSet
    extra = 0
    fields = ["organization", "country", "status", "founding", "start_date", "end_date", "note"]
    autocomplete_fields = ["country", "organization"]
    show_change_link = True


class CountryMembershipInline(MembershipInline):
    fk_name = "country"
    fields = ["organization", "status", "founding", "start_date", "end_date", "note"]
    ordering = ["start_date"]


class OrganizationMembershipInline(MembershipInline):
    fk_name = "organization"
    fields = ["country", "status", "founding", "start_date", "end_date", "note"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("country").order_by("start_date", "country__name")


class OrganizationCitationInline(admin.StackedInline):
    model = Citation
    extra = 0
    fields = ["source", "quote"]
    autocomplete_fields = ["source"]
    verbose_name = "citation about the organization"
    verbose_name_plural = "citations about the organization"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(membership__isnull=True)


class MembershipCitationInline(admin.StackedInline):
    model = Citation
    formset = MembershipCitationFormSet
    extra = 0
    min_num = 1  # a period needs at least one citation, on every write path
    validate_min = True
    fields = ["source", "quote"]
    autocomplete_fields = ["source"]


class SourceCitationInline(admin.StackedInline):
    model = Citation
    extra = 0
    fields = ["organization", "membership", "quote"]
    autocomplete_fields = ["organization", "membership"]


class CountryCitationInline(admin.TabularInline):
    """Sources of the country's existence span."""

    model = CountryCitation
    extra = 0
    fields = ["source", "quote"]
    autocomplete_fields = ["source"]
    verbose_name = "source of the existence span"
    verbose_name_plural = "sources of the existence span"


class SuccessionInline(admin.TabularInline):
    model = Succession
    extra = 0
    fields = ["predecessor", "successor", "date", "kind", "note", "source", "quote"]
    autocomplete_fields = ["predecessor", "successor", "source"]


class PredecessorInline(SuccessionInline):
    fk_name = "successor"
    verbose_name = "predecessor"
    verbose_name_plural = "predecessors (states this one succeeded)"


class SuccessorInline(SuccessionInline):
    fk_name = "predecessor"
    verbose_name = "successor"
    verbose_name_plural = "successors (states that succeeded this one)"
