"""Loading fixture files in bulk: natural keys resolved once per table, rows written once per table.

``loaddata`` looked every natural key up with its own query and saved row by
row (about 10,000 queries for the six files: 4-7 s on PostgreSQL), and it
validated nothing. ``load()`` reads every file first, resolves natural keys
from one query per table, validates every row with the rules ``full_clean()``
applies (field validators, choices, the models' ``clean()`` rules, unique and
check constraints) in bulk form, writes new rows with one ``bulk_create`` and
changed rows with one ``bulk_update`` per table, and skips unchanged rows (so
reloading records nothing and leaves the data version alone). Rules that read
other rows (overlaps, required organizations, existence spans, one seat per
continuation) are checked once over the loaded state, still inside the
caller's transaction, so a refused load writes nothing.

The caller owns the transaction and the audit actor (``audit.acting_as``).
"""

import functools
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q

from alliances import organization_rules
from alliances.choices import MembershipStatus, SuccessionKind
from alliances.models import (
    AuditEvent,
    Citation,
    Country,
    CountryAlias,
    Membership,
    Organization,
    OrganizationAlias,
    OrganizationMembership,
    OrganizationName,
    Succession,
)
from alliances.rules import citations as citation_rules
from alliances.rules import memberships, records, successions
from alliances.rules.periods import describe_period, overlaps
from alliances.rules.problems import Overlap
from alliances.store import constraints
from alliances.text import normalize_name

LOADER_PREFIX = "loader:"


def _natural_keys():
    """Each model's natural key as lookups from the model, from its manager's ``natural_key_lookups``
    (what ``get_by_natural_key`` matches), in dependency order: a model's foreign keys point only to
    models listed before it. A new model with a ``NaturalKeyManager`` is loaded with no change here.
    """
    keyed = {
        model: tuple(model._default_manager.natural_key_lookups)
        for model in apps.get_app_config("alliances").get_models()
        if getattr(model._default_manager, "natural_key_lookups", None)
    }
    ordered = {}
    while len(ordered) < len(keyed):
        for model, lookups in keyed.items():
            needs = {f.related_model for f in model._meta.concrete_fields if f.is_relation} & keyed.keys()
            if model not in ordered and needs - {model} <= ordered.keys():
                ordered[model] = lookups
    return ordered


NATURAL_KEYS = _natural_keys()
LABELS = {model._meta.label_lower: model for model in NATURAL_KEYS}
MAX_LISTED = 20


class LoadRefused(Exception):
    """The fixtures break a rule (or would undo curation): nothing is written. ``problems`` lists each."""

    def __init__(self, summary, problems):
        self.summary, self.problems = summary, problems
        listed = "\n  ".join(problems[:MAX_LISTED])
        more = f"\n  … and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        super().__init__(f"{summary}:\n  {listed}{more}")


@dataclass
class Row:
    """One object of a fixture file, where it was read, and what became of it."""

    path: Path
    index: int
    model: type
    fields: dict
    instance: models.Model = None
    key: tuple = None
    m2m: dict = field(default_factory=dict)

    def __str__(self):
        key = "/".join("–" if part is None else str(part) for part in self.key or ())
        return f"{self.path.name}, object {self.index + 1} ({self.model._meta.model_name} {key})"


@dataclass
class Outcome:
    """What a load wrote: rows created and changed per model, and the curated records it overwrote."""

    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)
    curated: list = field(default_factory=list)


