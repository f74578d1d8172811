"""Memberships: the filtered list, ending periods in bulk, change of status, CSV import and export."""

import datetime

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.urls import path, reverse
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV

from alliances import services, validation
from alliances.admin.base import AuditedAdmin
from alliances.admin.forms import ChangeStatusForm, EndOnDateForm
from alliances.admin.inlines import MembershipCitationInline
from alliances.admin.resources import MembershipResource
from alliances.models import Citation, Membership
from alliances.store import audit

# The session's list of the import files its previews stored (the last ten).
PREVIEWED_IMPORTS = "alliances_previewed_imports"


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

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if initial.get("import_file_name"):
            previewed = request.session.get(PREVIEWED_IMPORTS, [])
            request.session[PREVIEWED_IMPORTS] = [*previewed[-9:], initial["import_file_name"]]
        return initial

    def process_import(self, request, **kwargs):
        # The confirm form names the stored file: only a name this session's preview wrote is read
        # (and then removed); anything else is refused before the storage is touched.
        name = request.POST.get("import_file_name", "")
        previewed = request.session.get(PREVIEWED_IMPORTS, [])
        if request.method == "POST" and name not in previewed:
            return HttpResponseBadRequest(
                "This import was not previewed in this session, or was already confirmed: import the file again.",
                content_type="text/plain; charset=utf-8",
            )
        with self.audited(request):
            response = super().process_import(request, **kwargs)
        request.session[PREVIEWED_IMPORTS] = [n for n in previewed if n != name]
        return response

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
            with audit.acting_as(request.user):
                problems = services.memberships_end_all(memberships=memberships, end_date=form.cleaned_data["end_date"])
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
        membership = self.object_or_404(request, object_id)
        if not self.has_change_status_permission(request, membership):
            raise PermissionDenied
        form = ChangeStatusForm(request.POST or None, membership=membership)
        done = self.workflow_submit(
            request,
            form,
            lambda data: services.membership_change_status(
                membership=membership,
                new_status=data["new_status"],
                on=data["on"],
                note=data["note"],
                citations=[(data["source"], data["quote"])],
            ),
            success=lambda new: f"Status changed: {membership} is ended and {new} begins.",
            # The service's keys are about either period's dates; both are the "from" date here.
            field_map={"start_date": "on", "end_date": "on", "status": "new_status", "quote": "quote"},
            refused=membership.refresh_from_db,  # the service set the end date before it was refused
        )
        if done is not None:
            return done
        return self.workflow_page(request, title="Change status", form=form, obj=membership, membership=membership)

    def has_delete_permission(self, request, obj=None):
        if obj is not None:
            try:
                validation.check_membership_removal(obj)
            except ValidationError:
                return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        services.membership_delete(membership=obj)

    def delete_queryset(self, request, queryset):
        services.memberships_delete(memberships=queryset)

    def save_formset(self, request, form, formset, change):
        # Citations of a new membership need its organization before validation runs.
        for inline_form in formset.forms:
            if isinstance(inline_form.instance, Citation) and inline_form.instance.organization_id is None:
                inline_form.instance.organization_id = form.instance.organization_id
        super().save_formset(request, form, formset, change)
