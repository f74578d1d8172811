"""Query filters of the list endpoints, validated by django-filter (bad input is a 400)."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from alliances import selectors
from alliances.api.serializers import parse_statuses
from alliances.choices import STATUS_HELP, OrganizationKind
from alliances.models import Country, Membership, Organization
from alliances.rules import periods

# Each distinct identifier adds a subquery, so a request's cost grows with their number:
# repeats are dropped and more than this many distinct ones is a 400, not a slow query.
MAX_IDENTIFIERS = 10


class IdentifierListField(forms.Field):
    """One or more identifiers from a repeated query parameter, each resolved to a record once."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *args, resolve, **kwargs):
        self.resolve = resolve
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if not value:
            return []
        texts = list(dict.fromkeys(value if isinstance(value, list | tuple) else [value]))
        if len(texts) > MAX_IDENTIFIERS:
            raise forms.ValidationError(
                "At most %(most)d different values are accepted (%(given)d given).",
                params={"most": MAX_IDENTIFIERS, "given": len(texts)},
            )
        records = {}
        for text in texts:
            try:
                record = self.resolve(text)
            except selectors.NotFound as exc:
                # Passed as a parameter: the identifier may contain "%", which
                # django-filter would otherwise read as a format directive.
                raise forms.ValidationError("%(message)s", params={"message": exc.with_hint()}) from exc
            records.setdefault(record.pk, record)  # "nato" and "NATO" are one organization
        return list(records.values())


class IdentifierField(IdentifierListField):
    widget = forms.TextInput

    def to_python(self, value):
        records = super().to_python(value)
        return records[0] if records else None


class DayFormField(forms.DateField):
    """A day in a list's query, read by ``periods.parse_day`` (not the locale's date formats of Django's forms)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return periods.parse_day(value)
        except periods.NotADay as exc:
            raise forms.ValidationError(str(exc), code="invalid") from exc


class DayFilter(django_filters.DateFilter):
    field_class = DayFormField


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class IdentifierListFilter(django_filters.Filter):
    field_class = IdentifierListField


@extend_schema_field(OpenApiTypes.STR)
class IdentifierFilter(django_filters.Filter):
    field_class = IdentifierField


class SelectorFilterSet(django_filters.FilterSet):
    """A filterset that validates and documents its parameters; a selector applies them all at once.

    Each filter is ``method="noop"``; ``filter_queryset`` hands the cleaned values to the selector.
    """

    def noop(self, queryset, name, value):
        return queryset


class CountryFilterSet(SelectorFilterSet):
    """Countries, optionally those in all of ``member_of`` and none of ``not_member_of`` on ``as_of``."""

    search = django_filters.CharFilter(
        method="noop", max_length=200, help_text="Part of a name or alias, or a code (RO, ROU, 642)."
    )
    member_of = IdentifierListFilter(
        method="noop",
        resolve=selectors.organization_resolve,
        help_text="Organization the country must belong to; repeat for several (all must hold).",
    )
    not_member_of = IdentifierListFilter(
        method="noop",
        resolve=selectors.organization_resolve,
        help_text="Organization the country must not belong to; repeat for several.",
    )
    as_of = DayFilter(method="noop", help_text="Day for member_of/not_member_of; default today.")
    status = django_filters.CharFilter(
        method="noop", help_text="Status that counts as belonging. " + STATUS_HELP + " Default member."
    )

    class Meta:
        model = Country
        fields = []

    def selection(self):
        """The validated query as ``selectors.country_list`` takes it (the read model takes it too)."""
        data = self.form.cleaned_data
        return {
            "member_of": data.get("member_of") or (),
            "not_member_of": data.get("not_member_of") or (),
            "as_of": data.get("as_of"),
            "statuses": parse_statuses(self.data),
            "search": data.get("search"),
        }

    def filter_queryset(self, queryset):
        return selectors.country_list(**self.selection())


class MembershipFilterSet(SelectorFilterSet):
    """Membership periods; with ``as_of``, only those that include that day."""

    country = IdentifierFilter(
        method="noop", resolve=selectors.country_resolve, help_text="Country code, name or alias."
    )
    organization = IdentifierFilter(
        method="noop", resolve=selectors.organization_resolve, help_text="Organization slug, acronym or name."
    )
    status = django_filters.CharFilter(
        method="noop", help_text="Only periods with these statuses. " + STATUS_HELP + " Default every status."
    )
    as_of = DayFilter(method="noop", help_text="Only periods that include this day; default every period.")

    class Meta:
        model = Membership
        fields = []

    def selection(self):
        """The validated query as ``selectors.membership_list`` takes it (the read model takes it too)."""
        data = self.form.cleaned_data
        return {
            "country": data.get("country"),
            "organization": data.get("organization"),
            "as_of": data.get("as_of"),
            "statuses": parse_statuses(self.data, default=None),
        }

    def filter_queryset(self, queryset):
        return selectors.membership_list(**self.selection()).order_by(
            "organization__acronym", "start_date", "country__name"
        )


class OrganizationFilterSet(SelectorFilterSet):
    """Organizations, optionally of one kind (universal, security alliance, economic or trade, …)."""

    kind = django_filters.ChoiceFilter(
        method="noop",
        choices=OrganizationKind.choices,
        help_text="Only organizations of this kind: " + ", ".join(OrganizationKind.values) + ".",
    )

    class Meta:
        model = Organization
        fields = []

    def filter_queryset(self, queryset):
        return selectors.organization_list(kind=self.form.cleaned_data.get("kind") or None)