def read(paths):
    """Every object of the files, in order, as ``Row``s grouped by model; malformed objects refuse the load."""
    rows, problems = defaultdict(list), []
    for path in map(Path, paths):
        try:
            objects = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise LoadRefused(f"Cannot read {path}", [str(exc)]) from exc
        if not isinstance(objects, list):
            raise LoadRefused(f"Cannot read {path}", ["a fixture file is a JSON list of objects"])
        for index, raw in enumerate(objects):
            where = f"{path.name}, object {index + 1}"
            model = LABELS.get(str(raw.get("model", "")).lower()) if isinstance(raw, dict) else None
            if model is None:
                problems.append(
                    f"{where}: model {raw.get('model') if isinstance(raw, dict) else repr(raw)} is not one "
                    f"load_fixtures loads ({', '.join(LABELS)}); use loaddata for other data."
                )
            elif "pk" in raw:
                problems.append(
                    f"{where}: has a primary key; fixtures name records by natural key only "
                    "(export_fixtures writes them so). Use loaddata for a dump with primary keys."
                )
            elif not isinstance(raw.get("fields"), dict):
                problems.append(f"{where}: no fields.")
            else:
                rows[model].append(Row(path, index, model, raw["fields"]))
    if problems:
        raise LoadRefused("Refusing to load: malformed fixtures", problems)
    return rows


@functools.cache
def _key_field(model, lookup):
    """The model field a natural-key lookup ends on (``country__code`` of Membership: Country.code)."""
    *path, last = lookup.split("__")
    for name in path:
        model = model._meta.get_field(name).related_model
    return model._meta.get_field(last)


def _normal_key(model, values):
    """A natural key with each part in its field's Python type (dates as dates), as a tuple."""
    if not isinstance(values, list | tuple) or len(values) != len(NATURAL_KEYS[model]):
        raise ValidationError(f"a natural key of {model._meta.verbose_name} has {len(NATURAL_KEYS[model])} part(s)")
    return tuple(
        None if value is None else _key_field(model, lookup).to_python(value)
        for lookup, value in zip(NATURAL_KEYS[model], values, strict=True)
    )


def _own_key(row):
    """The row's natural key, from its converted fields and its foreign keys' natural keys."""
    parts = []
    for lookup in NATURAL_KEYS[row.model]:
        head, _, rest = lookup.partition("__")
        if not rest:
            parts.append(getattr(row.instance, head))
            continue
        related = row.model._meta.get_field(head).related_model
        reference = row.fields.get(head)
        parts.append(None if reference is None else _normal_key(related, reference)[NATURAL_KEYS[related].index(rest)])
    return tuple(parts)


# --- constraints evaluated in Python (what validate_constraints asks the database, one query per row) ---


def _operand(instance, value):
    if isinstance(value, F):
        return getattr(instance, instance._meta.get_field(value.name).attname)
    return value


LOOKUPS = {
    "exact": lambda a, b: a == b,
    "gte": lambda a, b: a >= b,
    "lte": lambda a, b: a <= b,
    "in": lambda a, b: a in b,
    "regex": lambda a, b: re.search(b, a) is not None,
}


def holds(condition, instance):
    """SQL's three-valued truth of a constraint condition for ``instance``: True, False or None (unknown)."""
    results = []
    for child in condition.children:
        if isinstance(child, Q):
            results.append(holds(child, instance))
            continue
        lookup, value = child
        name, _, kind = lookup.partition("__")
        current = getattr(instance, instance._meta.get_field(name).attname)
        value = _operand(instance, value)
        if kind == "isnull":
            results.append((current is None) == bool(value))
        elif kind not in LOOKUPS and kind != "":
            raise NotImplementedError(f"constraint lookup {lookup!r} is not evaluated by alliances.store.loading")
        elif current is None or value is None:
            results.append(None)
        else:
            results.append(LOOKUPS[kind or "exact"](current, value))
    if condition.connector == Q.AND:
        result = False if False in results else (None if None in results else True)
    else:
        result = True if True in results else (None if None in results else False)
    if condition.negated and result is not None:
        result = not result
    return result


def _unique_sets(model):
    """(fields, condition) of every uniqueness rule of ``model`` except its primary key."""
    rules = [((f.attname,), None) for f in model._meta.concrete_fields if f.unique and not f.primary_key]
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            names = tuple(model._meta.get_field(name).attname for name in constraint.fields)
            rules.append((names, constraint.condition))
    return rules


def _check_constraints(model):
    return [c for c in model._meta.constraints if isinstance(c, models.CheckConstraint)]


# --- the rules of each model's clean() that read only the row itself ------------------------------


