"""CSV import and export of membership periods (django-import-export), by natural identifiers.

A row names its country by ISO code, name or alias and its organization by
slug, acronym or alias, so a curator can write ``Czech Republic,nato,...``.
Rows are matched to stored periods by (country, organization, start date): a
matching row changes that period (its end date, say), any other row creates
one. Every row is validated with the model's ``full_clean()``, so a row that
breaks a rule is refused in the preview with the rule's message; the admin then
offers no confirmation and nothing is imported.
"""

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from alliances import selectors, services
from alliances.models import Citation, Country, Membership, Organization, Source


class ResolvingWidget(widgets.ForeignKeyWidget):
    """A foreign key given by any identifier the resolver understands; exported as the natural key."""

    def __init__(self, model, field, resolve):
        super().__init__(model, field=field)
        self.resolve = resolve

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return self.resolve(text)
        except selectors.NotFound as exc:
            raise ValueError(exc.with_hint()) from exc


class MembershipResource(resources.ModelResource):
    country = fields.Field(
        attribute="country",
        column_name="country",
        widget=ResolvingWidget(Country, "code", selectors.country_resolve),  # RO; SUHH for a former state
    )
    organization = fields.Field(
        attribute="organization",
        column_name="organization",
        widget=ResolvingWidget(Organization, "slug", selectors.organization_resolve),
    )
    # The citation of the period: needed for a new one, optional when changing one.
    source = fields.Field(column_name="source", attribute=None, readonly=False)
    quote = fields.Field(column_name="quote", attribute=None, readonly=False)

    class Meta:
        model = Membership
        fields = ["country", "organization", "status", "founding", "start_date", "end_date", "note", "source", "quote"]
        export_order = fields
        import_id_fields = ["country", "organization", "start_date"]
        clean_model_instances = True  # full_clean(): every rule of alliances.validation
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def get_instance(self, instance_loader, row):
        # An unknown country or a malformed date is reported as that field's
        # validation error by import_instance(), not as a crash of the lookup.
        try:
            return super().get_instance(instance_loader, row)
        except (ValueError, ValidationError):
            return None

    def _citation(self, row):
        return (str(row.get("source") or "").strip(), str(row.get("quote") or "").strip())

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        slug, quote = self._citation(row)
        if slug and not Source.objects.filter(slug=slug).exists():
            errors["source"] = [f"No source has the slug “{slug}”; add the source first."]
        elif slug and not quote:
            errors["quote"] = ["Quote the sentence of the source that supports this period."]
        elif quote and not slug:
            errors["source"] = ["Give the slug of the source the quote comes from."]
        elif instance.pk is None and not slug:
            errors["source"] = ["A new period needs a source and a quote (columns source and quote)."]
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        slug, _ = self._citation(row)
        if slug and instance.pk is not None and not instance.citations.filter(source__slug=slug).exists():
            return False  # the period is unchanged but gains a citation
        return super().skip_row(instance, original, row, import_validation_errors)

    def do_instance_save(self, instance, is_create):
        services.record_save(instance)

    def after_save_instance(self, instance, row, **kwargs):
        slug, quote = self._citation(row)
        if not slug:
            return
        citation = instance.citations.filter(source__slug=slug).first()
        if citation is None:
            citation = Citation(source=Source.objects.get(slug=slug), organization=instance.organization)
            citation.membership = instance
        if citation.quote != quote:
            services.record_save(citation, quote=quote)

    def dehydrate_source(self, membership):
        citation = membership.citations.select_related("source").first()
        return citation.source.slug if citation else ""

    def dehydrate_quote(self, membership):
        citation = membership.citations.first()
        return citation.quote if citation else ""
