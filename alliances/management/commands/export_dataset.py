"""Write the whole data set as a Frictionless Data Package with a COW IGO country-year panel."""

from django.core.management.base import BaseCommand

from alliances.opendata import dataset


class Command(BaseCommand):
    help = (
        "Write datapackage.json and one CSV per table (countries, organizations, memberships, citations, "
        "sources, and the COW IGO country-year panel) into DIR. Progress goes to stderr; -v0 is quiet."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Where to write the files (created if missing).")

    def handle(self, *args, directory, **options):
        progress = (lambda line: self.stderr.write(line)) if options["verbosity"] else None
        descriptor = dataset.write_package(directory, progress=progress)
        if options["verbosity"]:
            self.stdout.write(
                f"Wrote {len(descriptor['resources'])} tables of data version {descriptor['version']} to {directory}"
            )
