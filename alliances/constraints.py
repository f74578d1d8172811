"""Plain messages for a database constraint that refused a write.

Validation (``full_clean()``) catches nearly everything first; a constraint
only fires when a concurrent writer got in between. The database's own text
(table, column and constraint names, the values, the engine's wording) is
never shown: each named constraint has a sentence about the field it concerns,
a uniqueness or NOT NULL failure names the field, and anything else gets a
generic sentence.
"""

import re

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

GENERIC = (
    "The change conflicts with the stored data (a database rule refused it); nothing was saved. Reload and try again."
)

# Constraint name -> (field, sentence): every CheckConstraint and UniqueConstraint of
# alliances.models, and the exclusion constraint of migration 0002 (PostgreSQL).
NAMED = {
    "country_iso2_format": ("iso2", "The ISO alpha-2 code must be two capital letters, e.g. RO."),
    "country_code_format": (
        "code",
        "The code must be an ISO alpha-2 code (RO) or, for a former state, its ISO 3166-3 alpha-4 code (SUHH).",
    ),
    "country_exists_to_after_from": ("exists_to", "The last day of existence must not be before the first."),
    "country_numeric_unique_current": ("numeric", "A current country with this numeric code already exists."),
    "countrycitation_quote_not_empty": ("quote", "A citation needs the quoted sentence."),
    "countrycitation_unique_country_source": ("source", "This source is already cited for this country."),
    "succession_not_self": ("successor", "A state cannot succeed itself."),
    "succession_unique_predecessor_successor_date": (
        "date",
        "This succession (same predecessor, successor and date) is already recorded.",
    ),
    "succession_kind_valid": ("kind", "The kind is not one of the allowed kinds of succession."),
    "country_iso3_format": ("iso3", "The ISO alpha-3 code must be three capital letters, e.g. ROU."),
    "country_numeric_format": ("numeric", "The ISO numeric code must be three digits, e.g. 642."),
    "countryalias_normalized_not_empty": ("name", "An alias needs at least one letter or digit."),
    "organizationalias_normalized_not_empty": ("name", "An alias needs at least one letter or digit."),
    "organization_dissolved_after_founded": ("dissolved", "The dissolution date must not be before the founding date."),
    "membership_unique_country_organization_start": (
        "start_date",
        "This country already has a period in this organization starting on that day.",
    ),
    "membership_end_not_before_start": ("end_date", "The end date must not be before the start date."),
    "membership_status_valid": ("status", "The status is not one of the allowed statuses."),
    "membership_no_overlapping_periods": (
        "start_date",
        "This period overlaps another period of the same country in the same organization.",
    ),
    "citation_quote_not_empty": ("quote", "A citation needs the quoted sentence."),
    "citation_unique_source_membership": ("source", "This source is already cited for this membership."),
    "citation_unique_source_organization": ("source", "This source is already cited for this organization."),
    # An organization's own life (migration 0042).
    "orgmembership_not_self": ("member", "An organization cannot be a member of itself."),
    "orgmembership_end_not_before_start": ("end_date", "The end date must not be before the start date."),
    "orgmembership_status_valid": ("status", "The status is not one of the allowed statuses."),
    "orgmembership_unique_member_organization_start": (
        "start_date",
        "This organization already has a period in that organization starting on that day.",
    ),
    "orgmembership_no_overlapping_periods": (
        "start_date",
        "This period overlaps another period of the same member in the same organization.",
    ),
    "orgmembershipcitation_quote_not_empty": ("quote", "A citation needs the quoted sentence."),
    "orgmembershipcitation_unique_period_source": ("source", "This source is already cited for this period."),
    "organizationname_quote_not_empty": ("quote", "A name needs the quoted sentence that dates it."),
    "organizationname_to_not_before_from": ("valid_to", "The last day must not be before the first."),
    "organizationname_unique_organization_name_from": (
        "valid_from",
        "This name of this organization is already recorded from that day.",
    ),
    "orgsuccession_not_self": ("successor", "An organization cannot succeed itself."),
    "orgsuccession_quote_not_empty": ("quote", "A succession needs the quoted sentence."),
    "orgsuccession_kind_valid": ("kind", "The kind is not one of the allowed kinds of succession."),
    "orgsuccession_unique_pair": ("successor", "This succession is already recorded."),
}


def _model_of_table(table):
    return next((m for m in apps.get_app_config("alliances").get_models() if m._meta.db_table == table), None)


def _field_of_column(model, column):
    return next((f for f in model._meta.concrete_fields if f.column == column), None) if model else None


def _unique_message(model, columns):
    """The named constraint these columns make up, or "a ... with this ... exists" for a unique field."""
    if model is None:
        return None
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
            if {model._meta.get_field(name).column for name in constraint.fields} == set(columns):
                return NAMED.get(constraint.name)
    if len(columns) == 1 and (field := _field_of_column(model, columns[0])) is not None:
        return field.name, f"A {model._meta.verbose_name} with this {field.verbose_name} already exists."
    return None


def _describe(exc):
    """(field, sentence) for an IntegrityError, or None when it is not one we can name."""
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    if diag is not None:  # PostgreSQL (psycopg)
        if diag.constraint_name in NAMED:
            return NAMED[diag.constraint_name]
        model = _model_of_table(diag.table_name)
        if diag.column_name and getattr(cause, "sqlstate", "") == "23502":  # not_null_violation
            field = _field_of_column(model, diag.column_name)
            return (field.name, f"{field.verbose_name.capitalize()} is required.") if field else None
        match = re.match(r"Key \(([^)]*)\)=", diag.message_detail or "")
        if match:
            return _unique_message(model, [c.strip().strip('"') for c in match.group(1).split(",")])
        return None
    text = str(exc)  # SQLite
    if match := re.match(r"(?:CHECK constraint failed:|UNIQUE constraint failed: index) '?(\w+)'?$", text):
        return NAMED.get(match.group(1))
    if match := re.match(r"UNIQUE constraint failed: (.+)$", text):
        pairs = [item.strip().split(".", 1) for item in match.group(1).split(",")]
        if all(len(p) == 2 for p in pairs) and len({t for t, _ in pairs}) == 1:
            return _unique_message(_model_of_table(pairs[0][0]), [c for _, c in pairs])
    if match := re.match(r"NOT NULL constraint failed: (\w+)\.(\w+)$", text):
        field = _field_of_column(_model_of_table(match.group(1)), match.group(2))
        return (field.name, f"{field.verbose_name.capitalize()} is required.") if field else None
    return None


def refusal(exc):
    """A ValidationError with a plain message for the IntegrityError ``exc``, on the field it concerns."""
    described = _describe(exc)
    if described is None:
        return ValidationError({NON_FIELD_ERRORS: [GENERIC]})
    field, sentence = described
    return ValidationError({field: [sentence]})


def plain_message(exc):
    return " ".join(refusal(exc).messages)
