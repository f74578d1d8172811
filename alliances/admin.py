"""Curation admin: every record editable, every rule shown as a form error."""

import contextlib
import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV

from alliances import audit, rules, selectors, services
from alliances.admin_forms import AccessionForm, ChangeStatusForm, EndOnDateForm, add_service_errors
from alliances.models import (
    Citation,
    Country,
    CountryAlias,
    CountryCitation,
    Membership,
    Organization,
    OrganizationAlias,
    Source,
    Succession,
)
from alliances.resources import MembershipResource
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

    def audited(self, request):
        """For a custom admin view: its writes are recorded as the curator's, in one transaction."""
        return audit.acting_as(request.user) if request.method == "POST" else contextlib.nullcontext()

    def workflow_page(self, request, *, title, form, obj=None, template="admin/alliances/workflow_form.html", **extra):
        """Render a curation form with the admin's own field markup, so errors sit next to their field."""
        admin_form = helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {})
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": str(obj) if obj is not None else None,
            "opts": self.opts,
            "original": obj,
            "adminform": admin_form,
            "form": form,
            "errors": helpers.AdminErrorList(form, []),
            "media": self.media + admin_form.media,
            **extra,
        }
        return TemplateResponse(request, template, context)

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


@admin.register(Succession)
class SuccessionAdmin(AuditedAdmin):
    list_display = ["predecessor", "successor", "date", "kind"]
    list_filter = ["kind"]
    search_fields = ["predecessor__name", "predecessor__code", "successor__name", "successor__code"]
    autocomplete_fields = ["predecessor", "successor", "source"]
    list_select_related = ["predecessor", "successor"]


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
            extra_context = {**(extra_context or {}), "membership_summary": membership_summary(country)}
        return super().changeform_view(request, object_id, form_url, extra_context)


