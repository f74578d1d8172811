import getpass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from alliances import audit


class Command(BaseCommand):
    help = "Load fixtures (default: every file in fixtures/, in name order), recorded in the audit trail as a loader."

    def add_arguments(self, parser):
        parser.add_argument("fixtures", nargs="*", help="Fixture files; default all of fixtures/*.json.")

    def handle(self, *args, **options):
        fixtures = options["fixtures"] or sorted(str(p) for p in Path(settings.BASE_DIR, "fixtures").glob("*.json"))
        with audit.acting_as(f"loader:{getpass.getuser()}"):
            call_command("loaddata", *fixtures, verbosity=options["verbosity"])
