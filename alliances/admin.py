"""Curation admin: every record editable, every rule shown as a form error."""

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet

from alliances import audit, rules
from alliances.models import Citation, Country, CountryAlias, Membership, Organization, OrganizationAlias, Source
from alliances.text import normalize_name


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
            if data and data.get("DELETE") and form.instance.pk is not None:
                try:
                    rules.check_membership_removal(Membership.objects.get(pk=form.instance.pk))
                except ValidationError as exc:
                    raise ValidationError(exc.messages) from exc
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


class StaleEditForm(forms.ModelForm):
    """Refuse a save if someone else changed the record since this form was opened.

    The form carries the row's audit version (the id of its latest audit event);
    if the stored version moved on, the save is refused instead of silently
    overwriting the other curator's edit.
    """

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["loaded_version"].initial = audit.row_version(type(self.instance), self.instance.pk)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        model = type(self.instance)
        # Lock the row (PostgreSQL) so no other save slips between this check and ours.
        list(model.objects.select_for_update().filter(pk=self.instance.pk).values_list("pk"))
        current = audit.row_version(model, self.instance.pk)
        if cleaned.get("loaded_version") != current:
            last = audit.row_history(model, self.instance.pk).last()
            who = f" by {last.actor}" if last and last.actor else ""
            when = f" at {last.at:%Y-%m-%d %H:%M} UTC" if last else ""
            raise forms.ValidationError(
                f"This record was changed{who}{when} after you opened this page. Your changes were not saved: "
                "reload the page to see the current values, then make your change again.",
                code="stale",
            )
        return cleaned


class AuditedAdmin(admin.ModelAdmin):
    """Records admin writes as the signed-in curator and shows the audit trail as the object's history."""

    form = StaleEditForm
    # Django 6.0's default, chosen now: a URL typed without a scheme means https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    object_history_template = "admin/alliances/audit_history.html"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            with audit.acting_as(request.user):
                return super().changeform_view(request, object_id, form_url, extra_context)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        if request.method == "POST":
            with audit.acting_as(request.user):
                return super().delete_view(request, object_id, extra_context)
        return super().delete_view(request, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST":  # admin actions and list_editable
            with audit.acting_as(request.user):
                return super().changelist_view(request, extra_context)
        return super().changelist_view(request, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        events = list(audit.row_history(self.model, object_id)) if str(object_id).isdigit() else []
        rows = []
        for event in events:
            before, after = event.before or {}, event.after or {}
            changes = [
                (key, before.get(key), after.get(key))
                for key in dict.fromkeys([*before, *after])
                if before.get(key) != after.get(key)
            ]
            rows.append({"event": event, "changes": changes})
        context = {**(extra_context or {}), "audit_rows": rows}
        return super().history_view(request, object_id, extra_context=context)


class AliasInlineFormSet(BaseInlineFormSet):
    """Refuse two rows of one submit whose names share a lookup key."""

    def clean(self):
        super().clean()
        seen = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("name"):
                continue
            key = normalize_name(data["name"])
            if key in seen:
                form.add_error("name", f"“{data['name']}” has the same lookup key as “{seen[key]}” in this form.")
            else:
                seen[key] = data["name"]


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


class MembershipCitationFormSet(BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.organization_id = self.instance.organization_id
        return form


class MembershipCitationInline(admin.StackedInline):
    model = Citation
    formset = MembershipCitationFormSet
    extra = 1
    fields = ["source", "quote"]
    autocomplete_fields = ["source"]


class SourceCitationInline(admin.StackedInline):
    model = Citation
    extra = 0
    fields = ["organization", "membership", "quote"]
    autocomplete_fields = ["organization", "membership"]


@admin.register(Country)
class CountryAdmin(AuditedAdmin):
    list_display = ["name", "iso2", "iso3", "numeric", "official_name"]
    search_fields = ["name", "official_name", "iso2", "iso3", "numeric", "aliases__name"]
    inlines = [CountryAliasInline, CountryMembershipInline]


class OrganizationForm(StaleEditForm):
    def clean_members_must_belong_to(self):
        required = self.cleaned_data["members_must_belong_to"]
        if self.instance.pk is not None:
            for other in required:
                gaps = rules.requirement_gaps(self.instance, other)
                if gaps:
                    m, gap = gaps[0]
                    raise ValidationError(
                        f"{len(gaps)} member period(s) break this, e.g. {m.country.name} is not a member of "
                        f"{other.acronym} on {gap.isoformat()}."
                    )
        return required


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    form = OrganizationForm
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
class MembershipAdmin(AuditedAdmin):
    list_display = ["country", "organization", "status", "founding", "start_date", "end_date"]
    list_filter = ["organization", "status", OngoingFilter, "founding"]
    list_select_related = ["country", "organization"]
    search_fields = ["country__name", "country__iso2", "country__iso3", "country__aliases__name"]
    autocomplete_fields = ["country", "organization"]
    date_hierarchy = "start_date"
    inlines = [MembershipCitationInline]

    def has_delete_permission(self, request, obj=None):
        if obj is not None:
            try:
                rules.check_membership_removal(obj)
            except ValidationError:
                return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            rules.check_membership_removal(obj)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        # Citations of a new membership need its organization before validation runs.
        for inline_form in formset.forms:
            if isinstance(inline_form.instance, Citation) and inline_form.instance.organization_id is None:
                inline_form.instance.organization_id = form.instance.organization_id
        super().save_formset(request, form, formset, change)


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