def _prepare(row):
    """Fill what the model's clean() fills (a country's code, an alias's lookup key) and check the row."""
    instance, found, fields = row.instance, [], {}
    if isinstance(instance, Country):
        if not instance.code and instance.iso2:
            instance.code = instance.iso2
        found = records.country(instance.code, instance.exists_from, instance.exists_to)
    elif isinstance(instance, CountryAlias | OrganizationAlias):
        found = records.alias(instance.name, row.fields.get("normalized"))
        instance.normalized = normalize_name(instance.name or "")
    elif isinstance(instance, Membership):
        found = memberships.dates(instance.start_date, instance.end_date) + memberships.precision(
            instance.start_date, instance.start_precision, instance.end_date, instance.end_precision
        )
    elif isinstance(instance, Citation):
        found = citation_rules.quoted(instance.quote)
        membership, organization = row.fields.get("membership"), row.fields.get("organization")
        if membership is not None and organization is not None:
            found += citation_rules.same_organization(tuple(organization), (membership[1],))
    elif isinstance(instance, Succession):
        found = successions.not_itself(instance.predecessor_id, instance.successor_id)
    elif isinstance(instance, OrganizationMembership | OrganizationName):
        dated = ("start_date", "start_precision", "end_date", "end_precision")
        if isinstance(instance, OrganizationName):
            dated = ("valid_from", "valid_from_precision", "valid_to", "valid_to_precision")
        start, start_precision, end, end_precision = (getattr(instance, name) for name in dated)
        found = memberships.precision(start, start_precision, end, end_precision)
        fields = {"start_date": dated[0], "end_date": dated[2]}
    errors = {}
    for problem in found:
        errors.setdefault(fields.get(problem.field, problem.field), problem.sentence)
    return errors


