"""Plain messages for a database constraint that refused a write.

Validation (``full_clean()``) catches nearly everything first; a constraint
only fires when a concurrent writer got in between. The database's own text
(table, column and constraint names, the values, the engine's wording) is
never shown: each named constraint has a sentence about the field it concerns
(the ``refusal`` of its problem in ``alliances.rules.problems``, which the model's
constraint also gives as its ``violation_error_message``),
a uniqueness or NOT NULL failure names the field, and anything else gets a
generic sentence.
"""

import re

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from alliances.rules import problems

GENERIC = (
    "The change conflicts with the stored data (a database rule refused it); nothing was saved. Reload and try again."
)

# Constraint name -> (field, sentence): every CheckConstraint and UniqueConstraint of alliances.models
# and the exclusion constraint of migration 0002 (PostgreSQL), from the problem each one enforces.
NAMED = problems.by_constraint()


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
