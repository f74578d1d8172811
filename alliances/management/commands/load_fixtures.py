import getpass
import json
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from alliances import audit
from alliances.models import AuditEvent, Country, Membership, Organization, Source

LOADER_PREFIX = "loader:"


def has_data():
    return any(model.objects.exists() for model in (Country, Organization, Source, Membership))


def _m2m_curated(through_table, pk):
    """Whether the last change of ``pk``'s many-to-many rows (e.g. requirements) was not a loader's."""
    for event in AuditEvent.objects.filter(table=through_table).order_by("-id"):
        row = event.after or event.before or {}
        if pk in (row.get("from_organization_id"), row.get("organization_id")):
            return not event.actor.startswith(LOADER_PREFIX)
    return False


def overwrites_of_curation(fixtures):
    """Records the fixtures would change whose last change was made by someone other than a loader."""
    found = []
    for path in fixtures:
        with open(path, encoding="utf-8") as stream:
            raw = json.load(stream)
        for one in raw:
            try:
                (item,) = serializers.deserialize("python", [one], handle_forward_references=True)
            except (serializers.base.DeserializationError, ObjectDoesNotExist):
                continue  # it refers to a record the database does not have: a new record
            new = item.object
            model = type(new)
            if new.pk is None or item.deferred_fields:
                continue  # a record the database does not have yet
            current = model.objects.filter(pk=new.pk).first()
            if current is None:
                continue
            changed = [
                f.name
                for f in model._meta.concrete_fields
                if not f.primary_key and getattr(current, f.attname) != getattr(new, f.attname)
            ]
            table = model._meta.db_table
            last = AuditEvent.objects.filter(table=table, row_id=new.pk).order_by("-id").first()
            curated = last is not None and not last.actor.startswith(LOADER_PREFIX)
            for name, values in (item.m2m_data or {}).items():
                field = model._meta.get_field(name)
                stored = set(getattr(current, name).values_list("pk", flat=True))
                if stored != {int(v) for v in values} and _m2m_curated(
                    field.remote_field.through._meta.db_table, new.pk
                ):
                    changed.append(name)
                    curated = True
            if changed and curated:
                who = last.actor if last is not None and last.actor else "someone"
                when = f" on {last.at:%Y-%m-%d %H:%M} UTC" if last is not None else ""
                found.append(f"{model._meta.verbose_name} {current}: {', '.join(changed)} (edited by {who}{when})")
    return found


class Command(BaseCommand):
    help = (
        "Load fixtures (default: every file in fixtures/, in name order), recorded in the audit trail as a loader. "
        "Refuses to overwrite records curated since they were loaded unless --force; "
        "--if-empty loads only into a database without data (what `make run` and `make serve` do)."
    )

    def add_arguments(self, parser):
        parser.add_argument("fixtures", nargs="*", help="Fixture files; default all of fixtures/*.json.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing (and write nothing) if the database has data."
        )
        parser.add_argument("--force", action="store_true", help="Overwrite records curated since they were loaded.")

    def handle(self, *args, **options):
        fixtures = options["fixtures"] or sorted(str(p) for p in Path(settings.BASE_DIR, "fixtures").glob("*.json"))
        if options["if_empty"] and has_data():
            if options["verbosity"]:
                self.stdout.write(
                    "The database has data: fixtures not loaded, curation kept. "
                    "(`manage.py load_fixtures` loads them explicitly; `manage.py export_fixtures` writes the "
                    "database back into fixtures/.)"
                )
            return
        with audit.acting_as(f"{LOADER_PREFIX}{getpass.getuser()}"):
            if not options["force"] and has_data():
                overwrites = overwrites_of_curation(fixtures)
                if overwrites:
                    listed = "\n  ".join(overwrites[:20])
                    more = f"\n  … and {len(overwrites) - 20} more" if len(overwrites) > 20 else ""
                    raise CommandError(
                        f"Refusing to load: the fixtures would overwrite {len(overwrites)} record(s) edited since "
                        f"they were loaded:\n  {listed}{more}\n"
                        "Run `manage.py export_fixtures` to keep the curation in fixtures/ (and review the diff), "
                        "or load with --force to overwrite it."
                    )
            call_command("loaddata", *fixtures, verbosity=options["verbosity"])
