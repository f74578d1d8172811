"""Record a release of the data set: the package under RELEASES_DIR and its changelog."""

from django.core.management.base import BaseCommand, CommandError

from alliances.opendata import releases


class Command(BaseCommand):
    help = (
        "Write the current data version as a release (the Data Package, under RELEASES_DIR/<version>/) with a "
        "changelog against the previous release: periods added, removed, ended or corrected. /downloads/ lists it."
    )

    def handle(self, *args, **options):
        progress = (lambda line: self.stderr.write(line)) if options["verbosity"] else None
        try:
            record = releases.make_release(progress=progress)
        except (releases.AlreadyReleased, releases.ReleaseInProgress) as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"]:
            counts = ", ".join(f"{n} {kind}" for kind, n in record["counts"].items())
            against = f"against {record['previous']}" if record["previous"] else "(the first release)"
            self.stdout.write(f"Released data version {record['version']} {against}: {counts}.")
