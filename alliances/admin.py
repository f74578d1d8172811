"""Curation admin: every record editable, every rule shown as a form error."""

import datetime

from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from alliances import rules
from alliances.models import Citation, Country, CountryAlias, Membership, Organization, OrganizationAlias, Source


class MembershipInlineFormSet(BaseInlineFormSet):
    """Refuse two new or edited rows of one submit that overlap each other.

    ``Membership.clean()`` compares a row with what is already stored; rows of
    the same form are not stored yet, so they are compared here.
    """

    def clean(self):
        super().clean()
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("start_date"):
                continue
            instance = form.instance
            rows.append((instance.country_id, instance.organization_id, data["start_date"], data.get("end_date"), form))
        for i, (country, organization, start, end, form) in enumerate(rows):
            for other_country, other_org, other_start, other_end, _ in rows[i + 1 :]:
                if (country, organization) == (other_country, other_org) and rules.overlaps(
                    start, end, other_start, other_end
                ):
                    form.add_error(
                        "start_date",
                        "This period overlaps another row of this form for the same country and organization "
                        f"({rules.describe_period(other_start, other_end)}).",
                    )


class CountryAliasInline(admin.TabularInline):
    model = CountryAlias
    extra = 0
    fields = ["name"]


class OrganizationAliasInline(admin.TabularInline):
    model = OrganizationAlias
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
    extra = 1
    fields = ["source", "quote"]
    autocomplete_fields = ["source"]


class SourceCitationInline(admin.StackedInline):
    model = Citation
    extra = 0
    fields = ["organization", "membership", "quote"]
    autocomplete_fields = ["organization", "membership"]


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = ["name", "iso2", "iso3", "numeric", "official_name"]
    search_fields = ["name", "official_name", "iso2", "iso3", "numeric", "aliases__name"]
    inlines = [CountryAliasInline, CountryMembershipInline]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["acronym", "name", "kind", "founded", "dissolved"]
    list_filter = ["kind"]
    search_fields = ["slug", "acronym", "name", "aliases__name"]
    filter_horizontal = ["members_must_belong_to"]
    prepopulated_fields = {"slug": ["acronym"]}
    inlines = [OrganizationAliasInline, OrganizationMembershipInline, OrganizationCitationInline]


class OngoingFilter(admin.SimpleListFilter):
    title = "ongoing"
    parameter_name = "ongoing"

    def lookups(self, request, model_admin):
        return [("yes", "Ongoing today"), ("no", "Ended or not yet started")]

    def queryset(self, request, queryset):
        today = datetime.date.today()
        if self.value() == "yes":
            return queryset.on(today)
        if self.value() == "no":
            return queryset.exclude(pk__in=Membership.objects.on(today).values("pk"))
        return queryset


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["country", "organization", "status", "founding", "start_date", "end_date"]
    list_filter = ["organization", "status", OngoingFilter, "founding"]
    list_select_related = ["country", "organization"]
    search_fields = ["country__name", "country__iso2", "country__iso3", "country__aliases__name"]
    autocomplete_fields = ["country", "organization"]
    date_hierarchy = "start_date"
    inlines = [MembershipCitationInline]

    def save_formset(self, request, form, formset, change):
        # Citations of a new membership need its organization before validation runs.
        for inline_form in formset.forms:
            if isinstance(inline_form.instance, Citation) and inline_form.instance.organization_id is None:
                inline_form.instance.organization_id = form.instance.organization_id
        super().save_formset(request, form, formset, change)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher", "kind", "published"]
    list_filter = ["kind"]
    search_fields = ["title", "publisher", "url", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [SourceCitationInline]


@admin.register(Citation)
class CitationAdmin(admin.ModelAdmin):
    list_display = ["source", "organization", "membership", "quote"]
    list_filter = ["organization", "source__kind"]
    list_select_related = ["source", "organization", "membership__country", "membership__organization"]
    search_fields = ["quote", "source__title", "membership__country__name"]
    autocomplete_fields = ["source", "organization", "membership"]