class Loader:
    """One load: call ``run(rows)`` inside ``audit.acting_as(...)``; it raises ``LoadRefused`` or returns an Outcome."""

    def __init__(self, *, force=False):
        self.force = force
        self.keys = {}  # model -> {natural key: pk}, stored rows and rows written by this load
        self.origin = defaultdict(dict)  # model -> {pk: Row} for the rows of this load
        self._pk_keys = {}  # model -> {pk: natural key}, the inverse of ``keys``, built when first needed
        self.outcome = Outcome()

    def run(self, rows):
        for model in NATURAL_KEYS:
            self._load_model(model, rows.get(model, []))
        self._load_requirements(rows.get(Organization, []))
        problems = self._cross_row_problems()
        if problems:
            raise LoadRefused("Refusing to load: the fixtures break these rules (nothing was written)", problems)
        if self.outcome.curated and not self.force:
            raise LoadRefused(
                f"Refusing to load: the fixtures would overwrite {len(self.outcome.curated)} record(s) edited or "
                "deleted since they were loaded",
                self.outcome.curated,
            )
        return self.outcome

    # -- one model ------------------------------------------------------------------------------

    def _build(self, row, problems):
        model, values = row.model, {}
        for name, raw in row.fields.items():
            try:
                model_field = model._meta.get_field(name)
            except FieldDoesNotExist:
                problems.append(f"{row.path.name}, object {row.index + 1}: {model.__name__} has no field {name!r}.")
                return False
            if model_field.many_to_many:
                row.m2m[name] = raw
            elif model_field.is_relation:
                if raw is None:
                    values[model_field.attname] = None
                    continue
                related = model_field.related_model
                try:
                    key = _normal_key(related, raw)
                except ValidationError as exc:
                    problems.append(f"{row.path.name}, object {row.index + 1}: {name}: {' '.join(exc.messages)}")
                    return False
                pk = self.keys[related].get(key)
                if pk is None:
                    shown = "/".join(str(part) for part in key)
                    problems.append(
                        f"{row.path.name}, object {row.index + 1}: {name} refers to {related._meta.verbose_name} "
                        f"{shown}, which is neither stored nor in the fixtures."
                    )
                    return False
                values[model_field.attname] = pk
            else:
                try:
                    values[model_field.attname] = model_field.to_python(raw)
                except ValidationError as exc:
                    problems.append(f"{row.path.name}, object {row.index + 1}: {name}: {' '.join(exc.messages)}")
                    return False
        for model_field in model._meta.concrete_fields:
            if model_field.is_relation and not model_field.null and values.get(model_field.attname) is None:
                if model is Citation and model_field.name == "organization" and row.fields.get("membership"):
                    # As check_citation does: a membership's citation is about the membership's organization.
                    slug = _normal_key(Membership, row.fields["membership"])[1]
                    values["organization_id"] = self.keys[Organization].get((slug,))
                    continue
                problems.append(f"{row.path.name}, object {row.index + 1}: {model_field.name}: This field is required.")
                return False
        row.instance = model(**values)
        return True

    def _load_model(self, model, rows):
        stored = {obj.pk: obj for obj in model._base_manager.all()}
        self.keys[model] = {
            _normal_key(model, found[:-1]): found[-1]
            for found in model._base_manager.values_list(*NATURAL_KEYS[model], "pk")
        }
        problems, seen = [], {}
        fks = [f.name for f in model._meta.concrete_fields if f.is_relation]
        checks = _check_constraints(model)
        for row in rows:
            if not self._build(row, problems):
                continue
            errors = _prepare(row)
            try:
                row.instance.clean_fields(exclude=fks + list(errors))
            except ValidationError as exc:
                errors.update(exc.message_dict)
            row.key = _own_key(row)
            for constraint in checks:
                if holds(constraint.condition, row.instance) is False and not errors:
                    errors["__all__"] = constraint.get_violation_error_message()
            if row.key in seen:
                errors["__all__"] = f"the same record as {seen[row.key]}"
            seen.setdefault(row.key, row)
            if errors:
                problems += [
                    f"{row}: {name}: {message}" if name != "__all__" else f"{row}: {message}"
                    for name, messages in errors.items()
                    for message in (messages if isinstance(messages, list) else [messages])
                ]
                continue
            row.instance.pk = self.keys[model].get(row.key)
        problems += self._unique_problems(model, rows, stored)
        if model is Membership and not problems:
            # Before writing: PostgreSQL's exclusion constraint would refuse the insert without naming the row.
            problems += self._overlap_problems(rows, stored)
        if model is OrganizationMembership and not problems:
            problems += self._organization_overlap_problems(rows, stored)
        if problems:
            raise LoadRefused("Refusing to load: the fixtures break these rules (nothing was written)", problems)

        new, changed = [], []
        for row in rows:
            current = stored.get(row.instance.pk)
            if current is None:
                new.append(row)
                continue
            differences = [
                f.name
                for f in model._meta.concrete_fields
                if not f.primary_key and getattr(current, f.attname) != getattr(row.instance, f.attname)
            ]
            if differences:
                changed.append((row, current, differences))
        if changed:
            self._note_curated(model, changed)
        if new:
            self._note_curated_deletions(model, new)
        try:
            with transaction.atomic():
                created = self._write(model, new, changed)
        except IntegrityError as exc:
            # A rule the checks above do not know (a constraint added later): still a refusal, in plain words.
            raise LoadRefused(
                f"Refusing to load: the database refused the {model._meta.verbose_name_plural} (nothing was written)",
                [constraints.plain_message(exc)],
            ) from exc
        for row, instance in zip(new, created, strict=True):
            row.instance = instance
            self.keys[model][row.key] = instance.pk
        for row in rows:
            self.origin[model][row.instance.pk] = row
        self.outcome.created[model._meta.label_lower] = len(new)
        self.outcome.updated[model._meta.label_lower] = len(changed)

    def _write(self, model, new, changed):
        created = model._base_manager.bulk_create([row.instance for row in new])
        if changed:
            names = [f.name for f in model._meta.concrete_fields if not f.primary_key]
            model._base_manager.bulk_update([row.instance for row, _, _ in changed], names)
        return created

    def _unique_problems(self, model, rows, stored):
        """Uniqueness over the loaded state: stored rows, replaced by this load's version where it has one."""
        final = dict(stored)
        pending = []
        for row in rows:
            if row.instance is None:
                continue
            if row.instance.pk is None:
                pending.append(row.instance)
            else:
                final[row.instance.pk] = row.instance
        origin = {id(row.instance): row for row in rows if row.instance is not None}
        problems = []
        for names, condition in _unique_sets(model):
            holders = {}
            for instance in [*final.values(), *pending]:
                if condition is not None and holds(condition, instance) is not True:
                    continue
                value = tuple(getattr(instance, name) for name in names)
                if None in value:
                    continue
                if value in holders:
                    first, second = holders[value], instance
                    culprit = origin.get(id(second)) or origin.get(id(first))
                    other = origin.get(id(first)) if culprit is origin.get(id(second)) else None
                    shown = ", ".join(f"{n.removesuffix('_id')}={v}" for n, v in zip(names, value, strict=True))
                    against = f"{other}" if other else f"the stored {model._meta.verbose_name} {first}"
                    problems.append(f"{culprit}: {shown} is already used by {against}.")
                else:
                    holders[value] = instance
        return problems

    @staticmethod
    def _loaded_pairs(rows, stored, holder):
        """The periods of the loaded state (stored rows, as the load rows replace or add to them), by
        ``(holder id, organization id)``: each ``(instance, row)``, ``row`` None for a stored one left as it is."""
        final = {pk: (instance, None) for pk, instance in stored.items()}
        pending = []
        for row in rows:
            if row.instance.pk is None:
                pending.append((row.instance, row))
            else:
                final[row.instance.pk] = (row.instance, row)
        pairs = defaultdict(list)
        for instance, row in [*final.values(), *pending]:
            pairs[(getattr(instance, holder), instance.organization_id)].append((instance, row))
        return pairs

    def _overlap_problems(self, rows, stored):
        """Periods of one country in one organization that share a day, in the loaded state."""
        pairs = self._loaded_pairs(rows, stored, "country_id")
        countries = dict(Country._base_manager.values_list("pk", "name"))
        acronyms = dict(Organization._base_manager.values_list("pk", "acronym"))
        problems = []
        for (country_id, organization_id), periods in pairs.items():
            if not any(row is not None for _, row in periods):
                continue  # no loaded row among them
            for (a, a_row), (b, b_row) in memberships.overlapping(
                periods, dates=lambda item: (item[0].start_date, item[0].end_date)
            ):
                # Name the loaded row, and the one it clashes with in the sentence.
                row, other = (a_row, b) if a_row is not None and b_row is None else (b_row, a)
                overlap = Overlap(
                    countries[country_id], acronyms[organization_id], other.status, other.start_date, other.end_date
                )
                problems.append(f"{row}: {overlap.field}: {overlap}")
        return problems

    def _note_curated(self, model, changed):
        """Changed rows whose last change was not a loader's: the curation a load would undo."""
        table = model._meta.db_table
        last = {}
        for event in AuditEvent.objects.filter(table=table, row_id__in=[c.pk for _, c, _ in changed]).order_by("id"):
            last[event.row_id] = event
        for _row, current, differences in changed:
            event = last.get(current.pk)
            if event is None or event.actor.startswith(LOADER_PREFIX):
                continue
            self.outcome.curated.append(
                f"{model._meta.verbose_name} {current}: {', '.join(differences)} "
                f"(edited by {event.actor or 'someone'} on {event.at:%Y-%m-%d %H:%M} UTC)"
            )

    def _note_curated_deletions(self, model, new):
        """New rows a curator deleted: loading them again would undo that curation, as overwriting an edit would.

        The audit trail keeps each deleted row's columns; its natural key is read from them with
        today's related rows (a row whose parent was deleted too is listed through the parent).
        """
        wanted = {row.key: row for row in new}
        last = {}
        for event in AuditEvent.objects.filter(table=model._meta.db_table, operation="delete").order_by("id"):
            key = self._key_of_columns(model, event.before or {})
            if key in wanted:
                last[key] = event  # the latest deletion of that record is the one that removed it
        for key, event in last.items():
            if event.actor.startswith(LOADER_PREFIX):
                continue
            self.outcome.curated.append(
                f"{wanted[key]}: deleted (by {event.actor or 'someone'} on {event.at:%Y-%m-%d %H:%M} UTC)"
            )

    def _key_of_columns(self, model, columns):
        """The natural key of a row given as its columns (an audit snapshot), or None if a part is gone."""
        parts = []
        for lookup in NATURAL_KEYS[model]:
            head, _, rest = lookup.partition("__")
            field = model._meta.get_field(head)
            value = columns.get(field.attname)
            if not rest:
                parts.append(None if value is None else field.to_python(value))
                continue
            related = field.related_model
            if related not in self._pk_keys:
                self._pk_keys[related] = {pk: key for key, pk in self.keys.get(related, {}).items()}
            related_key = self._pk_keys[related].get(value)
            if value is not None and related_key is None:
                return None
            parts.append(None if value is None else related_key[NATURAL_KEYS[related].index(rest)])
        return tuple(parts)

    # -- organizations' requirements (many-to-many) ----------------------------------------------

    def _load_requirements(self, rows):
        through = Organization.members_must_belong_to.through
        stored = defaultdict(set)
        for pair in through.objects.values_list("from_organization_id", "to_organization_id"):
            stored[pair[0]].add(pair[1])
        problems, add, remove, curated = [], [], [], []
        for row in rows:
            if "members_must_belong_to" not in row.m2m:
                continue
            wanted = set()
            for reference in row.m2m["members_must_belong_to"] or []:
                pk = self.keys[Organization].get(_normal_key(Organization, reference))
                if pk is None:
                    problems.append(f"{row}: members_must_belong_to refers to {reference}, which is not stored.")
                else:
                    problems += [
                        f"{row}: {problem}"
                        for problem in records.requirement(row.instance.acronym, "", pk == row.instance.pk, [])
                    ]
                wanted.add(pk)
            pk = row.instance.pk
            if wanted != stored[pk]:
                add += [through(from_organization_id=pk, to_organization_id=other) for other in wanted - stored[pk]]
                remove += [(pk, other) for other in stored[pk] - wanted]
                curated.append(row)
        if problems:
            raise LoadRefused("Refusing to load: the fixtures break these rules (nothing was written)", problems)
        if curated:
            self._note_curated_requirements(through._meta.db_table, curated)
        for pk, other in remove:
            through.objects.filter(from_organization_id=pk, to_organization_id=other).delete()
        through.objects.bulk_create(add)

    def _note_curated_requirements(self, table, rows):
        pks = {row.instance.pk for row in rows}
        last = {}
        for event in AuditEvent.objects.filter(table=table).order_by("id"):
            values = event.after or event.before or {}
            owner = values.get("from_organization_id")
            if owner in pks:
                last[owner] = event
        for row in rows:
            event = last.get(row.instance.pk)
            if event is not None and not event.actor.startswith(LOADER_PREFIX):
                self.outcome.curated.append(
                    f"organization {row.instance}: members_must_belong_to "
                    f"(edited by {event.actor or 'someone'} on {event.at:%Y-%m-%d %H:%M} UTC)"
                )

    # -- rules that read other rows, over the loaded state ---------------------------------------

    def _where(self, model, pk, fallback):
        row = self.origin[model].get(pk)
        return str(row) if row is not None else f"stored {model._meta.verbose_name} {fallback}"

    def _cross_row_problems(self):
        """Membership rules that read other rows (validation.check_membership, check_country, check_succession)."""
        countries = {c.pk: c for c in Country._base_manager.only("name", "code", "exists_from", "exists_to")}
        organizations = {o.pk: o for o in Organization._base_manager.all()}
        requirements = defaultdict(list)
        for owner, required in Organization.members_must_belong_to.through.objects.values_list(
            "from_organization_id", "to_organization_id"
        ):
            requirements[owner].append(required)
        by_pair, members, organizations_of = defaultdict(list), defaultdict(list), defaultdict(set)
        fields = ("pk", "country_id", "organization_id", "status", "start_date", "end_date")
        for period in Membership._base_manager.order_by("start_date", "pk").values_list(*fields):
            by_pair[(period[1], period[2])].append(period)
            organizations_of[period[1]].add(period[2])
            if period[3] == MembershipStatus.MEMBER:
                members[(period[1], period[2])].append((period[4], period[5]))

        problems = []

        def label(period):
            country, organization = countries[period[1]], organizations[period[2]]
            shown = f"{country.name} in {organization.acronym}: {period[3]} {describe_period(period[4], period[5])}"
            return self._where(Membership, period[0], shown)

        # Every pair, not only the loaded ones: shortening a NATO period can uncover a stored B9 one.
        for (country_id, organization_id), periods in by_pair.items():
            country, organization = countries[country_id], organizations[organization_id]
            for period in periods:
                start, end = period[4], period[5]
                for problem in memberships.within_organization(organization, start, end):
                    problems.append(f"{label(period)}: {problem.field}: {problem}")
                for problem in memberships.within_existence(country, start, end):
                    problems.append(f"{label(period)}: {problem}")
                if period[3] != MembershipStatus.MEMBER:
                    continue
                for required_id in requirements[organization_id]:
                    for problem in memberships.required_membership(
                        organization.acronym,
                        organizations[required_id].acronym,
                        country.name,
                        start,
                        end,
                        members[(country_id, required_id)],
                    ):
                        problems.append(f"{label(period)}: {problem}")

        for succession in Succession._base_manager.filter(kind=SuccessionKind.CONTINUATION):
            before, after = countries[succession.predecessor_id], countries[succession.successor_id]
            for organization_id in organizations_of[succession.predecessor_id]:
                where = self._where(Succession, succession.pk, str(succession))
                for problem in successions.one_seat(
                    before.name,
                    after.name,
                    succession.date,
                    organizations[organization_id].acronym,
                    [p[4:6] for p in by_pair[(succession.predecessor_id, organization_id)]],
                    [p[4:6] for p in by_pair.get((succession.successor_id, organization_id), ())],
                ):
                    problems.append(f"{where}: {problem}")
        return problems + self._organization_member_problems(organizations)

    def _organization_overlap_problems(self, rows, stored):
        """An organization's periods in one other that share a day, in the loaded state (before writing)."""
        problems = []
        for periods in self._loaded_pairs(rows, stored, "member_id").values():
            for (a, a_row), (b, b_row) in memberships.overlapping(
                periods, dates=lambda item: (item[0].start_date, item[0].end_date)
            ):
                if a_row or b_row:
                    row, other = (a_row, b) if a_row is not None and b_row is None else (b_row, a)
                    problems.append(f"{row}: overlaps its period {describe_period(other.start_date, other.end_date)}.")
        return problems

    def _organization_member_problems(self, organizations):
        """An organization's periods in another: within both lives, never two at once (organization_rules)."""
        problems, seen = [], defaultdict(list)
        fields = ("pk", "member_id", "organization_id", "start_date", "end_date")
        for pk, member_id, organization_id, start, end in OrganizationMembership._base_manager.order_by(
            "start_date", "pk"
        ).values_list(*fields):
            member, organization = organizations[member_id], organizations[organization_id]
            where = self._where(
                OrganizationMembership, pk, f"{member.acronym} in {organization.acronym} {describe_period(start, end)}"
            )
            found = organization_rules.outside_organization(organization, start, end)
            found += organization_rules.outside_member_life(member, start, end)
            problems += [f"{where}: {field_name}: {message}" for field_name, message in found]
            for other_start, other_end in seen[(member_id, organization_id)]:
                if overlaps(start, end, other_start, other_end):
                    problems.append(f"{where}: overlaps its period {describe_period(other_start, other_end)}.")
            seen[(member_id, organization_id)].append((start, end))
        return problems


def load(rows, *, force=False):
    """Load ``read(paths)``'s rows; raises LoadRefused (the caller's transaction must then roll back)."""
    return Loader(force=force).run(rows)
