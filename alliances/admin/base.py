"""What every model admin shares: writes recorded as the curator, the audit trail as history, workflow pages."""

import contextlib

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from alliances.admin.forms import StaleEditForm, add_service_errors
from alliances.store import audit, constraints


class AuditedAdmin(admin.ModelAdmin):
    """Records admin writes as the signed-in curator and shows the audit trail as the object's history."""

    form = StaleEditForm
    # Django 6.0's default, chosen now: a URL typed without a scheme means https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    object_history_template = "admin/alliances/audit_history.html"

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        # An admin that lists its fields would leave the stale-edit token off the page, and
        # every save would then be refused as stale (the alias pages were).
        if obj is not None and "loaded_version" not in fields:
            fields = [*fields, "loaded_version"]
        return fields

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            try:
                with audit.acting_as(request.user):
                    return super().changeform_view(request, object_id, form_url, extra_context)
            except IntegrityError as exc:
                # A concurrent write got past the form's validation: nothing was saved; say why, plainly.
                self.message_user(request, constraints.plain_message(exc), level=messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())
            except ValidationError as exc:
                # A rule checked as the rows are written (an inline's deletion, say): nothing was saved.
                return self.refused(request, exc, request.get_full_path())
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        if request.method == "POST":
            try:
                with audit.acting_as(request.user):
                    return super().delete_view(request, object_id, extra_context)
            except ValidationError as exc:
                return self.refused(request, exc, request.get_full_path())
        return super().delete_view(request, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST":  # admin actions and list_editable
            try:
                with audit.acting_as(request.user):
                    return super().changelist_view(request, extra_context)
            except ValidationError as exc:
                return self.refused(request, exc, request.get_full_path())
        return super().changelist_view(request, extra_context)

    def object_or_404(self, request, object_id):
        """The object a workflow URL names, or a 404: an id that is not a number is no object, not a 500."""
        obj = self.get_object(request, object_id)  # None for a malformed or unknown id
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with the id “{object_id[:40]}”.")
        return obj

    def refused(self, request, error, back_to):
        """A write a rule refused (the transaction was rolled back): the rule's sentence, and the page again."""
        for message in error.messages:
            self.message_user(request, message, level=messages.ERROR)
        return HttpResponseRedirect(back_to)

    def audited(self, request):
        """For a custom admin view: its writes are recorded as the curator's, in one transaction."""
        return audit.acting_as(request.user) if request.method == "POST" else contextlib.nullcontext()

    def workflow_submit(self, request, form, service, *, success, field_map=None, refused=None):
        """A curation form's submit: ``service(cleaned_data)`` runs as the curator, in one transaction.

        A refusal shows on the form (``field_map`` maps the service's keys to its fields;
        ``refused`` undoes what the refused service left on an object in memory) and None is
        returned, so the page is shown again. Success says ``success(period)`` and opens the
        membership period the service returns.
        """
        if request.method != "POST" or not form.is_valid():
            return None
        try:
            with self.audited(request):
                period = service(form.cleaned_data)
        except ValidationError as exc:
            if refused is not None:
                refused()
            add_service_errors(form, exc, field_map)
            return None
        self.message_user(request, success(period), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:alliances_membership_change", args=[period.pk]))

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
        named = self.related_names(events)
        rows = []
        for event in events:
            changes = [
                (named.get((key, "field"), key), named.get((key, before), before), named.get((key, after), after))
                for key, (before, after) in event.changes().items()
            ]
            rows.append({"event": event, "changes": changes})
        context = {**(extra_context or {}), "audit_rows": rows}
        return super().history_view(request, object_id, extra_context=context)

    def related_names(self, events):
        """The trail stores columns (``country_id: 42``); curators read names (``country: Romania``).

        ``{(column, "field"): field name, (column, id): "Name (#id)"}`` for every foreign-key
        column of the model, one query per related model whatever the number of events.
        """
        foreign_keys = {f.column: f for f in self.model._meta.concrete_fields if f.is_relation}
        wanted = {column: set() for column in foreign_keys}
        for event in events:
            for key, (before, after) in event.changes().items():
                if key in wanted:
                    wanted[key].update(v for v in (before, after) if v is not None)
        names = {}
        for column, ids in wanted.items():
            field = foreign_keys[column]
            names[(column, "field")] = field.name
            records = field.related_model._base_manager.in_bulk(ids) if ids else {}
            for pk in ids:
                record = records.get(pk)
                names[(column, pk)] = f"{record} (#{pk})" if record is not None else f"#{pk} (deleted)"
        return names
