"""Organizations, and the accession workflow (a new period and its citation in one form)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse

from alliances import selectors, services
from alliances.admin.base import AuditedAdmin
from alliances.admin.forms import AccessionForm, OrganizationForm
from alliances.admin.inlines import OrganizationAliasInline, OrganizationCitationInline
from alliances.models import Organization


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    form = OrganizationForm
    list_display = ["acronym", "name", "kind", "founded", "dissolved"]
    list_filter = ["kind"]
    search_fields = ["slug", "acronym", "name", "aliases__name"]
    filter_horizontal = ["members_must_belong_to"]
    prepopulated_fields = {"slug": ["acronym"]}
    # Periods are not an inline: 57 OSCE states would be 57 full forms (and 57 autocomplete widgets)
    # on every visit. The page lists them in a table that links to each period and to the filtered list.
    inlines = [OrganizationAliasInline, OrganizationCitationInline]
    change_form_template = "admin/alliances/organization/change_form.html"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        organization = self.get_object(request, object_id) if object_id else None
        if organization is not None:
            periods = selectors.organization_members(organization, statuses=None).order_by(
                "start_date", "country__name"
            )
            extra_context = {
                **(extra_context or {}),
                "membership_periods": list(periods.prefetch_related(None)),
                "memberships_url": reverse("admin:alliances_membership_changelist")
                + f"?organization__id__exact={organization.pk}",
            }
        return super().changeform_view(request, object_id, form_url, extra_context)

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
        organization = self.object_or_404(request, object_id)
        if not (self.has_view_permission(request, organization) and self.has_accession_permission(request)):
            raise PermissionDenied
        form = AccessionForm(request.POST or None)
        done = self.workflow_submit(
            request,
            form,
            lambda data: services.membership_create(
                organization=organization,
                country=data["country"],
                status=data["status"],
                founding=data["founding"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                note=data["note"],
                citations=[(data["source"], data["quote"])],
            ),
            success=lambda membership: f"Recorded: {membership}, with its citation.",
        )
        if done is not None:
            return done
        return self.workflow_page(
            request, title=f"Record an accession to {organization.acronym}", form=form, obj=organization
        )
