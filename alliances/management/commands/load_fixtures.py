"""``manage.py load_fixtures``: the fixtures, validated and written in bulk, recorded as a loader's writes."""

import getpass
from pathlib import Path

from django.conf import settings
from django.core.checks import Tags
from django.core.management.base import BaseCommand, CommandError

from alliances.models import Country, Membership, Organization, Source
from alliances.store import audit, loading

LOADER_PREFIX = loading.LOADER_PREFIX


def has_data():
    return any(model.objects.exists() for model in (Country, Organization, Source, Membership))


class Command(BaseCommand):
    help = (
        "Load fixtures (default: every file in fixtures/, in name order), recorded in the audit trail as a loader. "
        "Every row is validated (field rules, each model's rules, overlaps, required organizations, existence "
        "spans, successions) and a refused row refuses the whole load: nothing is written. "
        "Refuses to overwrite records curated since they were loaded unless --force; "
        "--if-empty loads only into a database without data (what `make run` and `make serve` do)."
    )

    # The model checks concern loading; the rest (URLs, admin, templates, security) import the whole
    # web stack, which a load never uses: ~0.8 s of a 2 s load. `manage.py check` runs all.
    requires_system_checks = [Tags.models]

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
        try:
            rows = loading.read(fixtures)
            with audit.acting_as(f"{LOADER_PREFIX}{getpass.getuser()}"):
                # Inside the transaction: a refusal raised here rolls back everything the load wrote.
                outcome = loading.load(rows, force=options["force"])
        except loading.LoadRefused as exc:
            hint = ""
            if exc.summary.startswith("Refusing to load: the fixtures would overwrite"):
                hint = (
                    "\nRun `manage.py export_fixtures` to keep the curation in fixtures/ (and review the diff), "
                    "or load with --force to overwrite it."
                )
            raise CommandError(f"{exc}{hint}") from exc
        if options["verbosity"]:
            objects = sum(len(found) for found in rows.values())
            self.stdout.write(
                f"Read {objects} object(s) from {len(fixtures)} file(s): {sum(outcome.created.values())} created, "
                f"{sum(outcome.updated.values())} changed, the rest unchanged."
            )