def membership_summary(country, today=None):
    """Every period of ``country`` in any status, split into today's, past and future ones."""
    today = today or datetime.date.today()
    summary = {"current": [], "past": [], "future": []}
    for m in selectors.country_memberships(country, statuses=None):
        if m.start_date > today:
            summary["future"].append(m)
        elif m.end_date is not None and m.end_date < today:
            summary["past"].append(m)
        else:
            summary["current"].append(m)
    summary["past"].sort(key=lambda m: (m.end_date, m.organization.acronym), reverse=True)
    summary["today"] = today
    return summary


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
    change_form_template = "admin/alliances/organization/change_form.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.accession_view)
        return [path("<path:object_id>/accession/", view, name="alliances_organization_accession"), *super().get_urls()]

    def has_accession_permission(self, request):
        return request.user.has_perms(["alliances.add_membership", "alliances.add_citation"])

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_record_accession"] = self.has_accession_permission(request)
        return super().render_change_form(request, context, *args, **kwargs)

    def accession_view(self, request, object_id):
        """Record an accession: a new period of a country in this organization and its citation, in one form."""
        organization = get_object_or_404(Organization, pk=object_id)
        if not (self.has_view_permission(request, organization) and self.has_accession_permission(request)):
            raise PermissionDenied
        form = AccessionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                with self.audited(request):
                    membership = services.membership_create(
                        organization=organization,
                        country=data["country"],
                        status=data["status"],
                        founding=data["founding"],
                        start_date=data["start_date"],
                        end_date=data["end_date"],
                        note=data["note"],
                        citations=[(data["source"], data["quote"])],
                    )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                url = reverse("admin:alliances_membership_change", args=[membership.pk])
                self.message_user(
                    request,
                    f"Recorded: {membership}, with its citation.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(url)
        return self.workflow_page(
            request, title=f"Record an accession to {organization.acronym}", form=form, obj=organization
        )


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


class AllOrNothing(Exception):
    """Raised inside a transaction to roll it back when any membership of an action was refused."""


@admin.register(Membership)
class MembershipAdmin(ImportExportMixin, AuditedAdmin):
    """Memberships: the list filters, ends periods in bulk, imports and exports CSV (the filtered list)."""

    resource_classes = [MembershipResource]
    formats = [CSV]
    change_form_template = "admin/alliances/membership/change_form.html"
    actions = ["end_on_date"]
    list_display = ["country", "organization", "status", "founding", "start_date", "end_date"]
    list_filter = ["organization", "status", OngoingFilter, "founding"]
    list_select_related = ["country", "organization"]
    search_fields = ["country__name", "country__code", "country__iso2", "country__iso3", "country__aliases__name"]
    autocomplete_fields = ["country", "organization"]
    date_hierarchy = "start_date"
    inlines = [MembershipCitationInline]

    # --- CSV import (preview, then confirm) and export ---------------------------------------------

    def has_import_permission(self, request):
        # Importing creates and changes periods and their citations.
        return request.user.has_perms(
            ["alliances.add_membership", "alliances.change_membership", "alliances.add_citation"]
        )

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def import_action(self, request, **kwargs):
        with self.audited(request):  # the preview is a dry run, rolled back, but recorded as the curator's
            return super().import_action(request, **kwargs)

    def process_import(self, request, **kwargs):
        with self.audited(request):
            return super().process_import(request, **kwargs)

    def process_dataset(self, dataset, form, request, **kwargs):
        # All or nothing: a row refused at confirmation (the data changed since
        # the preview) rolls back the whole file, not just that row.
        kwargs["rollback_on_validation_errors"] = True
        return super().process_dataset(dataset, form, request, **kwargs)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            self.message_user(
                request,
                "Nothing was imported: some rows are refused now (the data changed since the preview). "
                "Import the file again to see why.",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:alliances_membership_import"))
        return super().process_result(result, request)

    # --- record a departure: end selected periods on one date ----------------------------------------

    @admin.action(description="End selected memberships on a date", permissions=["change"])
    def end_on_date(self, request, queryset):
        """Ask for a date, then end every selected period on it, or none if any is refused."""
        form = EndOnDateForm(request.POST if "apply" in request.POST else None)
        memberships = list(queryset.select_related("country", "organization").order_by("organization", "country"))
        problems = []
        if form.is_valid():
            problems = self._end_all(request, memberships, form.cleaned_data["end_date"])
            if not problems:
                day = form.cleaned_data["end_date"].isoformat()
                self.message_user(
                    request,
                    f"Ended {len(memberships)} membership(s) on {day}: "
                    + "; ".join(f"{m.country} in {m.organization}" for m in memberships)
                    + ".",
                    messages.SUCCESS,
                )
                return None  # back to the list, filters kept
            memberships = list(queryset.select_related("country", "organization").order_by("organization", "country"))
            form.add_error(
                None, f"Nothing was changed: {len(problems)} of {len(memberships)} membership(s) cannot end then."
            )
        return self.workflow_page(
            request,
            title="End memberships on a date",
            form=form,
            template="admin/alliances/membership/end_on_date.html",
            memberships=memberships,
            problems=problems,
            action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
        )

    def _end_all(self, request, memberships, end_date):
        """End every period on ``end_date`` in one transaction; return (membership, messages) for each refusal.

        Ending one period can depend on ending another first (a B9 seat before
        the NATO membership it requires), so refused ones are retried while
        others succeed. If any is still refused, everything is rolled back.
        """
        problems = [
            (m, [f"It already ended on {m.end_date.isoformat()}; edit the period to correct its end date."])
            for m in memberships
            if m.end_date is not None
        ]
        errors = {}
        try:
            with audit.acting_as(request.user):
                pending = [m for m in memberships if m.end_date is None]
                while pending:
                    errors = {}
                    for m in pending:
                        try:
                            with transaction.atomic():  # a refused one leaves nothing behind
                                services.membership_end(membership=m, end_date=end_date)
                        except ValidationError as exc:
                            errors[m.pk] = (m, exc.messages)
                    if len(errors) == len(pending):
                        break  # no progress: these are refused for good
                    pending = [m for m in pending if m.pk in errors]
                problems += list(errors.values())
                if problems:
                    raise AllOrNothing
        except AllOrNothing:
            pass
        return problems

    # --- change of status as two periods ---------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view(self.change_status_view)
        return [
            path("<path:object_id>/change-status/", view, name="alliances_membership_change_status"),
            *super().get_urls(),
        ]

    def has_change_status_permission(self, request, obj=None):
        return self.has_change_permission(request, obj) and request.user.has_perms(
            ["alliances.add_membership", "alliances.add_citation"]
        )

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["can_change_status"] = obj is not None and self.has_change_status_permission(request, obj)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def change_status_view(self, request, object_id):
        """Change of status (candidate to member, say): end this period the day before, open the next one."""
        membership = get_object_or_404(Membership.objects.select_related("country", "organization"), pk=object_id)
        if not self.has_change_status_permission(request, membership):
            raise PermissionDenied
        form = ChangeStatusForm(request.POST or None, membership=membership)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                with self.audited(request):
                    new = services.membership_change_status(
                        membership=membership,
                        new_status=data["new_status"],
                        on=data["on"],
                        note=data["note"],
                        citations=[(data["source"], data["quote"])],
                    )
            except ValidationError as exc:
                membership.refresh_from_db()  # the service set the end date before it was refused
                # The service's keys are about either period's dates; both are the "from" date here.
                add_service_errors(
                    form, exc, {"start_date": "on", "end_date": "on", "status": "new_status", "quote": "quote"}
                )
            else:
                self.message_user(
                    request,
                    f"Status changed: {membership} is ended and {new} begins.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:alliances_membership_change", args=[new.pk]))
        return self.workflow_page(request, title="Change status", form=form, obj=membership, membership=membership)

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
