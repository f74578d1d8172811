"""The admin's forms and formsets: the curation workflows' own forms, the stale-edit check, the inline formsets."""

from collections import defaultdict

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.models import BaseInlineFormSet

from alliances import services, validation
from alliances.api.serializers import record_token
from alliances.choices import MembershipStatus
from alliances.models import Citation, Country, Membership, Source
from alliances.rules import memberships, problems
from alliances.store import audit, concurrency
from alliances.text import normalize_name


def add_service_errors(form, exc, field_map=None):
    """Show a service's ValidationError on the form, each message next to the field it is about.

    Keys the form has no field for (``organization`` on a page where it is fixed,
    say) become errors of the whole form, so no message is ever lost.
    """
    field_map = field_map or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        field = field_map.get(key, key)
        if field not in form.fields or field == NON_FIELD_ERRORS:
            field = None
        for error in errors:
            form.add_error(field, error)


def _autocomplete(model, field_name):
    """The admin's select2 widget for ``model.field_name``: the lookup uses the target admin's search_fields."""
    return AutocompleteSelect(model._meta.get_field(field_name), admin.site)


class CitationFields(forms.Form):
    source = forms.ModelChoiceField(
        queryset=Source.objects.all(),
        widget=_autocomplete(Citation, "source"),
        help_text="The document that says so; type part of its title. Add a new source first if it is missing.",
    )
    quote = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="The sentence of the source, verbatim, that supports this period.",
    )


class AccessionForm(CitationFields):
    """A new membership period of the organization, with the citation that supports it, in one form."""

    field_order = ["country", "status", "founding", "start_date", "end_date", "note", "source", "quote"]

    country = forms.ModelChoiceField(
        queryset=Country.objects.all(),
        widget=_autocomplete(Membership, "country"),
        help_text="Type part of its name, an alias (e.g. Czech Republic) or its ISO code.",
    )
    status = forms.ChoiceField(
        choices=MembershipStatus.choices,
        initial=MembershipStatus.MEMBER,
        help_text="The state's standing from that day: member, or candidate, partner, observer.",
    )
    founding = forms.BooleanField(required=False, help_text="Whether the state was one of the founders.")
    start_date = forms.DateField(widget=AdminDateWidget, help_text="First day of membership (YYYY-MM-DD).")
    end_date = forms.DateField(
        required=False,
        widget=AdminDateWidget,
        help_text="Last day, only when recording a period that has already ended; usually empty.",
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="Context, e.g. which predecessor state's seat this continues.",
    )


class EndOnDateForm(forms.Form):
    """The date asked for by the "End selected memberships on a date" action."""

    end_date = forms.DateField(
        label="Last day of membership",
        widget=AdminDateWidget,
        help_text="The last day the states were in the organization (inclusive), e.g. the day before "
        "the withdrawal took effect. YYYY-MM-DD.",
    )


class ChangeStatusForm(CitationFields):
    """A change of status as two periods: the current one ends the day before ``on``."""

    field_order = ["new_status", "on", "note", "source", "quote"]

    new_status = forms.ChoiceField(
        choices=MembershipStatus.choices, help_text="The standing from that day, e.g. member for a candidate."
    )
    on = forms.DateField(
        label="From",
        widget=AdminDateWidget,
        help_text="First day of the new status; the current period ends the day before. YYYY-MM-DD.",
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="Context for the new period.",
    )

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.fields["new_status"].choices = [
            (value, label) for value, label in MembershipStatus.choices if value != membership.status
        ]

    def clean_new_status(self):
        status = self.cleaned_data["new_status"]
        if status == self.membership.status:
            raise ValidationError(f"The period already has the status {self.membership.get_status_display()}.")
        return status


class StaleEditForm(forms.ModelForm):
    """Refuse a save if someone else changed the record since this form was opened.

    The form carries the record's lost-update token, the one the API sends as
    its ETag and checks in If-Match (``record_token``; alliances/store/concurrency.py
    says why that one); if the record's token moved on, the save is refused
    instead of silently overwriting the other curator's (or API client's) edit.
    """

    loaded_version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["loaded_version"].initial = record_token(type(self.instance), self.instance.pk, lock=False)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        model = type(self.instance)
        # Computed from the locked row (PostgreSQL), so no other save slips between this check and ours.
        current = record_token(model, self.instance.pk)
        if not concurrency.matches(cleaned.get("loaded_version"), current):
            last = audit.last_change(model, self.instance.pk)
            who = f" by {last.actor}" if last and last.actor else ""
            when = f" at {last.at:%Y-%m-%d %H:%M} UTC" if last else ""
            raise forms.ValidationError(
                f"This record was changed{who}{when} after you opened this page. Your changes were not saved: "
                "reload the page to see the current values, then make your change again.",
                code="stale",
            )
        return cleaned


class OrganizationForm(StaleEditForm):
    def clean_members_must_belong_to(self):
        """The rulebook's requirement rules; the admin's submit holds the write lock (``audit.acting_as``)."""
        required = self.cleaned_data["members_must_belong_to"]
        found = services.requirement_problems(self.instance, required)
        if found:
            raise ValidationError(found[0].sentence)
        return required


class MembershipInlineFormSet(BaseInlineFormSet):
    """Refuse two new or edited rows of one submit that overlap each other.

    ``Membership.clean()`` compares a row with what is already stored; rows of
    the same form are not stored yet, so the rulebook's overlap rule is handed
    them here.
    """

    def clean(self):
        super().clean()
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if data and data.get("DELETE") and form.instance.pk is not None:
                try:
                    validation.check_membership_removal(Membership.objects.get(pk=form.instance.pk))
                except ValidationError as exc:
                    raise ValidationError(exc.messages) from exc
            if not data or data.get("DELETE") or not data.get("start_date"):
                continue
            rows.append((form, data["start_date"], data.get("end_date"), data.get("status", "")))
        by_pair = defaultdict(list)
        for row in rows:
            by_pair[(row[0].instance.country_id, row[0].instance.organization_id)].append(row)
        for pair_rows in by_pair.values():
            for (form, *_), (_, other_start, other_end, other_status) in memberships.overlapping(
                pair_rows, dates=lambda row: row[1:3]
            ):
                instance = form.instance
                problem = problems.Overlap(
                    instance.country.name if instance.country_id else "?",
                    instance.organization.acronym if instance.organization_id else "?",
                    other_status,
                    other_start,
                    other_end,
                )
                form.add_error(problem.field, problem.sentence)


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


class MembershipCitationFormSet(BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.organization_id = self.instance.organization_id
        return form
