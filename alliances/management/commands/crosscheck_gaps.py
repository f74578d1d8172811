"""The gaps reports: per state, what a published data set (COW IGO v3, the CIA World Factbook) names that the
data set lacks or has otherwise."""

from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from alliances.opendata import cow, factbook, gaps


class Command(BaseCommand):
    help = (
        "Compare the data set with COW IGO v3 (1945-2014) in the organizations both cover: per state, the "
        "organizations COW names for it in a year that the data set lacks, then every other year where COW's "
        "code differs, each classed by the rule that explains it; or, with --against factbook, with the last "
        "World Factbook (January 2026) on the day each country's entry changed. The same reports are in the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("--country", help="Only this state (our code, e.g. RO, or any name the site knows).")
        parser.add_argument(
            "--class", dest="kind", choices=sorted({*cow.CLASSES, *factbook.CLASSES}), help="Only this class."
        )
        parser.add_argument(
            "--against", choices=["cow", "factbook"], default="cow", help="The published data set (default cow)."
        )

    def handle(self, *args, country=None, kind=None, against="cow", **options):
        # The admin's pages read their filters through the same door (alliances/admin/crosscheck.py).
        try:
            code, kind = gaps.report_filters(country, kind, factbook.CLASSES if against == "factbook" else cow.CLASSES)
        except (gaps.UnknownClass, gaps.UnknownCountry) as error:
            raise CommandError(str(error)) from error
        if against == "factbook":
            return self.factbook(code, kind)
        report = cow.gaps(code=code, kind=kind)
        counts = Counter(d.kind for state in report for d in (*state.lacks, *state.others))
        total = sum(counts.values())
        self.stdout.write(
            f"{total} differences from COW IGO v3 in {len(report)} state{'' if len(report) == 1 else 's'} "
            f"(COW ends in {cow.COW_LAST_YEAR}; "
            "later years are not compared)."
        )
        self.write_counts(counts, cow.CLASSES)
        for state in report:
            self.stdout.write("")
            self.stdout.write(f"{state.name} ({state.code or '-'}, COW {state.ccode} {state.stateabb})")
            if state.lacks:
                self.stdout.write("  COW names, the data set lacks:")
                for d in state.lacks:
                    self.stdout.write(f"    {d.column} ({d.organization}) {d.years}: COW {d.cow}, here {d.ours}")
            if state.others:
                self.stdout.write("  COW codes otherwise:")
                for d in state.others:
                    self.stdout.write(
                        f"    {d.column} ({d.organization}) {d.years}: COW {d.cow}, here {d.ours} [{d.kind}]"
                    )

    def write_counts(self, counts, classes):
        """Each class's count, most first, with the rule it stands for."""
        for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            self.stdout.write(f"  {name}: {count} ({classes[name]})")

    def factbook(self, code, kind):
        differences, unmatched = factbook.compare(code=code)
        differences = gaps.factbook_rows(differences, kind)
        counts = Counter(d.kind for d in differences)
        self.stdout.write(
            f"{len(differences)} differences from the World Factbook's organization participation "
            f"({factbook.source()['repository']}, commit {factbook.source()['commit'][:12]}), "
            "each on the day its country's entry last changed."
        )
        self.write_counts(counts, factbook.CLASSES)
        state = None
        for d in differences:
            if d.code != state:
                state = d.code
                self.stdout.write("")
                self.stdout.write(f"{d.name} ({d.code}), on {d.day.isoformat()}")
            said = d.factbook or "not named"
            self.stdout.write(f"    {d.organization}: Factbook {said}; here {d.ours or 'nothing'} [{d.kind}]")
        if unmatched and not code:
            self.stdout.write("")
            self.stdout.write(f"Factbook entries that name no state of the data set: {', '.join(unmatched)}")
