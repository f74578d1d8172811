"""Forms of the curation workflows that are not a plain model form (see admin.py for the views)."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from alliances.choices import MembershipStatus
from alliances.models import Citation, Country, Membership, Source


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
